"""What happens after any IdP has vouched for someone: checks, provisioning, the identity record.

Identity is keyed on (connection, subject). The email is an attribute: it must be on a domain the connection's
organization has verified, and it is only used to find a person the organization already knows (a member or an
invitation) the first time a subject is seen.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from connections.connection import Connection
from connections.identity import SSOIdentity
from domains.selectors import org_covers_email
from kloudsso.tenancy.models import Invitation, Membership, ProvisioningMode, Role


class SignInError(Exception):
    """A refused sign-in: `message` is for the person signing in; `detail` is for the organization's owners."""

    def __init__(self, code: str, message: str, detail: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class Vouched:
    """What the IdP asserted, already verified by the protocol's own checks."""

    connection: Connection
    subject: str
    email: str | None
    claims: dict = field(default_factory=dict)


def check_connection_usable(connection: Connection) -> None:
    """A disabled connection or a downgraded plan stops sign-ins at once, mid-flow included."""
    if not connection.enabled:
        raise SignInError(
            "connection_disabled",
            "Single sign-on through this connection is turned off. Ask your organization's admin.",
            f"The connection {connection.display_name} is disabled.",
        )
    if not connection.organization.has_sso:
        raise SignInError(
            "plan_not_paid",
            "Single sign-on is not available for your organization. Ask your organization's admin.",
            "Single sign-on needs the paid plan.",
        )


def complete_sign_in(vouched: Vouched):
    """The user to sign in, after the domain and provisioning rules; raises SignInError otherwise."""
    connection = vouched.connection
    check_connection_usable(connection)
    org = connection.organization
    email = (vouched.email or "").strip().lower()
    if not email:
        raise SignInError(
            "no_email",
            "Your identity provider did not send your email address, so we cannot sign you in. Ask your admin.",
            "No usable email in the IdP's answer.",
        )
    if not org_covers_email(org=org, email=email):
        raise SignInError(
            "email_domain_not_verified",
            f"{email} is not on a domain your organization has verified for single sign-on. Ask your admin.",
            f"{org.name} has not verified the domain of {email}.",
        )
    with transaction.atomic():
        user = _user_for(vouched, org, email)
        now = timezone.now()
        SSOIdentity.objects.update_or_create(
            connection=connection,
            subject=vouched.subject,
            defaults={"user": user, "email": email, "last_login_at": now},
        )
        Connection.objects.filter(pk=connection.pk).update(last_successful_signin_at=now)
    return user


def _user_for(vouched: Vouched, org, email: str):
    identity = (
        SSOIdentity.objects.select_related("user")
        .filter(connection=vouched.connection, subject=vouched.subject)
        .first()
    )
    if identity is not None:
        user = identity.user
    else:
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is not None and SSOIdentity.objects.filter(connection=vouched.connection, user=user).exists():
            # Another account at the IdP once had this email: a reused address must not inherit the account.
            raise SignInError(
                "email_reused",
                "This email address belongs to another account at your identity provider. Ask your admin.",
                f"{email} is already linked to a different subject of this connection.",
            )
    if user is not None and Membership.objects.filter(user=user, organization=org).exists():
        return user
    return _provision(org, email, user)


def _provision(org, email: str, user):
    invitation = (
        Invitation.objects.select_for_update()
        .filter(organization=org, email__iexact=email, accepted_at__isnull=True)
        .first()
    )
    if invitation is None and org.provisioning_mode != ProvisioningMode.JUST_IN_TIME:
        raise SignInError(
            "not_invited",
            f"You have not been invited to {org.name} yet. Ask your admin to invite {email}.",
            f"Invite only: {email} is neither a member nor invited.",
        )
    if user is None:
        user = get_user_model().objects.create_user(email)  # no usable password: SSO only
    role = invitation.role if invitation else Role.MEMBER
    Membership.objects.get_or_create(user=user, organization=org, defaults={"role": role})
    if invitation is not None:
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    return user
