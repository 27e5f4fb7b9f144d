from django.db import transaction

from connections.connection import Connection, Kind
from connections.saml.idp_config import IdPConfig
from connections.saml.models import SAMLCertificate, SAMLSettings, Source
from connections.saml.refresh_state import MetadataRefresh
from connections.services import connection_upsert


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
) -> Connection:
    """Create or update a SAML connection and its certificates in one transaction."""
    is_new = connection is None
    connection = connection_upsert(org=org, connection=connection, kind=Kind.SAML, display_name=display_name)
    saml = SAMLSettings(connection=connection) if is_new else connection.saml

    saml.source = source
    saml.metadata_url = metadata_url if source == Source.URL else ""
    saml.metadata_xml = idp.metadata_xml
    saml.metadata_valid_until = idp.valid_until
    saml.idp_entity_id = idp.entity_id
    saml.sso_redirect_url = idp.sso_redirect_url
    saml.sso_post_url = idp.sso_post_url
    saml.email_attribute = email_attribute.strip()
    saml.nameid_format = nameid_format
    saml.save()
    # What the owner saves supersedes a waiting change, a dismissed one and a failure streak: the refresh starts over.
    MetadataRefresh.objects.filter(saml_settings=saml).delete()
    saml.certificates.all().delete()
    SAMLCertificate.objects.bulk_create(
        SAMLCertificate(
            saml_settings=saml,
            certificate_pem=cert.pem,
            subject=cert.subject,
            sha256_fingerprint=cert.sha256_fingerprint,
            not_before=cert.not_before,
            not_after=cert.not_after,
        )
        for cert in idp.certificates
    )
    return connection
