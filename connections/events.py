import secrets
import uuid

from django.db import models

from connections.connection import Connection
from kloudsso.tenancy.models import Organization


def new_reference() -> str:
    return secrets.token_hex(5).upper()


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"


class SignInEvent(models.Model):
    """One attempt to sign in with SSO, successful or not, with what the owners need to understand it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=12, default=new_reference, db_index=True, help_text="Shown to the person")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email = models.CharField("email given", max_length=254, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    code = models.CharField(max_length=64, blank=True)
    detail = models.TextField(blank=True, help_text="The values involved, for the owners")
    received = models.JSONField(default=dict, blank=True, help_text="Claims or attributes, secrets redacted")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="signin_event_org_time")]

    def __str__(self):
        return f"{self.outcome} {self.code} {self.email} ({self.reference})"
