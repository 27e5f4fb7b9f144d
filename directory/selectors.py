"""Reads, each scoped in the query: by the organization (owner pages) or by the authenticated directory (SCIM)."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Subquery
from django.shortcuts import get_object_or_404

from directory.models import SCIMDirectory, SCIMGroup, SCIMRequest, SCIMUser
from kloudsso.tenancy.models import Membership, Role


def directory_list(*, org):
    return SCIMDirectory.objects.filter(organization=org)


def directory_get(*, org, public_id) -> SCIMDirectory:
    return get_object_or_404(
        SCIMDirectory.objects.select_related("organization", "role_connection__role_mapping"),
        organization=org,
        public_id=public_id,
    )


def scim_user_list(*, directory):
    return SCIMUser.objects.filter(
        directory=directory, organization_id=directory.organization_id, deleted_at__isnull=True
    )


def scim_people_list(*, directory):
    """The directory's people with their linked account and their role in the organization (None: not a member)."""
    role = Membership.objects.filter(user_id=OuterRef("user_id"), organization_id=directory.organization_id)
    return scim_user_list(directory=directory).select_related("user").annotate(role=Subquery(role.values("role")[:1]))


def scim_user_get(*, directory, public_id) -> SCIMUser | None:
    found = scim_user_list(directory=directory).select_related("user").filter(public_id=public_id).first()
    return _owned(found, directory)


def scim_group_list(*, directory):
    return SCIMGroup.objects.filter(directory=directory, organization_id=directory.organization_id)


def scim_group_get(*, directory, public_id) -> SCIMGroup | None:
    return _owned(scim_group_list(directory=directory).filter(public_id=public_id).first(), directory)


def _owned(resource, directory):
    # Found through the directory, so its directory and organization are the ones in hand: no query for them.
    if resource is not None:
        resource.directory, resource.organization = directory, directory.organization
    return resource


def scim_request_list(*, directory, limit: int = 50):
    return SCIMRequest.objects.filter(directory=directory)[:limit]


def password_deprovisioned(*, user) -> SCIMUser | None:
    """The record that deprovisioned this account, when no organization it still belongs to lets it in: a password
    then opens nothing (one statement, two more only for a deprovisioned person)."""
    record = SCIMUser.objects.filter(user=user, active=False).select_related("organization").first()
    if record is None:
        return None
    gone = SCIMUser.objects.filter(user=user, active=False).values("organization_id")
    if Membership.objects.filter(user=user).exclude(organization_id__in=gone).exists():
        return None
    return record


@dataclass(frozen=True)
class DirectoryDeletion:
    """What deleting a directory does, as its confirmation page states it and as the delete then does it.

    Its SCIM records go, and with them the inactive rows that keep deprovisioned people out (tenancy/access.py,
    signin/complete.py, password_deprovisioned): so the people it deprovisioned lose their membership instead, or
    the delete would silently let them back in. Owners are never removed (an IdP's word never locks the
    organization out), and a person another directory of the organization also provisions is that directory's.
    """

    people: int  # SCIM users, those the IdP deleted (kept inactive) included
    idp_deleted: int
    groups: int
    requests: int
    removed: list  # memberships of the people it deprovisioned, which the delete removes
    owners_kept: list  # deprovisioned here, but owners
    elsewhere_kept: int  # deprovisioned here, also provisioned by another directory of the organization
    staying: int  # members it provisioned and left active: they stay members


def directory_deletion(*, directory, lock: bool = False) -> DirectoryDeletion:
    """lock=True (inside the delete's transaction): the directory's people are read as they are now and no SCIM
    request changes them before the delete ends, so nobody deprovisioned meanwhile keeps a membership."""
    users = SCIMUser.objects.filter(directory=directory, organization_id=directory.organization_id)
    if lock:
        list(users.select_for_update().values_list("pk", flat=True))
    deprovisioned = users.filter(active=False, user__isnull=False).values("user_id")
    members = Membership.objects.filter(organization_id=directory.organization_id)
    others = SCIMUser.objects.filter(organization_id=directory.organization_id, user=OuterRef("user")).exclude(
        directory=directory
    )
    affected = members.filter(user__in=deprovisioned).annotate(elsewhere=Exists(others))
    if lock:
        affected = affected.select_for_update(of=("self",))  # no role change (to owner) before the delete ends
    affected = list(affected.select_related("user").order_by("user__email"))
    active = users.filter(active=True, user__isnull=False).values("user_id")
    return DirectoryDeletion(
        people=users.count(),
        idp_deleted=users.filter(deleted_at__isnull=False).count(),
        groups=SCIMGroup.objects.filter(directory=directory).count(),
        requests=SCIMRequest.objects.filter(directory=directory).count(),
        removed=[m for m in affected if m.role != Role.OWNER and not m.elsewhere],
        owners_kept=[m for m in affected if m.role == Role.OWNER],
        elsewhere_kept=sum(1 for m in affected if m.role != Role.OWNER and m.elsewhere),
        staying=members.filter(user__in=active).exclude(user__in=deprovisioned).count(),
    )
