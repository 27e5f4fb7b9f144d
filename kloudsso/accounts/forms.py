from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from kloudsso.accounts.sso_enforcement import password_refusal

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path, and the User.email column
MAX_PASSWORD_LENGTH = 4096
LIMITS = {
    "username": (MAX_EMAIL_LENGTH, f"An email address has at most {MAX_EMAIL_LENGTH} characters."),
    "password": (MAX_PASSWORD_LENGTH, f"A password has at most {MAX_PASSWORD_LENGTH} characters here."),
}


class _PasswordSignInMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets the username's max_length after the field is built, which adds no validator: any
        # length reached the database (on SQLite, "LIKE or GLOB pattern too complex"), and the password had none.
        for name, (limit, message) in LIMITS.items():
            field = self.fields[name]
            field.max_length = limit
            field.validators.append(MaxLengthValidator(limit, message=message))
            field.widget.attrs["maxlength"] = str(limit)

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        refusal = password_refusal(user)
        if refusal:
            raise ValidationError(refusal, code="sso_required")


class EmailAuthenticationForm(_PasswordSignInMixin, AuthenticationForm):
    """Email and password, refused where an organization enforces SSO on the email's domain (owners excepted)."""


class AdminEmailAuthenticationForm(_PasswordSignInMixin, AdminAuthenticationForm):
    """The admin's sign-in obeys the same rule: staff status is no way around Enforce SSO."""
