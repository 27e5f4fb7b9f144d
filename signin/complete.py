"""What happens after any IdP has vouched for someone: checks, provisioning, the identity record.

Identity is keyed on (connection, subject). The email is an attribute: it must be on a domain the connection's
organization has verified, and it is only used to find a person the organization already knows (a member or an
invitation) the first time a subject is seen.

At every sign-in, for both protocols: the names the IdP sent are written to the account (signin/person.py) and the
connection's groups → roles mapping sets the person's role or refuses them (signin/roles.py), owners excepted.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from connections.connection import Connection
from connections.identity import SSOIdentity
from connections.role_mapping import role_mapping_of
from directory.models import SCIMUser
from domains.selectors import verified_domain_for_email
from kloudsso.accounts import last_login
from kloudsso.audit.record import SYSTEM, Actor, Target, audit_record
from kloudsso.tenancy.models import Invitation, Membership, ProvisioningMode, Role
from signin.errors import SignInError
from signin.person import Names, groups_of, names_of
from signin.relink import refusal, window_relink
from signin.roles import RoleDecision, decide

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
    userinfo: dict = field(default_factory=dict)  # OIDC: the UserInfo response, when it was fetched (names only)


@dataclass(frozen=True)
class SignedIn:
    """Who signs in, and what the sign-in decided of them (for Test connection)."""

    user: object
    role: str  # their role in the organization after this sign-in
    decision: RoleDecision
    names: Names
    names_kept: bool  # the names the IdP sent were not written: the person belongs to other organizations too


@dataclass
class _Person:
    user: object
    identity: object
    role: str
    elsewhere: bool  # a member of other organizations as well


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
            plan_detail(connection.organization),
        )


def plan_detail(org) -> str:
    return f"{org.name} is on the {org.get_plan_display()} plan; single sign-on needs the paid plan."


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
    return complete_sign_in_explained(vouched).user


def complete_sign_in_explained(vouched: Vouched) -> SignedIn:
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


def _group_ids_only(connection) -> bool:
    """Entra /organizations/: any allowed tenant's admins name their groups and assign app roles as they like; a
    group's object ID is the one value they cannot copy."""
    return connection.kind == "oidc" and connection.oidc.entra_multi_tenant


def _provisioned(vouched: Vouched, org, email: str, now) -> SignedIn:
    names = names_of(vouched)
    mapping = role_mapping_of(vouched.connection)
    ids_only = _group_ids_only(vouched.connection)
    groups = groups_of(vouched, claim="groups" if ids_only else (mapping.groups_claim if mapping else ""))
    with transaction.atomic():
        identity = _known_identity(vouched, org)
        person = _user_for(vouched, org, email, identity, now, names)
        decision = decide(mapping, groups, person.role, org_name=org.name, group_ids_only=ids_only)
        role = _apply_role(vouched.connection, org, person, decision)
        _apply_names(person, names)
        _record_identity(vouched, person.identity, person.user, email, now)
        _note_success(vouched.connection, now)
    return SignedIn(person.user, role, decision, names, names_kept=person.elsewhere)


def _apply_names(person: _Person, names: Names) -> None:
    """Names are the account's, not the organization's: an IdP renames only a person who belongs to its
    organization alone, so one organization's directory never renames someone another organization also knows."""
    changes = {} if person.elsewhere else names.changes_for(person.user)
    if changes:
        get_user_model().objects.filter(pk=person.user.pk).update(**changes)
        for name, value in changes.items():
            setattr(person.user, name, value)


def _apply_role(connection, org, person: _Person, decision: RoleDecision) -> str:
    if decision.role is None or decision.role == person.role:
        return person.role
    membership = Membership.objects.filter(user=person.user, organization=org).exclude(role=Role.OWNER)
    public_id = membership.values_list("public_id", flat=True).first()
    if public_id is None or not membership.update(role=decision.role):
        return person.role  # made an owner meanwhile: never touched
    audit_record(
        org=org,
        actor=Actor(user=None, kind=SYSTEM.kind, name=f"{connection.display_name} (IdP groups)"),
        action="member.role_set_by_groups",
        target=Target("member", str(public_id), person.user.email),
        changes={"role": [person.role, decision.role], "because": [None, decision.words]},
    )
    return decision.role


