"""What the audit log records of directories and of the changes their IdPs make (kloudsso/audit/record.py).

An IdP's change is the system's, named after the directory, so the log says which directory made it.
"""

from kloudsso.audit.models import ActorKind
from kloudsso.audit.record import Actor, Target, audit_record

USER_FIELDS = ["user_name", "external_id", "email", "display_name", "active"]


def directory_actor(directory) -> Actor:
    return Actor(user=None, kind=ActorKind.SYSTEM, name=f"Directory sync: {directory.display_name}"[:254])


def directory_target(directory) -> Target:
    return Target("directory", str(directory.public_id), directory.display_name)


def scim_user_audit(scim_user, action: str, changes=None) -> None:
    audit_record(
        org=scim_user.organization,
        actor=directory_actor(scim_user.directory),
        action=action,
        target=scim_user_target(scim_user),
        changes=changes,
    )


def scim_user_target(scim_user) -> Target:
    return Target("scim_user", str(scim_user.public_id), scim_user.user_name)


def scim_group_target(group) -> Target:
    return Target("scim_group", str(group.public_id), group.display_name)


def scim_group_audit(group, action: str, changes=None) -> None:
    audit_record(
        org=group.organization,
        actor=directory_actor(group.directory),
        action=action,
        target=scim_group_target(group),
        changes=changes,
    )
