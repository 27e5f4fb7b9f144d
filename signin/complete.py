"""What happens after any IdP has vouched for someone: checks, provisioning, the identity record.

Identity is keyed on (connection, subject). The email is an attribute: it must be on a domain the connection's
organization has verified, and it is only used to find a person the organization already knows (a member or an
invitation) the first time a subject is seen.
"""

import logging
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from connections.connection import Connection
from connections.identity import SSOIdentity
from domains.selectors import verified_domain_for_email
from kloudsso.tenancy.models import Invitation, Membership, ProvisioningMode, Role
from signin.errors import SignInError

MAX_EMAIL_LENGTH = 254
MAX_SUBJECT_LENGTH = 512


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Vouched:
    """What the IdP asserted, already verified by the protocol's own checks."""

    connection: Connection
    subject: str
    email: str | None
    claims: dict = field(default_factory=dict)
    email_note: str = ""  # where the email came from, or what was looked for
    email_unverified: str = ""  # an address the IdP said is not verified (so it is not `email` by any route)
    former_subject: str = ""  # the key this connection gave the person before, moved to `subject` when found


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
    try:
        return _complete(vouched)
    except SignInError as exc:
        # For operators: the sign-in event records it for the owners, the log for whoever runs the servers.
        logger.warning(
            "SSO sign-in refused via connection %s: %s %s", vouched.connection.public_id, exc.code, exc.detail
        )
        raise


def _complete(vouched: Vouched):
    connection = vouched.connection
    check_connection_usable(connection)
    org = connection.organization
    email = (vouched.email or "").strip().lower()
    if not email and vouched.email_unverified:
        raise SignInError(
            "email_not_verified",
            "Your identity provider says your email address is not verified, so we cannot sign you in. Ask your admin.",
            f"The IdP says {vouched.email_unverified} is not verified ({vouched.email_note}).",
        )
    if not email:
        raise SignInError(
            "no_email",
            "Your identity provider did not send your email address, so we cannot sign you in. Ask your admin.",
            f"No usable email in the IdP's answer ({vouched.email_note or 'nothing found'}). Received: "
            f"{', '.join(sorted(map(str, vouched.claims))) or 'nothing'}.",
        )
    if len(email) > MAX_EMAIL_LENGTH or len(vouched.subject) > MAX_SUBJECT_LENGTH:
        raise SignInError("bad_identity", "Your identity provider sent an identity we cannot use. Ask your admin.")
    routed = verified_domain_for_email(email)
    if routed is None or routed.organization_id != org.id:
        # The most specific verified domain decides, as on the email prompt: an organization that verified
        # corp.test must not assert people of eu.corp.test that another organization verified.
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
    identity = _identity(vouched.connection, vouched.subject)
    if identity is None and vouched.former_subject:
        identity = _identity(vouched.connection, vouched.former_subject)
        if identity is not None:  # the same person, as this connection keyed them before
            identity.subject = vouched.subject
            identity.save(update_fields=["subject"])
    if identity is not None:
        user = identity.user
    else:
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is not None:
            _refuse_unsafe_link(user, vouched.connection, org, email)
    if user is not None and not user.is_active:
        raise SignInError("account_disabled", detail=f"The account {user.email} is deactivated.")
    if user is not None and Membership.objects.filter(user=user, organization=org).exists():
        return user
    return _provision(org, email, user)


def _identity(connection, subject: str):
    return SSOIdentity.objects.select_related("user").filter(connection=connection, subject=subject).first()


def _refuse_unsafe_link(user, connection, org, email: str) -> None:
    """A new subject may take over an existing account only when that account is this organization's alone.

    Otherwise an IdP could reach an account that another organization, or support, relies on: memberships
    elsewhere, identities from other connections, staff rights. Such people sign in with their password instead.
    """
    if SSOIdentity.objects.filter(connection=connection, user=user).exists():
        # Another account at the IdP once had this email: a reused address must not inherit the account.
        raise SignInError(
            "email_reused",
            "This email address belongs to another account at your identity provider. Ask your admin.",
            f"{email} is already linked to a different subject of this connection.",
        )
    elsewhere = (
        user.is_staff
        or user.is_superuser
        or Membership.objects.filter(user=user).exclude(organization=org).exists()
        or SSOIdentity.objects.filter(user=user).exclude(connection__organization=org).exists()
    )
    if elsewhere:
        raise SignInError(
            "account_exists",
            f"An account for {email} already exists and is used outside {org.name}. Sign in with its password, "
            "or ask support.",
            f"{email} has an account with access beyond {org.name}; it is not linked to an SSO identity.",
        )


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
