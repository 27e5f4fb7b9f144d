from django.db import models
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_variables

from connections.connection import Connection
from kloudsso.crypto import decrypt_secret, encrypt_secret

DEFAULT_SCOPES = "openid email profile"


class ClientAuthMethod(models.TextChoices):
    """How the client secret reaches the token endpoint (OpenID Connect Core §9)."""

    BASIC = "client_secret_basic", "HTTP Basic header (client_secret_basic)"
    POST = "client_secret_post", "In the request body (client_secret_post)"


class IdTokenSigning(models.TextChoices):
    """How the IdP signs its ID tokens. A shared-secret (HS) algorithm is accepted only when chosen here: an RS or
    ES connection must never verify an HS token, or anyone holding the IdP's public key could forge one."""

    PUBLIC_KEYS = "jwks", "The IdP's public keys (RS256/384/512, PS256/384/512 or ES256/384/512, from its JWKS)"
    HS256 = "HS256", "HS256: an HMAC with the client secret"
    HS384 = "HS384", "HS384: an HMAC with the client secret"
    HS512 = "HS512", "HS512: an HMAC with the client secret"


# What "The IdP's public keys" accepts, each with a key from the IdP's JWKS.
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})
# RFC 7518 §3.2: an HMAC key at least as long as the hash's output.
SECRET_MIN_BYTES = {IdTokenSigning.HS256: 32, IdTokenSigning.HS384: 48, IdTokenSigning.HS512: 64}


class OIDCSettings(models.Model):
    """An OIDC client registration at one IdP, with the endpoints its discovery document gave at save time."""

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="oidc")
    discovery_url = models.URLField(max_length=2048)
    issuer = models.CharField(max_length=2048)
    authorization_endpoint = models.URLField(max_length=2048)
    token_endpoint = models.URLField(max_length=2048)
    jwks_uri = models.URLField(max_length=2048)
    userinfo_endpoint = models.URLField(max_length=2048, blank=True)
    discovery_document = models.JSONField(default=dict)
    discovered_at = models.DateTimeField()
    signing_keys = models.JSONField(
        null=True,
        blank=True,
        help_text="The kid, kty, alg and use of each key at the jwks_uri when the connection was saved (for the "
        "pre-flight checklist); null when saved before they were kept.",
    )
    client_id = models.CharField(max_length=255)
    client_secret_encrypted = models.TextField()
    scopes = models.CharField(max_length=300, default=DEFAULT_SCOPES)
    token_endpoint_auth_method = models.CharField(
        max_length=32, choices=ClientAuthMethod.choices, default=ClientAuthMethod.BASIC
    )
    id_token_signing_alg = models.CharField(
        "ID token signing",
        max_length=8,
        choices=IdTokenSigning.choices,
        default=IdTokenSigning.PUBLIC_KEYS,
        help_text="jwks: any public-key algorithm with a key from the IdP's JWKS; HS256/384/512: only that "
        "algorithm, checked with the client secret.",
    )
    entra_tenant_id = models.CharField(
        max_length=36,
        blank=True,
        help_text="The Directory (tenant) ID of an Entra ID issuer, taken from the issuer at save time; blank for "
        "any other IdP. Only then are tid and oid checked and used as the identity.",
    )
    entra_multi_tenant = models.BooleanField(
        default=False,
        help_text="Entra ID's /organizations/ endpoint, decided from the Discovery URL at save time: the issuer is "
        "a {tenantid} template and only the tenants in allowed_tenants may sign in.",
    )
    single_logout = models.BooleanField(
        "sign out at the IdP too",
        default=False,
        help_text="Our sign-out also signs the person out at the IdP (RP-initiated logout at the discovery "
        "document's end_session_endpoint).",
    )
    client_secret_expires_on = models.DateField(
        null=True,
        blank=True,
        help_text="Given by the owner (Entra shows it beside the secret): the owners are reminded before then.",
    )

    class Meta:
        verbose_name = "OIDC settings"
        verbose_name_plural = "OIDC settings"

    def __str__(self):
        return f"OIDC settings of {self.connection_id}"

    @property
    def idp_label(self) -> str:
        return self.issuer

    @property
    def signed_with_secret(self) -> bool:
        return self.id_token_signing_alg in SECRET_MIN_BYTES

    @property
    def end_session_endpoint(self) -> str:
        """The discovery document's end_session_endpoint (RP-initiated logout), or "" when it has none usable."""
        value = (self.discovery_document or {}).get("end_session_endpoint")
        return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""

    def set_client_secret(self, plaintext: str) -> None:
        self.client_secret_encrypted = encrypt_secret(plaintext)

    def get_client_secret(self) -> str:
        return decrypt_secret(self.client_secret_encrypted)

    @method_decorator(sensitive_variables("secret"))
    def client_secret_bytes(self) -> int | None:
        """How long the kept secret is (the form's check of an HS choice), so the secret itself goes no further."""
        if not self.client_secret_encrypted:
            return None
        secret = self.get_client_secret()
        return len(secret.encode())


class TenantLookup(models.TextChoices):
    """What Entra's public metadata said of a tenant when it was added to the list."""

    FOUND = "found", "Found at Entra ID"
    NOT_CHECKED = "not_checked", "Not checked (Entra ID did not answer)"


class EntraAllowedTenant(models.Model):
    """One Entra ID tenant whose work and school accounts may sign in through a connection to /organizations/."""

    oidc = models.ForeignKey(OIDCSettings, on_delete=models.CASCADE, related_name="allowed_tenants")
    tenant_id = models.UUIDField(help_text="The Directory (tenant) ID: the tid claim of its people's ID tokens.")
    label = models.CharField(max_length=100, blank=True, help_text="The owner's name for the tenant.")
    lookup = models.CharField(max_length=20, choices=TenantLookup.choices, default=TenantLookup.NOT_CHECKED)
    region = models.CharField(max_length=40, blank=True, help_text="tenant_region_scope of its public metadata.")
    looked_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["label", "tenant_id"]
        constraints = [models.UniqueConstraint(fields=["oidc", "tenant_id"], name="entra_tenant_once_per_connection")]

    def __str__(self):
        return f"{self.tenant_id} ({self.label})" if self.label else str(self.tenant_id)
