"""Owners' changes to directories: add, rotate the token (with an overlap), revoke, delete, where roles come from;
each audited."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from directory.audit import directory_target
from directory.models import SCIMDirectory
from directory.roles import roles_apply_all
from directory.selectors import DirectoryDeletion, directory_deletion
from directory.tokens import token_new
from kloudsso.audit.record import SECRET_CHANGED, audit_record, audit_record_each
from kloudsso.tenancy.members import member_target
from kloudsso.tenancy.models import Membership

BATCH = 500


def directory_create(*, org, actor, display_name: str, idp_kind: str) -> tuple[SCIMDirectory, str]:
    """The new directory and its token, which is shown once and never stored."""
    token, digest = token_new()
    with transaction.atomic():
        directory = SCIMDirectory.objects.create(
            organization=org,
            display_name=display_name,
            idp_kind=idp_kind,
            token_hash=digest,
            token_created_at=timezone.now(),
        )
        audit_record(
            org=org,
            actor=actor,
            action="directory.added",
            target=directory_target(directory),
            changes={"display_name": [None, display_name], "idp_kind": [None, idp_kind], "token": SECRET_CHANGED},
        )
    return directory, token


def directory_token_rotate(*, directory: SCIMDirectory, actor) -> str:
    """A new token; the current one keeps working for SCIM_TOKEN_OVERLAP_HOURS (not a revoked one)."""
    token, digest = token_new()
    now = timezone.now()
    with transaction.atomic():
        if directory.revoked_at is None and directory.token_hash:
            directory.previous_token_hash = directory.token_hash
            directory.previous_token_expires_at = now + timedelta(hours=settings.SCIM_TOKEN_OVERLAP_HOURS)
        else:
            directory.previous_token_hash, directory.previous_token_expires_at = "", None
        directory.token_hash, directory.token_created_at, directory.revoked_at = digest, now, None
        directory.save(
            update_fields=[
                "previous_token_hash",
                "previous_token_expires_at",
                "token_hash",
                "token_created_at",
                "revoked_at",
            ]
        )
        audit_record(
            org=directory.organization,
            actor=actor,
            action="directory.token_rotated",
            target=directory_target(directory),
            changes={"token": SECRET_CHANGED},
        )
    return token


def directory_token_revoke(*, directory: SCIMDirectory, actor) -> None:
    """Every token of the directory stops working at once; its users and groups stay as they are."""
    with transaction.atomic():
        directory.token_hash = directory.previous_token_hash = ""
        directory.previous_token_expires_at = None
        directory.revoked_at = timezone.now()
        directory.save(update_fields=["token_hash", "previous_token_hash", "previous_token_expires_at", "revoked_at"])
        audit_record(
            org=directory.organization,
            actor=actor,
            action="directory.revoked",
            target=directory_target(directory),
            changes={"token": SECRET_CHANGED},
        )


def directory_delete(*, directory: SCIMDirectory, actor) -> DirectoryDeletion | None:
    """The directory, its tokens, SCIM users, groups and request log go, and the people it deprovisioned lose their
    membership (directory/selectors.py says why, and who is spared); all or nothing. None: it was already gone."""
    org = directory.organization
    with transaction.atomic():
        # Locked first: a SCIM request that would add a person to it waits, then finds it gone.
        if not SCIMDirectory.objects.select_for_update().filter(pk=directory.pk, organization=org).exists():
            return None
        deletion = directory_deletion(directory=directory, lock=True)
        removed = [m.pk for m in deletion.removed]
        for start in range(0, len(removed), BATCH):  # SQLite caps a statement's parameters
            Membership.objects.filter(pk__in=removed[start : start + BATCH], organization=org).delete()
        # Its SCIM users, groups, their members and the request log go with it (CASCADE).
        SCIMDirectory.objects.filter(pk=directory.pk).delete()
        audit_record(
            org=org,
            actor=actor,
            action="directory.deleted",
            target=directory_target(directory),
            changes={
                "display_name": [directory.display_name, None],
                "identity_provider": [directory.get_idp_kind_display(), None],
                "token": SECRET_CHANGED,
                "people": [deletion.people, 0],
                "groups": [deletion.groups, 0],
                "deprovisioned_members_removed": [None, len(deletion.removed)],
            },
        )
        audit_record_each(
            org=org,
            actor=actor,
            action="member.removed_with_directory",
            targets=[
                (member_target(m), {"role": [m.role, None], "deprovisioned_by": [directory.display_name, None]})
                for m in deletion.removed
            ],
        )
    return deletion


def directory_role_connection_set(*, directory: SCIMDirectory, connection, actor) -> dict[str, list[str]]:
    """Roles from groups follow this connection's mapping (None: groups change no role), applied to everyone at once;
    {role: emails} of the people it changed. The connection is one the form found in the directory's organization."""
    if connection is not None and connection.organization_id != directory.organization_id:
        raise ValueError("A directory's roles follow a connection of its own organization only.")
    with transaction.atomic():
        locked = SCIMDirectory.objects.select_for_update(of=("self",))  # role_connection is a LEFT JOIN, not lockable
        locked = locked.select_related("role_connection")
        locked = locked.get(pk=directory.pk, organization_id=directory.organization_id)
        before = locked.role_connection
        if locked.role_connection_id == (connection.pk if connection else None):
            return {}
        locked.role_connection = connection
        locked.save(update_fields=["role_connection"])
        directory.role_connection = connection
        audit_record(
            org=directory.organization,
            actor=actor,
            action="directory.roles_changed",
            target=directory_target(directory),
            changes={"role_connection": [_named(before), _named(connection)]},
        )
        return roles_apply_all(directory=directory, cause=directory_target(directory), by=actor)


def _named(connection) -> str | None:
    return str(connection) if connection is not None else None
