from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from kloudsso.accounts.sso_enforcement import password_refusal


class _EnforceSSOMixin:
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        refusal = password_refusal(user)
        if refusal:
            raise ValidationError(refusal, code="sso_required")


class EmailAuthenticationForm(_EnforceSSOMixin, AuthenticationForm):
    """Email and password, refused where an organization enforces SSO on the email's domain (owners excepted)."""


class AdminEmailAuthenticationForm(_EnforceSSOMixin, AdminAuthenticationForm):
    """The admin's sign-in obeys the same rule: staff status is no way around Enforce SSO."""
