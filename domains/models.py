import secrets
import uuid

from django.db import models
from django.db.models import Q

from kloudsso.tenancy.models import Organization

CHALLENGE_PREFIX = "_kloudsso-challenge"
VALUE_PREFIX = "kloudsso-domain-verification="


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    UNVERIFIED = "unverified", "Unverified"


class DomainQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=Status.VERIFIED)


class Domain(models.Model):
    """A company domain an organization claims; it counts for sign-in once proven by a DNS TXT record."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(max_length=253, help_text="Lower case, IDNA (punycode), no trailing dot.")
    token = models.CharField(max_length=64, default=new_token, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_ok = models.BooleanField(null=True, blank=True)
    last_check_result = models.TextField(blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First re-check of a verified domain that did not find the record."
    )
    unverified_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DomainQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="domain_unique_per_org"),
            # Two organizations verifying the same domain at once cannot both win.
            models.UniqueConstraint(fields=["name"], condition=Q(status="verified"), name="domain_verified_unique"),
        ]

    def __str__(self):
        return self.name

    @property
    def record_name(self) -> str:
        return f"{CHALLENGE_PREFIX}.{self.name}"

    @property
    def record_value(self) -> str:
        return f"{VALUE_PREFIX}{self.token}"

    @property
    def is_verified(self) -> bool:
        return self.status == Status.VERIFIED
