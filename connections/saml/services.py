from django.db import transaction

from connections.audit import (
    certificate_added,
    certificate_retired,
    connection_saved,
    connection_snapshot,
    connection_target,
)
from connections.connection import Connection, Kind
from connections.errors import ConfigurationError
from connections.saml.idp_config import IdPConfig
from connections.saml.models import SAMLCertificate, SAMLSettings, Source
from connections.saml.refresh_state import MetadataRefresh
from connections.services import connection_upsert
from kloudsso.audit.record import SYSTEM, Actor, audit_record

FORM_FIELDS = [
    "source",
    "metadata_url",
    "metadata_xml",
    "metadata_valid_until",
    "idp_entity_id",
    "sso_redirect_url",
    "sso_post_url",
    "email_attribute",
    "nameid_format",
    "slo_redirect_url",
    "slo_post_url",
    "single_logout",
    "require_encryption",
]


@transaction.atomic
def saml_connection_save(
    *,
    org,
    connection: Connection | None = None,
    display_name: str,
    source: str,
    idp: IdPConfig,
    metadata_url: str = "",
    email_attribute: str = "",
    nameid_format: str = "",
    single_logout: bool | None = None,
    require_encryption: bool | None = None,
    by: Actor = SYSTEM,
) -> Connection:
    """Create or update a SAML connection and its certificates in one transaction, with the audit log's events:
    the add or the edit, and each signing certificate added or retired (told apart by their fingerprints)."""
    is_new = connection is None
    before = connection_snapshot(connection)
    old_certificates = {} if is_new else {c.sha256_fingerprint: c for c in connection.saml.certificates.all()}
    connection = connection_upsert(org=org, connection=connection, kind=Kind.SAML, display_name=display_name)
    saml = SAMLSettings(connection=connection) if is_new else connection.saml

    # The certificates follow the owner's new metadata or certificates. The same metadata XML saved again leaves
    # them as they are: the connection page's "Add the next certificate" may have added one it does not hold.
    same_metadata = not is_new and source == Source.XML == saml.source and idp.metadata_xml == saml.metadata_xml
    was_url = not is_new and saml.source == Source.URL and saml.idp_entity_id == idp.entity_id
    saml.source = source
    saml.metadata_url = metadata_url if source == Source.URL else ""
    saml.metadata_xml = idp.metadata_xml
    saml.metadata_valid_until = idp.valid_until
    saml.idp_entity_id = idp.entity_id
    saml.sso_redirect_url = idp.sso_redirect_url
    saml.sso_post_url = idp.sso_post_url
    saml.email_attribute = email_attribute.strip()
    saml.nameid_format = nameid_format
    saml.slo_redirect_url = idp.slo_redirect_url
    saml.slo_post_url = idp.slo_post_url
    # A form without the switch (a setup link's, a metadata refresh) leaves the owner's choice as it is, even when the
    # new metadata lists no SingleLogoutService: it takes effect only while one is listed (signin/logout checks).
    if single_logout is not None:
        saml.single_logout = single_logout and saml.slo_supported
    if require_encryption is not None:  # None: as it was (a setup link's IT admin does not see the switch)
        saml.require_encryption = require_encryption
    # Only what the form holds: the IdP-initiated switch is the owner's, on its own form (saml_idp_initiated_set).
    saml.save(update_fields=None if is_new else FORM_FIELDS)
    # What the owner saves supersedes a waiting change, a dismissed one and a failure streak: the refresh starts over.
    MetadataRefresh.objects.filter(saml_settings=saml).delete()
    if not same_metadata:
        kept = _pasted_kept(old_certificates, idp, was_url=was_url, source=source)
        _replace_certificates(saml, [*idp.certificates, *kept])
    connection_saved(org=org, connection=connection, before=before, by=by, is_new=is_new)
    if not same_metadata:
        _audit_certificates(org, connection, old_certificates, [*idp.certificates, *kept], by)
    return connection


def _pasted_kept(old_certificates: dict, idp: IdPConfig, *, was_url: bool, source: str) -> list[SAMLCertificate]:
    """The IdP's next certificates an owner added by hand, which the metadata URL does not publish (yet, or ever):
    saving the same IdP's URL connection keeps them, as its scheduled refresh does (connections/saml/refresh)."""
    if not (was_url and source == Source.URL):
        return []
    fetched = {cert.sha256_fingerprint for cert in idp.certificates}
    return [c for f, c in old_certificates.items() if c.pasted and f not in fetched and not c.expired]


def _audit_certificates(org, connection, old_certificates: dict, certificates, by: Actor) -> None:
    new_certificates = {cert.sha256_fingerprint: cert for cert in certificates}
    for fingerprint, cert in new_certificates.items():
        if fingerprint not in old_certificates:
            certificate_added(org=org, connection=connection, certificate=cert, by=by)
    for fingerprint, cert in old_certificates.items():
        if fingerprint not in new_certificates:
            certificate_retired(org=org, connection=connection, certificate=cert, by=by)


def _replace_certificates(saml: SAMLSettings, certificates) -> None:
    """Those on file and still given keep their row (when they were added, when one last signed a sign-in)."""
    given = {cert.sha256_fingerprint: cert for cert in certificates}  # parsed certificates, or rows kept as they are
    saml.certificates.exclude(sha256_fingerprint__in=given).delete()
    on_file = set(saml.certificates.values_list("sha256_fingerprint", flat=True))
    SAMLCertificate.objects.bulk_create(
        SAMLCertificate.of(saml, cert) for fingerprint, cert in given.items() if fingerprint not in on_file
    )


@transaction.atomic
def saml_idp_initiated_set(*, org, connection: Connection, allowed: bool, by: Actor = SYSTEM) -> bool:
    """Turn the connection's IdP-initiated sign-in on or off; returns whether it changed (an audit event if so).

    Only one connection of an IdP in an organization may take them: an answer to no request names the IdP and the
    organization's SP, nothing more, so with two the sign-in could not tell whose it is (signin/saml/route; should
    two owners turn two on at the same instant, it refuses them as saml_idp_initiated_ambiguous)."""
    saml = SAMLSettings.objects.select_for_update().get(connection=connection)
    if saml.allow_idp_initiated == allowed:
        return False
    if allowed:
        other = _other_taking_idp_initiated(org, saml)
        if other is not None:
            raise ConfigurationError(
                f"The connection {other.display_name!r} of the same IdP ({saml.idp_entity_id}) already allows "
                "IdP-initiated sign-in: a response from the IdP's portal could not tell the two apart. Turn it off "
                "there first.",
                "idp_initiated_taken",
            )
    saml.allow_idp_initiated = allowed
    saml.save(update_fields=["allow_idp_initiated"])
    audit_record(
        org=org,
        actor=by,
        action="connection.idp_initiated_allowed" if allowed else "connection.idp_initiated_refused",
        target=connection_target(connection),
        changes={"allow_idp_initiated": [not allowed, allowed]},
    )
    return True


def _other_taking_idp_initiated(org, saml: SAMLSettings) -> Connection | None:
    others = Connection.objects.filter(
        organization=org, kind=Kind.SAML, saml__idp_entity_id=saml.idp_entity_id, saml__allow_idp_initiated=True
    )
    return others.exclude(pk=saml.connection_id).first()
