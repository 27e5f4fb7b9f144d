from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from domains.selectors import verified_domain_for_email
from kloudsso.tenancy.models import Membership, Role


class EmailAuthenticationForm(AuthenticationForm):
    """Email and password, refused for people whose organization enforces SSO on their domain (owners excepted)."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        domain = verified_domain_for_email(user.email)
        if domain is None:
            return
        org = domain.organization
        if not (org.enforce_sso and org.has_sso):
            return
        if Membership.objects.filter(user=user, organization=org, role=Role.OWNER).exists():
            return  # break-glass: owners keep their password
        raise ValidationError(
            f"{org.name} requires single sign-on for {domain.name} addresses. Use “Sign in with SSO” instead of "
            "your password.",
            code="sso_required",
        )
