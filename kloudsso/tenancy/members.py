"""Members and invitations of one organization: reads and writes, always scoped to the organization."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from connections.identity import SSOIdentity
from kloudsso.tenancy.models import Invitation, Membership, Role


class MembershipError(ValueError):
    pass


def member_list(*, org) -> QuerySet[Membership]:
    # One query: memberships, their users and whether each has signed in with SSO through this organization.
    sso = SSOIdentity.objects.filter(user=OuterRef("user"), connection__organization=org)
    return (
        Membership.objects.filter(organization=org)
        .select_related("user")
        .annotate(uses_sso=Exists(sso))
        .order_by("user__email")
    )


def membership_get(*, org, public_id) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), organization=org, public_id=public_id)


def invitation_list(*, org) -> QuerySet[Invitation]:
    return Invitation.objects.filter(organization=org, accepted_at__isnull=True).select_related("invited_by")


def invitation_get(*, org, public_id) -> Invitation:
    return get_object_or_404(Invitation, organization=org, public_id=public_id, accepted_at__isnull=True)


def can_grant(actor: Membership, role: str) -> bool:
    """Owners grant any role; admins manage members and admins but never owners."""
    return actor.role == Role.OWNER or role != Role.OWNER


def invitation_create(*, org, actor: Membership, email: str, role: str) -> Invitation:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise MembershipError(f"{email!r} is not a valid email address.") from None
    if not can_grant(actor, role):
        raise MembershipError("Only owners can invite owners.")
    if Membership.objects.filter(organization=org, user__email__iexact=email).exists():
        raise MembershipError(f"{email} is already a member.")
    if Invitation.objects.filter(organization=org, email__iexact=email, accepted_at__isnull=True).exists():
        raise MembershipError(f"{email} has already been invited.")
    return Invitation.objects.create(organization=org, email=email, role=role, invited_by=actor.user)


def membership_set_role(*, org, actor: Membership, membership: Membership, role: str) -> None:
    if not (can_grant(actor, role) and can_grant(actor, membership.role)):
        raise PermissionDenied("Only owners can change an owner's role or make someone an owner.")
    with transaction.atomic():
        if membership.role == Role.OWNER and role != Role.OWNER:
            _refuse_last_owner(org, "demote")
        Membership.objects.filter(pk=membership.pk, organization=org).update(role=role)


def membership_remove(*, org, actor: Membership, membership: Membership) -> None:
    if not can_grant(actor, membership.role):
        raise PermissionDenied("Only owners can remove an owner.")
    with transaction.atomic():
        if membership.role == Role.OWNER:
            _refuse_last_owner(org, "remove")
        Membership.objects.filter(pk=membership.pk, organization=org).delete()


def _refuse_last_owner(org, verb: str) -> None:
    # Lock the owners' rows so two owners demoting each other at once cannot leave none.
    owners = list(Membership.objects.select_for_update().filter(organization=org, role=Role.OWNER))
    if len(owners) <= 1:
        raise MembershipError(f"You cannot {verb} the last owner. Make another member an owner first.")
