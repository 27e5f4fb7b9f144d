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


ENTRA_TEST_TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


class CraftedIdP:
    """An OIDC IdP of canned answers on the tests' HTTP server, shaped like an Entra tenant (issuer
    http://127.0.0.1:<port>/<tenant>/v2.0): discovery, keys, token and UserInfo endpoints. The ID token is signed
    here, so a test can put any claim in it; answer() must come after the sign-in's start, which chose the nonce."""

    client_id = "client-1"
    client_secret = "crafted s3cret+/%:~"  # every character form-urlencoding changes
    access_token = "at-never-shown-0123456789"

    def __init__(self, server, *, tenant: str = ENTRA_TEST_TENANT, prefix: str | None = None, **document):
        import jwt

        self.server = server
        self.tenant = tenant
        self.prefix = prefix or f"/{tenant}/v2.0"
        self.issuer = server.url(self.prefix)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        server.serve(f"{self.prefix}/.well-known/openid-configuration", discovery_document(self.issuer, **document))
        server.serve(self.path("keys"), json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}))

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def path(self, endpoint: str) -> str:
        return (
            self.prefix
            + {
                "keys": "/discovery/v2.0/keys",
                "token": "/oauth2/v2.0/token",
                "userinfo": "/oidc/userinfo",
            }[endpoint]
        )

    def id_token(self, nonce: str, **claims) -> str:
        import time

        import jwt

        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "sub-1",
            "iat": now,
            "exp": now + 600,
            "nonce": nonce,
            "tid": self.tenant,
            "oid": "oid-1",
            **claims,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "k1"})

    def answer(self, nonce: str, *, userinfo: dict | None = None, **claims) -> None:
        """The token endpoint's next answer: an ID token with `claims`; and UserInfo's, when given."""
        tokens = {"id_token": self.id_token(nonce, **claims), "access_token": self.access_token, "token_type": "Bearer"}
        self.server.serve(self.path("token"), json.dumps(tokens))
        if userinfo is not None:
            self.server.serve(self.path("userinfo"), json.dumps(userinfo))

    def requests_to(self, endpoint: str) -> list[dict]:
        """The headers of each request the endpoint received."""
        path = self.path(endpoint)
        return [h for p, h in zip(self.server.requests, self.server.httpd.headers_received, strict=True) if p == path]
