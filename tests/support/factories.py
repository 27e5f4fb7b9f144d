"""Connections made through the same services the views use."""

from connections.oidc.discovery import Discovery
from connections.oidc.services import oidc_connection_save
from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from tests.support.metadata import sample

CLIENT_SECRET = "very-secret-client-value-123"


def oidc_connection(
    org,
    *,
    display_name="Entra ID",
    issuer="https://login.microsoftonline.com/tid-1/v2.0",
    secret=CLIENT_SECRET,
    auth_methods: list[str] | None = None,
):
    discovery = Discovery(
        discovery_url=issuer + "/.well-known/openid-configuration",
        issuer=issuer,
        authorization_endpoint=issuer + "/oauth2/v2.0/authorize",
        token_endpoint=issuer + "/oauth2/v2.0/token",
        jwks_uri=issuer + "/discovery/v2.0/keys",
        userinfo_endpoint="",
        document={
            "issuer": issuer,
            **({"token_endpoint_auth_methods_supported": auth_methods} if auth_methods else {}),
        },
    )
    return oidc_connection_save(
        org=org,
        display_name=display_name,
        discovery=discovery,
        client_id="client-1",
        client_secret=secret,
        scopes="openid email profile",
    )


def saml_connection(org, *, display_name="Okta", metadata="okta_metadata.xml"):
    return saml_connection_save(
        org=org, display_name=display_name, source="xml", idp=parse_idp_metadata(sample(metadata))
    )


def oidc_connection_for_idp(org, idp, *, display_name="Entra ID", id_token_signing_alg="jwks", client_secret=None):
    """A connection to a running OIDCIdP, saved the way the form saves it (its discovery document fetched)."""
    from connections.oidc.discovery import discover

    return oidc_connection_save(
        org=org,
        display_name=display_name,
        discovery=discover(idp.discovery_url),
        client_id=idp.client_id,
        client_secret=client_secret or idp.client_secret,
        scopes="openid email profile",
        id_token_signing_alg=id_token_signing_alg,
    )
