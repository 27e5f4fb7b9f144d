import uuid

from django.conf import settings
from django.db import models


class Plan(models.TextChoices):
    FREE = "free", "Free"
    PAID = "paid", "Paid"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class ProvisioningMode(models.TextChoices):
    JUST_IN_TIME = "jit", "Just-in-time"
    INVITE_ONLY = "invite_only", "Invite only"


class Organization(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    plan = models.CharField(max_length=10, choices=Plan.choices, default=Plan.FREE)
    provisioning_mode = models.CharField(
        max_length=20, choices=ProvisioningMode.choices, default=ProvisioningMode.INVITE_ONLY
    )
    enforce_sso = models.BooleanField(
        "enforce SSO",
        default=False,
        help_text="People on verified domains cannot sign in with a password (owners can).",
    )
    notification_email = models.EmailField(
        blank=True,
        help_text="Also receives every notification the owners get (reminders and security alerts), e.g. the IT team.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def has_sso(self) -> bool:
        return self.plan == Plan.PAID


class Membership(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    receives_reminders = models.BooleanField(
        default=True, help_text="An owner's reminder emails; security alerts are sent whatever this says."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")]
        ordering = ["organization__name"]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.role})"

    @property
    def manages_members(self) -> bool:
        return self.role in {Role.OWNER, Role.ADMIN}

    @property
    def manages_sso(self) -> bool:
        # Only owners: a connection decides who can sign in as whom, so it is an owner's decision.
        return self.role == Role.OWNER


class Invitation(models.Model):
    """An email that may join the organization; the SSO sign-in accepts it (invite-only mode honours it)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_pending_unique",
            )
        ]
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} to {self.organization}"
