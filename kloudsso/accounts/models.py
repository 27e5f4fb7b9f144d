"""People. Email is the sign-in identifier; SSO identities will be their own model keyed on (connection, subject)."""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True, help_text="The display name.")
    # Filled from the IdP's claims at each SSO sign-in (signin/person.py), as the display name is.
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("support staff", default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Raised to end every session of the person at once, on every app server (directory sync's deprovisioning):
    # Django compares each session's hash with get_session_auth_hash on every request, with the user it loads anyway.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def _get_session_auth_hash(self, secret=None):
        if not self.session_generation:  # Django's own value: sessions from before the field existed stay valid
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        value = f"{self.password}\x00{self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class PasswordThrottleEvent(models.Model):
    """A lock on password sign-in starting, after repeated wrong passwords for an account, from an address or from
    one of an account's known devices (kloudsso.accounts.password_throttle).

    Shown to support in the admin, not to owners as a SignInEvent: it concerns a person's account (which may
    belong to several organizations, or to none, or not exist), not one organization's SSO connection.
    """

    class Scope(models.TextChoices):
        ACCOUNT = "account", "Account"
        IP = "ip", "IP address"
        DEVICE = "device", "Known device"

    class Page(models.TextChoices):
        SITE = "site", "Site sign-in"
        ADMIN = "admin", "Admin sign-in"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    email = models.CharField(
        max_length=254,
        help_text="As the throttle counts it (Unicode-normalized, case-folded): it may match no account.",
    )
    ip = models.CharField("IP address", max_length=45, blank=True)
    page = models.CharField(max_length=10, choices=Page.choices)
    locked_until = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "password sign-in lock"
        permissions = [("lift_passwordthrottleevent", "Can lift password sign-in locks")]

    def __str__(self):
        return f"{self.get_scope_display()} lock for {self.email} from {self.ip or 'unknown address'}"
