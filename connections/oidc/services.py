from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from connections.audit import connection_saved, connection_snapshot
from connections.connection import Connection, Kind
from connections.oidc import client_auth, entra
from connections.oidc.discovery import Discovery
from connections.oidc.models import OIDCSettings
from connections.services import connection_upsert
from kloudsso.audit.record import SYSTEM, Actor


# A `with` block rather than @transaction.atomic: the decorator's frame would hold the secret in its kwargs.
@sensitive_variables("client_secret")
def oidc_connection_save(
    *,
    org,
    connection: Connection | None = None,
    display_name: str,
    discovery: Discovery,
    client_id: str,
    client_secret: str,
    scopes: str,
    token_endpoint_auth_method: str = "",
    by: Actor = SYSTEM,
    client_secret_expires_on=None,
    single_logout: bool = False,
) -> Connection:
    """Create or update an OIDC connection in one transaction; a blank client_secret keeps the stored one, a blank
    token_endpoint_auth_method takes what the discovery document allows (ConfigurationError if it allows none).
    The audit log records the add or the edit in the same transaction, the secret as "changed"."""
    method = token_endpoint_auth_method or client_auth.choose(discovery.document)
    with transaction.atomic():
        is_new = connection is None
        before = connection_snapshot(connection)
        connection = connection_upsert(org=org, connection=connection, kind=Kind.OIDC, display_name=display_name)
        oidc = OIDCSettings(connection=connection) if is_new else connection.oidc

        oidc.discovery_url = discovery.discovery_url
        oidc.issuer = discovery.issuer
        oidc.authorization_endpoint = discovery.authorization_endpoint
        oidc.token_endpoint = discovery.token_endpoint
        oidc.jwks_uri = discovery.jwks_uri
        oidc.userinfo_endpoint = discovery.userinfo_endpoint
        oidc.discovery_document = discovery.document
        oidc.discovered_at = timezone.now()
        oidc.signing_keys = list(discovery.signing_keys) if discovery.signing_keys is not None else None
        oidc.client_id = client_id
        oidc.scopes = scopes
        oidc.token_endpoint_auth_method = method
        oidc.entra_tenant_id = entra.tenant_of_issuer(discovery.issuer)
        oidc.client_secret_expires_on = client_secret_expires_on
        oidc.single_logout = single_logout and bool(oidc.end_session_endpoint)
        if client_secret:
            oidc.set_client_secret(client_secret)
        elif not oidc.client_secret_encrypted:
            raise ValueError("A new OIDC connection needs a client secret.")
        oidc.save()
        connection_saved(org=org, connection=connection, before=before, by=by, is_new=is_new)
        return connection
