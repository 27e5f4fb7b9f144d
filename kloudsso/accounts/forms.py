from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.views.decorators.debug import sensitive_variables

from directory.selectors import password_deprovisioned
from kloudsso.accounts import password_throttle
from kloudsso.accounts.models import PasswordThrottleEvent
from kloudsso.accounts.sso_enforcement import password_refusal
from signin.outcome import signin_ended

# A refused password sign-in's code, as the metrics and the log line name it: AuthenticationForm's own
# (invalid_login also for a non-staff account at the admin), and ours.
PASSWORD_CODES = frozenset({"invalid_login", "inactive", "sso_required", "throttled", "deprovisioned"})
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path, and the User.email column
MAX_PASSWORD_LENGTH = 4096
LIMITS = {
    "username": (MAX_EMAIL_LENGTH, f"An email address has at most {MAX_EMAIL_LENGTH} characters."),
    "password": (MAX_PASSWORD_LENGTH, f"A password has at most {MAX_PASSWORD_LENGTH} characters here."),
}


class _PasswordSignInMixin:
    page = PasswordThrottleEvent.Page.SITE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets the username's max_length after the field is built, which adds no validator: any
        # length reached the database (on SQLite, "LIKE or GLOB pattern too complex"), and the password had none.
        for name, (limit, message) in LIMITS.items():
            field = self.fields[name]
            field.max_length = limit
            field.validators.append(MaxLengthValidator(limit, message=message))
            field.widget.attrs["maxlength"] = str(limit)

    @sensitive_variables("password")
    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is None or not password:  # a field error: nothing will be checked
            return super().clean()
        # Counted before the password is checked, so guesses sent together get no more checks than the policy.
        attempt = password_throttle.begin(self.request, email=email, page=self.page)
        if attempt.refusal:
            signin_ended(self.request, protocol="password", code="throttled")
            raise ValidationError(attempt.refusal, code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError as exc:
            if self.user_cache is None:  # the password was wrong (not a right one refused for SSO or staff status)
                attempt.failed()
            else:
                attempt.abandoned()
            code = getattr(exc, "code", None)
            signin_ended(self.request, protocol="password", code=code if code in PASSWORD_CODES else "invalid_login")
            raise
        except BaseException:
            attempt.abandoned()  # an error is no wrong password
            raise
        attempt.succeeded(self.user_cache)
        signin_ended(self.request, protocol="password")
        return cleaned

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        deprovisioned = password_deprovisioned(user=user)
        if deprovisioned is not None:
            # Directory sync links only accounts that belong to its organization alone; one invited elsewhere since
            # keeps its password for there (tenancy/access.py keeps it out of the deprovisioning organization).
            raise ValidationError(
                f"Your access to {deprovisioned.organization.name} has been removed by its identity provider. "
                "Ask your admin.",
                code="deprovisioned",
            )
        refusal = password_refusal(user)
        if refusal:
            raise ValidationError(refusal, code="sso_required")


class EmailAuthenticationForm(_PasswordSignInMixin, AuthenticationForm):
    """Email and password, refused where an organization enforces SSO on the email's domain (owners excepted)."""


class AdminEmailAuthenticationForm(_PasswordSignInMixin, AdminAuthenticationForm):
    """The admin's sign-in obeys the same rules: staff status is no way around Enforce SSO, and it shares the
    site's password throttle, so two pages give no more guesses than one."""

    page = PasswordThrottleEvent.Page.ADMIN
