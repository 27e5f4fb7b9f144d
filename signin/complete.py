"""What happens after any IdP has vouched for someone: checks, provisioning, the identity record.

Identity is keyed on (connection, subject). The email is an attribute: it must be on a domain the connection's
organization has verified, and it is only used to find a person the organization already knows (a member or an
invitation) the first time a subject is seen.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from connections.connection import Connection
from connections.identity import SSOIdentity
from directory.models import SCIMUser
from domains.selectors import verified_domain_for_email
from kloudsso.accounts import last_login
from kloudsso.tenancy.models import Invitation, Membership, ProvisioningMode, Role
from signin.errors import SignInError
from signin.relink import refusal, window_relink

MAX_EMAIL_LENGTH = 254
MAX_SUBJECT_LENGTH = 512
LAST_SIGNIN_PRECISION = timedelta(minutes=1)


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


def email_outside_org(org, email: str) -> str | None:
    """Why the organization cannot vouch for this email, or None when one of its verified domains routes it.

    The most specific verified domain decides, as on the email prompt: an organization that verified corp.test must
    not assert people of eu.corp.test that another organization verified. SSO and directory sync share this rule.
    """
    routed = verified_domain_for_email(email)
    if routed is not None and routed.organization_id == org.id:
        return None
    return _unverified_domain(org, email, routed)


def used_beyond(user, org) -> bool:
    """Whether an account reaches beyond this organization (memberships or identities elsewhere, staff rights): an
    IdP of this organization, through SSO or directory sync, must then never take it over."""
    return (
        user.is_staff
        or user.is_superuser
        or Membership.objects.filter(user=user).exclude(organization=org).exists()
        or SSOIdentity.objects.filter(user=user).exclude(connection__organization=org).exists()
    )


def _unverified_domain(org, email: str, routed) -> str:
    """Which domain arrived and which ones are verified: the usual mistake is an IdP sending the sign-in name (Entra
    ID's UPN on <tenant>.onmicrosoft.com) instead of the mailbox's address."""
    domain = email.rpartition("@")[2]
    verified = ", ".join(org.domains.filter(status="verified").values_list("name", flat=True)[:10]) or "none"
    said = f"{org.name} has not verified {domain} (the domain of {email}); its verified domains: {verified}."
    if routed is not None:
        said += " Another organization verified it."
    if domain.endswith(".onmicrosoft.com"):
        said += " It is Entra ID's initial domain: the IdP sends the user principal name, not the mailbox's address."
    return said


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
        raise SignInError(
            "bad_identity",
            "Your identity provider sent an identity we cannot use. Ask your admin.",
            f"The subject has {len(vouched.subject)} characters (at most {MAX_SUBJECT_LENGTH}) and the email "
            f"{len(email)} (at most {MAX_EMAIL_LENGTH}).",
        )
    outside = email_outside_org(org, email)
    if outside is not None:
        raise SignInError(
            "email_domain_not_verified",
            f"{email} is not on a domain your organization has verified for single sign-on. Ask your admin.",
            outside,
        )
    now = timezone.now()
    try:
        return _provisioned(vouched, org, email, now)
    except IntegrityError:
        # A concurrent first sign-in of the same person (a double click on another app server) committed the
        # account, the identity or the accepted invitation between this one's lookups and its writes: looked up
        # again, they are found.
        return _provisioned(vouched, org, email, now)


def _provisioned(vouched: Vouched, org, email: str, now):
    with transaction.atomic():
        identity = _known_identity(vouched, org)
        user, identity = _user_for(vouched, org, email, identity, now)
        _record_identity(vouched, identity, user, email, now)
        _note_success(vouched.connection, now)
    return user


def _note_success(connection, now) -> None:
    # The SSO settings ask whether a connection has ever worked; to the minute is plenty, and a busy connection's
    # row is then not written at every sign-in.
    last = connection.last_successful_signin_at
    if last is None or not timedelta(0) <= now - last < LAST_SIGNIN_PRECISION:
        Connection.objects.filter(pk=connection.pk).update(last_successful_signin_at=now)


def _known_identity(vouched: Vouched, org):
    """The identity of this subject, or of the key this connection gave the person before; with its user, and
    whether that user is a member of the organization (`user_is_member`)."""
    identity = _identity(vouched.connection, vouched.subject, org)
    if identity is None and vouched.former_subject:
        identity = _identity(vouched.connection, vouched.former_subject, org)
    return identity


def _user_for(vouched: Vouched, org, email: str, identity, now):
    """The person to sign in, and their identity on this connection when they have one."""
    if identity is not None:
        user, is_member, deprovisioned = identity.user, identity.user_is_member, identity.deprovisioned
    else:
        user = _with_membership(get_user_model().objects, org, "pk").filter(email__iexact=email).first()
        is_member = user is not None and user.is_member
        deprovisioned = user is not None and user.deprovisioned
        if user is not None:
            identity = _refuse_unsafe_link(user, vouched.connection, org, email, vouched.subject, is_member, now)
    if user is not None and not user.is_active:
        raise SignInError("account_disabled", detail=f"The account {user.email} is deactivated.")
    if deprovisioned:
        raise SignInError(
            "deprovisioned",
            detail=f"{user.email} is deactivated in {org.name}'s directory sync (its IdP set active to false or "
            "deleted the user).",
        )
    if is_member:
        return user, identity
    return _provision(org, email, user, now), identity


def _identity(connection, subject: str, org):
    identities = SSOIdentity.objects.select_related("user").filter(connection=connection, subject=subject)
    return _with_membership(identities, org, "user_id", name="user_is_member").first()


def _with_membership(queryset, org, user_column: str, *, name: str = "is_member"):
    # Asked in the same statement as the person: whether they are already a member of the connection's organization.
    # And whether the organization's directory sync deprovisioned them (directory.models.SCIMUser active false).
    members = Membership.objects.filter(user=OuterRef(user_column), organization=org)
    deprovisioned = SCIMUser.objects.filter(user=OuterRef(user_column), organization=org, active=False)
    return queryset.annotate(**{name: Exists(members), "deprovisioned": Exists(deprovisioned)})


def _record_identity(vouched: Vouched, identity, user, email: str, now) -> None:
    values = {"user": user, "email": email, "last_login_at": now}
    # Found by this sign-in, in this transaction, a re-keyed identity moves to the subject the IdP gives now; one an
    # owner removed since the lookup (nothing updated) is made again.
    found = identity is not None
    if found and SSOIdentity.objects.filter(pk=identity.pk).update(subject=vouched.subject, **values):
        return
    try:
        with transaction.atomic():  # a savepoint: a concurrent first sign-in of the same subject may win the insert
            SSOIdentity.objects.create(connection=vouched.connection, subject=vouched.subject, **values)
    except IntegrityError:  # it did: its identity takes this sign-in's values, as update_or_create would do
        SSOIdentity.objects.filter(connection=vouched.connection, subject=vouched.subject).update(**values)


def _refuse_unsafe_link(user, connection, org, email: str, subject: str, is_member: bool, now):
    """A new subject may take over an existing account only when that account is this organization's alone; or
    when it is a member's identity on this connection that an owner's re-link window moves to it (returned).

    Otherwise an IdP could reach an account that another organization, or support, relies on: memberships
    elsewhere, identities from other connections, staff rights. Such people sign in with their password instead.
    """
    linked = SSOIdentity.objects.filter(connection=connection, user=user).order_by("-last_login_at", "-pk").first()
    if linked is not None:
        # Another account at the IdP once had this email, or the IdP now names people differently: either way a
        # new subject does not inherit the account unless an owner re-links it (signin/relink.py tells which).
        if is_member and window_relink(linked, connection=connection, org=org, subject=subject, email=email, now=now):
            linked.user_is_member = True
            return linked
        raise refusal(linked, subject=subject, email=email, member=is_member)
    if used_beyond(user, org):
        raise SignInError(
            "account_exists",
            f"An account for {email} already exists and is used outside {org.name}. Sign in with its password, "
            "or ask support.",
            f"{email} has an account with access beyond {org.name}; it is not linked to an SSO identity.",
        )
    return None


def _provision(org, email: str, user, now):
    invitation = (
        Invitation.objects.select_for_update()
        .filter(organization=org, email__iexact=email, accepted_at__isnull=True)
        .first()
    )
    if invitation is None and org.provisioning_mode != ProvisioningMode.JUST_IN_TIME:
        if Membership.objects.filter(organization=org, user__email__iexact=email).exists():
            # A concurrent first sign-in accepted the invitation while this one waited on its lock: _complete asks
            # again, and finds the person a member.
            raise IntegrityError("the invitation was accepted by a concurrent sign-in")
        raise SignInError(
            "not_invited",
            f"You have not been invited to {org.name} yet. Ask your admin to invite {email}.",
            f"Invite only: {email} is neither a member nor invited.",
        )
    role = invitation.role if invitation else Role.MEMBER
    if user is None:
        # No usable password: SSO only. The sign-in's last_login goes in the INSERT (last_login.mark_saved).
        user = get_user_model().objects.create_user(email, last_login=now)
        last_login.mark_saved(user)
        Membership.objects.create(user=user, organization=org, role=role)  # an account this transaction created
    else:  # another tab's sign-in may have made the person a member since the lookup
        Membership.objects.get_or_create(user=user, organization=org, defaults={"role": role})
    if invitation is not None:
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    return user
