import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from connections.connection import Connection, Kind
from kloudsso.tenancy.models import Organization


class Status(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class SetupLink(models.Model):
    """A link an owner sends to their IT admin (who has no account) to set up one connection of one organization.

    The token is the only credential: only its SHA-256 is stored (setup_links/tokens.py), so the table alone opens
    nothing. A link ends when its setup completes, when it expires or when an owner revokes it, whichever is first.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="setup_links")
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    # Blank: the IT admin chooses the protocol (and the guide) themselves.
    protocol = models.CharField(max_length=10, choices=Kind.choices, blank=True)
    guide = models.CharField(max_length=40, blank=True, help_text="A guide's slug (connections/guides), or blank.")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    # The sha256 of a secret held by the one browser session the token was exchanged in: the link works in that
    # browser only, so a forwarded or scanned link cannot be finished by someone else alongside the IT admin.
    browser_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    # The one connection the link may touch: created by its first save, edited by the next ones.
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="setup_links"
    )
    # The last Test connection whose identity provider's answer was valid; Finish needs one after the last save.
    tested_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="setup_link_org_created")]

    def __str__(self):
        return f"Setup link {self.public_id} of {self.organization_id}"

    def status(self, now=None) -> str:
        if self.revoked_at:
            return Status.REVOKED
        if self.completed_at:
            return Status.COMPLETED
        if self.expires_at <= (now or timezone.now()):
            return Status.EXPIRED
        return Status.ACTIVE

    @property
    def is_active(self) -> bool:
        return self.status() == Status.ACTIVE

    @property
    def label(self) -> str:
        """How the audit log names the link acting: its note, else when it was made."""
        return f"Setup link “{self.note}”" if self.note else f"Setup link of {self.created_at:%Y-%m-%d %H:%M} UTC"
