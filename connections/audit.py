"""What the audit log records of a connection and its signing certificates (kloudsso/audit/record.py)."""

from kloudsso.audit.record import Actor, Target, audit_diff, audit_record, snapshot

OIDC_FIELDS = [
    "discovery_url",
    "issuer",
    "client_id",
    "client_secret_encrypted",
    "scopes",
    "token_endpoint_auth_method",
    "id_token_signing_alg",
    "single_logout",
]
SAML_FIELDS = [
    "source",
    "metadata_url",
    "metadata_xml",
    "idp_entity_id",
    "sso_redirect_url",
    "sso_post_url",
    "email_attribute",
    "nameid_format",
    "require_encryption",
    "metadata_valid_until",
    "slo_redirect_url",
    "slo_post_url",
    "single_logout",
]
# Never shown: the client secret (encrypted, but still not the log's to keep), and the metadata document, too long
# for a log row (its entity ID, URLs, validity and certificates are recorded field by field).
HIDDEN_FIELDS = ["client_secret", "metadata_xml"]
CERTIFICATE_FIELDS = ["subject", "sha256_fingerprint", "not_before", "not_after"]


def connection_target(connection) -> Target:
    return Target("connection", str(connection.public_id), connection.display_name)


def connection_snapshot(connection) -> dict:
    """The connection's audited fields, its kind's settings included; {} for none (a connection being added)."""
    if connection is None:
        return {}
    values = {"display_name": connection.display_name, "enabled": connection.enabled}
    settings = connection.settings
    fields = OIDC_FIELDS if connection.kind == "oidc" else SAML_FIELDS
    values.update(snapshot(settings, fields))
    if "client_secret_encrypted" in values:
        values["client_secret"] = values.pop("client_secret_encrypted")
    if connection.kind == "oidc":
        values["entra_allowed_tenants"] = [str(tenant) for tenant in settings.allowed_tenants.order_by("tenant_id")]
    return values


def connection_saved(*, org, connection, before: dict, by: Actor, is_new: bool) -> None:
    """Record an add, or an edit that changed something."""
    changes = audit_diff(before, connection_snapshot(connection), secret_fields=HIDDEN_FIELDS)
    if is_new or changes:
        action = "connection.added" if is_new else "connection.edited"
        audit_record(org=org, actor=by, action=action, target=connection_target(connection), changes=changes)


def certificate_target(certificate, connection) -> Target:
    label = f"{connection.display_name}'s, expiring {certificate.not_after:%Y-%m-%d}"  # the subject is in the changes
    return Target("certificate", certificate.sha256_fingerprint, label)


def certificate_snapshot(certificate) -> dict:
    """A SAMLCertificate's or a parsed CertificateInfo's audited fields (the two share their names)."""
    return snapshot(certificate, CERTIFICATE_FIELDS)


def certificate_added(*, org, connection, certificate, by: Actor) -> None:
    audit_record(
        org=org,
        actor=by,
        action="certificate.added",
        target=certificate_target(certificate, connection),
        changes=audit_diff({}, certificate_snapshot(certificate)),
    )


def certificate_retired(*, org, connection, certificate, by: Actor) -> None:
    audit_record(
        org=org,
        actor=by,
        action="certificate.retired",
        target=certificate_target(certificate, connection),
        changes=audit_diff(certificate_snapshot(certificate), {}),
    )
