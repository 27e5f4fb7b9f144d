import json


def discovery_document(issuer: str, **overrides) -> str:
    """A discovery document shaped like Entra ID's v2.0 one, for the given issuer."""
    document = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth2/v2.0/authorize",
        "token_endpoint": f"{issuer}/oauth2/v2.0/token",
        "jwks_uri": f"{issuer}/discovery/v2.0/keys",
        "userinfo_endpoint": f"{issuer}/oidc/userinfo",
        "response_types_supported": ["code", "id_token", "code id_token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
    }
    document.update(overrides)
    return json.dumps({k: v for k, v in document.items() if v is not None})
