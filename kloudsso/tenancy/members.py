"""Members and invitations of one organization: reads and writes, always scoped to the organization."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from connections.identity import SSOIdentity
from kloudsso.audit.record import SYSTEM, Actor, Target, audit_record
from kloudsso.tenancy.models import Invitation, Membership, Role


class MembershipError(ValueError):
    pass


def member_list(*, org) -> QuerySet[Membership]:
    """One query: memberships, their users, and their SSO sign-ins through this organization's connections.

    The last sign-in shown is this organization's last SSO sign-in when there is one; a password sign-in is not
    tied to an organization, so for password users it is the account's last sign-in.
    """
    sso = SSOIdentity.objects.filter(user=OuterRef("user"), connection__organization=org)
    latest = sso.order_by(F("last_login_at").desc(nulls_last=True)).values("last_login_at")[:1]
    return (
        Membership.objects.filter(organization=org)
        .select_related("user")
        .annotate(uses_sso=Exists(sso), last_sso_login=Subquery(latest))
        .order_by("user__email")
    )


def membership_get(*, org, public_id) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), organization=org, public_id=public_id)


def invitation_list(*, org) -> QuerySet[Invitation]:
    return Invitation.objects.filter(organization=org, accepted_at__isnull=True).select_related("invited_by")


def invitation_get(*, org, public_id) -> Invitation:
    return get_object_or_404(Invitation, organization=org, public_id=public_id, accepted_at__isnull=True)


def can_grant(actor: Membership, role: str) -> bool:
    return can_grant_role(actor.role, role)


def can_grant_role(actor_role: str, role: str) -> bool:
    """Owners grant any role; admins manage members and admins but never owners."""
    return actor_role == Role.OWNER or role != Role.OWNER


def member_target(membership: Membership) -> Target:
    return Target("member", str(membership.public_id), membership.user.email)


def invitation_target(invitation: Invitation) -> Target:
    return Target("invitation", str(invitation.public_id), invitation.email)


def invitation_create(*, org, actor: Membership, email: str, role: str, by: Actor = SYSTEM) -> Invitation:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise MembershipError(f"{email!r} is not a valid email address.") from None
    if not can_grant(actor, role):
        raise MembershipError("Only owners can invite owners.")
    if Membership.objects.filter(organization=org, user__email__iexact=email).exists():
        raise MembershipError(f"{email} is already a member.")
    already = MembershipError(f"{email} has already been invited.")
    if Invitation.objects.filter(organization=org, email__iexact=email, accepted_at__isnull=True).exists():
        raise already
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(organization=org, email=email, role=role, invited_by=actor.user)
            audit_record(
                org=org,
                actor=by,
                action="invitation.created",
                target=invitation_target(invitation),
                changes={"email": [None, email], "role": [None, role]},
            )
            return invitation
    except IntegrityError:  # the same invitation sent twice at once
        raise already from None


def invitation_revoke(*, org, actor: Membership, invitation: Invitation, by: Actor = SYSTEM) -> None:
    if not can_grant(actor, invitation.role):
        raise MembershipError("Only owners can revoke an invitation to become an owner.")
    with transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk, organization=org).delete()
        audit_record(
            org=org,
            actor=by,
            action="invitation.revoked",
            target=invitation_target(invitation),
            changes={"email": [invitation.email, None], "role": [invitation.role, None]},
        )


def membership_set_role(*, org, actor: Membership, membership: Membership, role: str, by: Actor = SYSTEM) -> None:
    with transaction.atomic():
        owners, actor_role = _lock(org, actor)
        if not (can_grant_role(actor_role, role) and can_grant_role(actor_role, membership.role)):
            raise MembershipError("Only owners can change an owner's role or make someone an owner.")
        if membership.role == Role.OWNER and role != Role.OWNER and owners <= 1:
            raise MembershipError(LAST_OWNER.format(verb="demote"))
        Membership.objects.filter(pk=membership.pk, organization=org).update(role=role)
        if role != membership.role:
            audit_record(
                org=org,
                actor=by,
                action="member.role_changed",
                target=member_target(membership),
                changes={"role": [membership.role, role]},
            )


def membership_remove(*, org, actor: Membership, membership: Membership, by: Actor = SYSTEM) -> None:
    with transaction.atomic():
        owners, actor_role = _lock(org, actor)
        if not can_grant_role(actor_role, membership.role):
            raise MembershipError("Only owners can remove an owner.")
        if membership.role == Role.OWNER and owners <= 1:
            raise MembershipError(LAST_OWNER.format(verb="remove"))
        Membership.objects.filter(pk=membership.pk, organization=org).delete()
        audit_record(
            org=org,
            actor=by,
            action="member.removed",
            target=member_target(membership),
            changes={"role": [membership.role, None]},
        )


LAST_OWNER = "You cannot {verb} the last owner. Make another member an owner first."


def _lock(org, actor: Membership) -> tuple[int, str]:
    """Lock the owners' rows and the actor's, in one statement and in pk order (no deadlock between two owners).

    Returns the number of owners and the actor's role as it is now, not as it was when the request began: an owner
    demoted a moment ago must not still grant ownership.
    """
    rows = list(
        Membership.objects.select_for_update()
        .filter(Q(role=Role.OWNER) | Q(pk=actor.pk), organization=org)
        .order_by("pk")
        .values_list("pk", "role")
    )
    actor_role = next((role for pk, role in rows if pk == actor.pk), None)
    if actor_role is None:
        raise MembershipError("You are no longer a member of this organization.")
    return sum(1 for _, role in rows if role == Role.OWNER), actor_role
