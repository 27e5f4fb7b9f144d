"""Reads, each scoped in the query: by the organization (owner pages) or by the authenticated directory (SCIM)."""

from django.shortcuts import get_object_or_404

from directory.models import SCIMDirectory, SCIMGroup, SCIMRequest, SCIMUser
from kloudsso.tenancy.models import Membership


def directory_list(*, org):
    return SCIMDirectory.objects.filter(organization=org)


def directory_get(*, org, public_id) -> SCIMDirectory:
    return get_object_or_404(
        SCIMDirectory.objects.select_related("organization"), organization=org, public_id=public_id
    )


def scim_user_list(*, directory):
    return SCIMUser.objects.filter(
        directory=directory, organization_id=directory.organization_id, deleted_at__isnull=True
    )


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
