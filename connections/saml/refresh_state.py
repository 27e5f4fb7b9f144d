"""What the scheduled refresh of a metadata URL last found, and a change of IdP identity waiting for the owner."""

import hashlib

from django.db import models

from connections.saml.models import SAMLSettings


def identity_key(entity_id: str, sso_redirect_url: str, sso_post_url: str) -> str:
    """Names one set of identity values, so a Confirm applies what the owner saw and a Dismiss is remembered."""
    return hashlib.sha256("\n".join((entity_id, sso_redirect_url, sso_post_url)).encode()).hexdigest()


class Result(models.TextChoices):
    OK = "ok", "OK"
    PENDING = "pending", "A change waits for your confirmation"
    HELD = "held", "A change you dismissed: nothing from the metadata applied"
    FAILED = "failed", "Failed"


class MetadataRefresh(models.Model):
    """One row per SAML connection added by metadata URL, made at its first refresh.

    The pending values are the entity ID and SSO URLs of a fetched document that differ from the ones applied:
    they are never applied without the owner, and the whole document (its certificates too) waits with them, so
    that SAMLSettings.metadata_xml is always the document whose values are in use.
    """

    saml_settings = models.OneToOneField(SAMLSettings, on_delete=models.CASCADE, related_name="refresh")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=10, choices=Result.choices, blank=True)
    last_error = models.TextField(blank=True, help_text="Why the last refresh failed, in plain words")
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True, help_text="The first failure of the current streak")
    last_changes = models.JSONField(
        default=list, blank=True, help_text="Sentences: what the last refresh that changed anything changed"
    )
    last_changed_at = models.DateTimeField(null=True, blank=True)
    pending_since = models.DateTimeField(null=True, blank=True, help_text="Set while a change waits for the owner")
    pending_entity_id = models.CharField(max_length=1024, blank=True)
    pending_sso_redirect_url = models.URLField(max_length=2048, blank=True)
    pending_sso_post_url = models.URLField(max_length=2048, blank=True)
    pending_metadata_xml = models.TextField(blank=True)
    dismissed_key = models.CharField(
        max_length=64, blank=True, help_text="identity_key of the change the owner dismissed: not offered again"
    )

    class Meta:
        verbose_name = "SAML metadata refresh"

    def __str__(self):
        return f"Metadata refresh of {self.saml_settings_id}"

    @property
    def has_pending(self) -> bool:
        return self.pending_since is not None

    @property
    def pending_key(self) -> str:
        return identity_key(self.pending_entity_id, self.pending_sso_redirect_url, self.pending_sso_post_url)

    def pending_entity_changed(self) -> bool:
        return self.has_pending and self.pending_entity_id != self.saml_settings.idp_entity_id

    def pending_clear(self) -> None:
        self.pending_since = None
        self.pending_entity_id = self.pending_sso_redirect_url = self.pending_sso_post_url = ""
        self.pending_metadata_xml = ""
