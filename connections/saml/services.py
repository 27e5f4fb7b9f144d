from django.db import transaction

from connections.audit import certificate_added, certificate_retired, connection_saved, connection_snapshot
from connections.connection import Connection, Kind
from connections.saml.idp_config import IdPConfig
from connections.saml.models import SAMLCertificate, SAMLSettings, Source
from connections.saml.refresh_state import MetadataRefresh
from connections.services import connection_upsert
from kloudsso.audit.record import SYSTEM, Actor


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
    saml.source = source
    saml.metadata_url = metadata_url if source == Source.URL else ""
    saml.metadata_xml = idp.metadata_xml
    saml.metadata_valid_until = idp.valid_until
    saml.idp_entity_id = idp.entity_id
    saml.sso_redirect_url = idp.sso_redirect_url
    saml.sso_post_url = idp.sso_post_url
    saml.email_attribute = email_attribute.strip()
    saml.nameid_format = nameid_format
    if require_encryption is not None:  # None: as it was (a setup link's IT admin does not see the switch)
        saml.require_encryption = require_encryption
    saml.save()
    # What the owner saves supersedes a waiting change, a dismissed one and a failure streak: the refresh starts over.
    MetadataRefresh.objects.filter(saml_settings=saml).delete()
    if not same_metadata:
        _replace_certificates(saml, idp.certificates)
    connection_saved(org=org, connection=connection, before=before, by=by, is_new=is_new)
    if not same_metadata:
        _audit_certificates(org, connection, old_certificates, idp.certificates, by)
    return connection


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
    given = {cert.sha256_fingerprint: cert for cert in certificates}
    saml.certificates.exclude(sha256_fingerprint__in=given).delete()
    on_file = set(saml.certificates.values_list("sha256_fingerprint", flat=True))
    SAMLCertificate.objects.bulk_create(
        SAMLCertificate.of(saml, cert) for fingerprint, cert in given.items() if fingerprint not in on_file
    )
