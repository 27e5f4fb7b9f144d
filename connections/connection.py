import uuid

from django.db import models

from kloudsso.tenancy.models import Organization


class Kind(models.TextChoices):
    OIDC = "oidc", "OIDC"
    SAML = "saml", "SAML 2.0"


class Connection(models.Model):
    """One identity provider connected to one organization. Its kind's settings live in `oidc` or `saml`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="connections")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    display_name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    # Set by the sign-in flows; "Enforce SSO" needs one successful sign-in first.
    last_successful_signin_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name", "created_at"]
        indexes = [models.Index(fields=["organization", "enabled"], name="connection_org_enabled")]

    def __str__(self):
        return f"{self.display_name} ({self.get_kind_display()})"

    @property
    def settings(self):
        """The kind-specific settings row (OIDCSettings or SAMLSettings)."""
        return self.oidc if self.kind == Kind.OIDC else self.saml

    @property
    def idp_label(self) -> str:
        return self.settings.idp_label