def _note_success(connection, now) -> None:
    # The SSO settings ask whether a connection has ever worked; to the minute is plenty, and a busy connection's
    # row is then not written at every sign-in.
    last = connection.last_successful_signin_at
    if last is None or not timedelta(0) <= now - last < LAST_SIGNIN_PRECISION:
        Connection.objects.filter(pk=connection.pk).update(last_successful_signin_at=now)


def _known_identity(vouched: Vouched, org):
    """The identity of this subject, or of the key this connection gave the person before; with its user, and
    their role in the organization (`user_role`, None when not a member) and whether they belong to others too."""
    identity = _identity(vouched.connection, vouched.subject, org)
    if identity is None and vouched.former_subject:
        identity = _identity(vouched.connection, vouched.former_subject, org)
    return identity


def _user_for(vouched: Vouched, org, email: str, identity, now, names: Names) -> _Person:
    """The person to sign in, their identity on this connection when they have one, and their role."""
    if identity is not None:
        user, role, elsewhere = identity.user, identity.user_role, identity.user_elsewhere
        deprovisioned = identity.user_deprovisioned
    else:
        user = _with_membership(get_user_model().objects, org, "pk").filter(email__iexact=email).first()
        role, elsewhere = (user.role, user.elsewhere) if user is not None else (None, False)
        deprovisioned = user is not None and user.deprovisioned
        if user is not None:
            identity = _refuse_unsafe_link(user, vouched.connection, org, email, vouched.subject, bool(role), now)
    if user is not None and not user.is_active:
        raise SignInError("account_disabled", detail=f"The account {user.email} is deactivated.")
    if deprovisioned:
        raise SignInError(
            "deprovisioned",
            detail=f"{user.email} is deactivated in {org.name}'s directory sync (its IdP set active to false or "
            "deleted the user).",
        )
    if role:
        return _Person(user, identity, role, elsewhere)
    user, role = _provision(org, email, user, now, names)
    return _Person(user, identity, role, elsewhere)


def _identity(connection, subject: str, org):
    identities = SSOIdentity.objects.select_related("user").filter(connection=connection, subject=subject)
    return _with_membership(identities, org, "user_id", prefix="user_").first()


def _with_membership(queryset, org, user_column: str, *, prefix: str = ""):
    # Asked in the same statement as the person: their role in the connection's organization (None: not a member),
    # whether they belong to other organizations too (their names are then not the IdP's to change), and whether
    # the organization's directory sync deprovisioned them (directory.models.SCIMUser active false).
    person = OuterRef(user_column)
    role = Membership.objects.filter(user=person, organization=org).values("role")[:1]
    others = Membership.objects.filter(user=person).exclude(organization=org)
    deprovisioned = SCIMUser.objects.filter(user=person, organization=org, active=False)
    return queryset.annotate(
        **{
            f"{prefix}role": Subquery(role),
            f"{prefix}elsewhere": Exists(others),
            f"{prefix}deprovisioned": Exists(deprovisioned),
        }
    )


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
            linked.user_role, linked.user_elsewhere = user.role, user.elsewhere
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


def _provision(org, email: str, user, now, names: Names):
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
        user = get_user_model().objects.create_user(email, last_login=now, **names.given())
        last_login.mark_saved(user)
        Membership.objects.create(user=user, organization=org, role=role)  # an account this transaction created
    else:  # another tab's sign-in may have made the person a member since the lookup
        membership, _ = Membership.objects.get_or_create(user=user, organization=org, defaults={"role": role})
        role = membership.role
    if invitation is not None:
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    return user, role
