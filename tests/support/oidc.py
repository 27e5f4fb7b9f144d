import base64
import json

from cryptography.hazmat.primitives.asymmetric import rsa


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


def jwks_document() -> str:
    """A JWKS holding one freshly generated RSA public key."""
    numbers = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_numbers()

    def b64(number: int) -> str:
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return json.dumps({"keys": [{"kty": "RSA", "use": "sig", "kid": "k1", "n": b64(numbers.n), "e": b64(numbers.e)}]})


def serve_idp(server, prefix: str) -> str:
    """Serve a discovery document and its JWKS under `prefix`; return the issuer."""
    issuer = server.url(prefix)
    server.serve(f"{prefix}/.well-known/openid-configuration", discovery_document(issuer))
    server.serve(f"{prefix}/discovery/v2.0/keys", jwks_document())
    return issuer
