import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from kloudsso.tenancy.models import Organization


class ActorKind(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    SUPPORT = "support", "Support"
    SYSTEM = "system", "System"
    SETUP_LINK = "setup_link", "Setup link"  # an owner's IT admin, through a link, with no account


class AuditEvent(models.Model):
    """One change an owner, an admin, support or the system made, as it was made: who, when, from where, what.

    Written by the services that make each change (kloudsso/audit/record.py), never by signals, so an event says
    what the person did ("connection.disabled"), not which rows moved. Rows are never edited.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Null only for support's changes tied to no organization (a user account, a password lock). SET_NULL: an
    # organization's deletion is itself recorded, and the record outlives it.
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, help_text="The actor's email when it acted; kept after deletion.")
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    action = models.CharField(max_length=64, help_text='What was done, e.g. "connection.disabled".')
    target_kind = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(
        max_length=100, blank=True, help_text="Its public ID (a fingerprint for a certificate)."
    )
    target_label = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(
        default=dict,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text='{field: [before, after]}; a secret\'s value is never stored, only "changed".',
    )
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="audit_org_created"),
            models.Index(fields=["organization", "action", "-created_at"], name="audit_org_action"),
            models.Index(fields=["created_at"], name="audit_created"),  # the retention's prune
        ]
        verbose_name = "audit event"

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"
