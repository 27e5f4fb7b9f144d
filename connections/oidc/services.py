import uuid

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from connections.audit import connection_saved, connection_snapshot
from connections.connection import Connection, Kind
from connections.oidc import client_auth, entra
from connections.oidc.discovery import Discovery
from connections.oidc.entra_tenants import MAX_TENANTS, AllowedTenant
from connections.oidc.models import EntraAllowedTenant, IdTokenSigning, OIDCSettings
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
    id_token_signing_alg: str = IdTokenSigning.PUBLIC_KEYS,
    allowed_tenants: list[AllowedTenant] | None = None,
    single_logout: bool | None = None,
) -> Connection:
    """Create or update an OIDC connection in one transaction; a blank client_secret keeps the stored one, a blank
    token_endpoint_auth_method takes what the discovery document allows (ConfigurationError if it allows none).
    The audit log records the add or the edit in the same transaction, the secret as "changed", the allowed Entra
    tenants as their list before and after. allowed_tenants None keeps the stored list; a connection to Entra's
    /organizations/ endpoint must end up with at least one, any other with none."""
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
        oidc.id_token_signing_alg = id_token_signing_alg
        oidc.entra_tenant_id = entra.tenant_of_issuer(discovery.issuer)
        oidc.entra_multi_tenant = discovery.multi_tenant
        oidc.client_secret_expires_on = client_secret_expires_on
        # A form without the switch (a setup link's) leaves the owner's choice as it is, even when the provider
        # no longer has an end_session_endpoint: it takes effect only while it has one (signin/logout checks).
        if single_logout is not None:
            oidc.single_logout = single_logout and bool(oidc.end_session_endpoint)
        if client_secret:
            oidc.set_client_secret(client_secret)
        elif not oidc.client_secret_encrypted:
            raise ValueError("A new OIDC connection needs a client secret.")
        oidc.save()
        _save_allowed_tenants(oidc, allowed_tenants)
        connection_saved(org=org, connection=connection, before=before, by=by, is_new=is_new)
        return connection


def _save_allowed_tenants(oidc: OIDCSettings, tenants: list[AllowedTenant] | None) -> None:
    if not oidc.entra_multi_tenant:
        oidc.allowed_tenants.all().delete()
        return
    if tenants is None:
        tenants = list(oidc.allowed_tenants.all())
    if not tenants or len(tenants) > MAX_TENANTS:
        raise ValueError(f"A connection to Entra ID's /organizations/ endpoint takes 1 to {MAX_TENANTS} tenants.")
    stored = {str(row.tenant_id): row for row in oidc.allowed_tenants.all()}
    wanted = {str(uuid.UUID(str(t.tenant_id))): t for t in tenants}  # ValueError for anything but a GUID
    oidc.allowed_tenants.exclude(tenant_id__in=list(wanted)).delete()
    now = timezone.now()
    for tenant_id, tenant in wanted.items():
        row = stored.get(tenant_id) or EntraAllowedTenant(oidc=oidc, tenant_id=tenant_id)
        looked_up = row.pk is None or (tenant.lookup, tenant.region) != (row.lookup, row.region)
        if not looked_up and tenant.label == row.label:
            continue
        row.label, row.lookup, row.region = tenant.label, tenant.lookup, tenant.region
        if looked_up:
            row.looked_up_at = now
        row.save()
