from django.db import models

from connections.connection import Connection
from kloudsso.crypto import decrypt_secret, encrypt_secret

DEFAULT_SCOPES = "openid email profile"


class ClientAuthMethod(models.TextChoices):
    """How the client secret reaches the token endpoint (OpenID Connect Core §9)."""

    BASIC = "client_secret_basic", "HTTP Basic header (client_secret_basic)"
    POST = "client_secret_post", "In the request body (client_secret_post)"


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
    entra_tenant_id = models.CharField(
        max_length=36,
        blank=True,
        help_text="The Directory (tenant) ID of an Entra ID issuer, taken from the issuer at save time; blank for "
        "any other IdP. Only then are tid and oid checked and used as the identity.",
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
    def end_session_endpoint(self) -> str:
        """The discovery document's end_session_endpoint (RP-initiated logout), or "" when it has none usable."""
        value = (self.discovery_document or {}).get("end_session_endpoint")
        return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""

    def set_client_secret(self, plaintext: str) -> None:
        self.client_secret_encrypted = encrypt_secret(plaintext)

    def get_client_secret(self) -> str:
        return decrypt_secret(self.client_secret_encrypted)
