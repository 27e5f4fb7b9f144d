"""Directory sync: an IdP provisions an organization's people and groups through SCIM 2.0 (RFC 7643/7644).

A directory belongs to one organization, and every SCIM resource to one directory: the SCIM API finds resources
through the directory its bearer token authenticated, never by id alone.
"""

import uuid

from django.conf import settings
from django.db import models

from connections.connection import Connection
from kloudsso.tenancy.models import Organization


class IdPKind(models.TextChoices):
    ENTRA = "entra", "Microsoft Entra ID"
    OKTA = "okta", "Okta"
    OTHER = "other", "Another SCIM client"


class SCIMDirectory(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="scim_directories")
    display_name = models.CharField(max_length=200)
    idp_kind = models.CharField("identity provider", max_length=10, choices=IdPKind.choices, default=IdPKind.ENTRA)
    # SHA-256 of the bearer tokens: a token is 32 random bytes, so a fast hash cannot be reversed by guessing.
    token_hash = models.CharField(max_length=64, blank=True)
    token_created_at = models.DateTimeField(null=True, blank=True)
    # After a rotation the former token keeps working until previous_token_expires_at, so the IdP's settings can
    # be changed without a provisioning cycle failing in between.
    previous_token_hash = models.CharField(max_length=64, blank=True)
    previous_token_expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_request_at = models.DateTimeField(null=True, blank=True)
    # The connection's own group → role mapping, not a second one: SSO at sign-in and the IdP's group pushes then
    # give a person the same role and never undo each other. Null: groups change no role.
    role_connection = models.ForeignKey(
        Connection,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="role_directories",
        verbose_name="roles from the groups → roles of",
    )

    class Meta:
        ordering = ["display_name"]
        verbose_name = "SCIM directory"
        verbose_name_plural = "SCIM directories"

    def __str__(self):
        return f"{self.display_name} ({self.organization})"


class SCIMUser(models.Model):
    """A person as the directory's IdP provisions them; `attributes` is the SCIM resource as last written."""

    public_id = models.UUIDField("SCIM id", default=uuid.uuid4, unique=True, editable=False)
    directory = models.ForeignKey(SCIMDirectory, on_delete=models.CASCADE, related_name="users")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=512, blank=True)
    user_name = models.CharField(max_length=512)
    # userName is case-insensitive (RFC 7643 §4.1.1): filters and uniqueness use this lower-cased copy.
    user_name_key = models.CharField(max_length=512)
    email = models.EmailField(max_length=254, blank=True, help_text="The primary (or work, or first) email")
    display_name = models.CharField(max_length=512, blank=True)
    active = models.BooleanField(default=True)
    attributes = models.JSONField(default=dict)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="scim_users"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # A DELETE keeps the row, inactive, so the person stays deprovisioned; the SCIM API no longer finds it.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["directory", "user_name_key"],
                condition=models.Q(deleted_at__isnull=True),
                name="scim_user_name_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["directory", "external_id"]),
            models.Index(fields=["directory", "email"]),
            models.Index(fields=["organization", "user"]),
        ]
        ordering = ["created_at", "pk"]
        verbose_name = "SCIM user"

    def __str__(self):
        return self.user_name


class SCIMUserEmail(models.Model):
    """One of a SCIM user's emails, as filters read them: `emails.value eq` finds a secondary address too.

    Rewritten from `attributes` whenever a write changes the emails (directory/scim/users.py), in the same
    transaction. JSONField's `contains` would answer on PostgreSQL only, not on SQLite.
    """

    scim_user = models.ForeignKey(SCIMUser, on_delete=models.CASCADE, related_name="email_rows")
    # Lower-cased, as emails' value and type are not caseExact (RFC 7643 §4.1.2): filters compare lower-cased.
    value_key = models.CharField(max_length=254, blank=True)
    type = models.CharField(max_length=64, blank=True)
    primary = models.BooleanField(null=True, help_text="As sent: empty when the IdP did not say")

    class Meta:
        indexes = [models.Index(fields=["value_key"])]
        verbose_name = "SCIM user email"

    def __str__(self):
        return self.value_key


class SCIMGroup(models.Model):
    public_id = models.UUIDField("SCIM id", default=uuid.uuid4, unique=True, editable=False)
    directory = models.ForeignKey(SCIMDirectory, on_delete=models.CASCADE, related_name="groups")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=512, blank=True)
    display_name = models.CharField(max_length=512)
    display_name_key = models.CharField(max_length=512)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["directory", "display_name_key"], name="scim_group_name_unique"),
        ]
        ordering = ["created_at", "pk"]
        verbose_name = "SCIM group"

    def __str__(self):
        return self.display_name


class SCIMGroupMember(models.Model):
    group = models.ForeignKey(SCIMGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(SCIMUser, on_delete=models.CASCADE, related_name="group_memberships")
    display = models.CharField(max_length=512, blank=True, help_text="The member's display as the IdP sent it")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="scim_group_member_unique")]

    def __str__(self):
        return f"{self.user_id} in {self.group_id}"


class SCIMRequest(models.Model):
    """One SCIM request as the directory page lists it; the oldest are pruned (directory/tasks.py)."""

    directory = models.ForeignKey(SCIMDirectory, on_delete=models.CASCADE, related_name="requests")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    resource_kind = models.CharField(max_length=10, blank=True)
    resource_label = models.CharField(max_length=300, blank=True, help_text="The IdP's userName or displayName")
    error = models.TextField(blank=True, help_text="The SCIM error's detail: what was wrong and why")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "SCIM request"

    def __str__(self):
        return f"{self.method} {self.path} {self.status}"
