"""/Groups: a group's name kept in columns, its members as rows, changed in batches (a group may hold thousands).

Members are never loaded into a pydantic model to be patched: a PATCH that adds or removes members becomes a few
set-based statements whatever the group's size; the other attributes go through scim2-models' PatchOp.
"""

import re
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from scim2_models import (
    Context,
    Group,
    InvalidValueException,
    Meta,
    NotFoundException,
    PatchOp,
    ScimFilter,
    UniquenessException,
)
from scim2_models.path.expressions import CompareOperator, Comparison, LogicalExpr, LogicalOperator

from directory.audit import scim_group_audit, scim_group_target
from directory.models import SCIMGroup, SCIMGroupMember, SCIMUser
from directory.roles import Affected, roles_apply
from directory.scim import quirks
from directory.scim.schema import POLICY

BATCH = 500
CORE_PREFIX = "urn:ietf:params:scim:schemas:core:2.0:group:"  # a path may name its attribute fully (RFC 7644 §3.10)
_MEMBER_FILTER = re.compile(r"^members\[(.+)\]$", re.IGNORECASE | re.DOTALL)


def group_create(*, directory, body) -> SCIMGroup:
    model = Group.model_validate(
        quirks.resource_payload(body, kind="Group"), scim_ctx=Context.RESOURCE_CREATION_REQUEST, scim_policy=POLICY
    )
    group = SCIMGroup(directory=directory, organization=directory.organization)
    affected = Affected()
    with transaction.atomic():
        _save(group, model)
        members = _member_ids(model.members)
        _members_set(group, members, affected)
        changes = {"display_name": [None, group.display_name], "members": [None, len(members)]}
        scim_group_audit(group, "scim_group.created", changes)
        _roles(group, affected)
    return group


def group_replace(*, group: SCIMGroup, body) -> SCIMGroup:
    model = Group.model_validate(
        quirks.resource_payload(body, kind="Group"), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST, scim_policy=POLICY
    )
    affected = Affected()
    with transaction.atomic():
        before, count = _lock(group)
        names = _names(group)  # as locked: a rename meanwhile is not this request's
        _save(group, model)
        _renamed(group, names, affected)
        _members_set(group, _member_ids(model.members), affected)
        scim_group_audit(group, "scim_group.updated", _changes(before, count, group))
        _roles(group, affected)
    return group


def group_delete(*, group: SCIMGroup) -> None:
    affected = Affected()
    with transaction.atomic():
        _members_now(group, affected)
        scim_group_audit(group, "scim_group.deleted")
        group.delete()
        _roles(group, affected)


def _roles(group, affected: Affected) -> None:
    roles_apply(directory=group.directory, affected=affected, cause=scim_group_target(group))


def _members_now(group, affected: Affected) -> None:
    """Every member, when their roles may follow groups: a rename or a deletion concerns them all."""
    if group.directory.role_connection_id is not None:
        affected.pks.update(SCIMGroupMember.objects.filter(group=group).values_list("user_id", flat=True))


def _names(group) -> tuple[str, str]:
    return group.display_name, group.external_id


def _renamed(group, names_before: tuple[str, str], affected: Affected) -> None:
    # A rule may name the group by its displayName (or its externalId): a rename can give or take a role.
    if _names(group) != names_before:
        _members_now(group, affected)


def _lock(group) -> tuple[str, int]:
    """Lock the group's row until commit, so that its writes run one after the other: two replaces of its members
    at once end with one of them, never a mix. Its name and member count as they are now, for the audit log (one
    statement, as the count alone was)."""
    count = SCIMGroupMember.objects.filter(group=OuterRef("pk")).order_by().values("group").annotate(n=Count("pk"))
    locked = SCIMGroup.objects.select_for_update().filter(pk=group.pk)
    found = locked.annotate(members=Coalesce(Subquery(count.values("n")), 0)).values_list("display_name", "members")
    found = found.first()
    if found is None:
        raise NotFoundException(detail=f"The group {group.display_name} was deleted by another request.")
    group.display_name = found[0]
    return found


def _count(group) -> int:
    return SCIMGroupMember.objects.filter(group=group).count()


def _changes(name_before: str, count_before: int, group) -> dict:
    """What the audit log says a change did: the rename, and how many members the group had before and after."""
    changes = {"display_name": [name_before, group.display_name]} if name_before != group.display_name else {}
    count = _count(group)
    if count != count_before:
        changes["members"] = [count_before, count]
    return changes


def group_patch(*, group: SCIMGroup, body) -> SCIMGroup:
    patch = PatchOp[Group].model_validate(
        quirks.patch_payload(body, resource_id=str(group.public_id), kind="Group"),
        scim_ctx=Context.RESOURCE_PATCH_REQUEST,
        scim_policy=POLICY,
    )
    others = []
    affected = Affected()
    with transaction.atomic():
        before, count = _lock(group)
        names = _names(group)  # as locked: a rename meanwhile is not this request's
        adding = [ids for operation in patch.operations if (ids := _added_members(operation))]
        if len(adding) > 1:
            # Entra adds members one operation each: their users locked at once, in one order (see _users), or two
            # PATCHes of two groups adding the same users in another order would each wait for the other.
            _users(group, {i for ids in adding for i in ids})
        for operation in patch.operations:
            if not _members_operation(group, operation, affected):
                others.append(operation)
        if others:
            model = Group(display_name=group.display_name, external_id=group.external_id or None)
            PatchOp[Group](operations=others).patch(model, scim_policy=POLICY)
            _save(group, model)
        _renamed(group, names, affected)
        changes = _changes(before, count, group)
        if changes:
            scim_group_audit(group, "scim_group.updated", changes)
        _roles(group, affected)
    return group


def _added_members(operation) -> dict:
    """The members an add or a replace of members names, as _member_ids reads them (empty for any other)."""
    if operation.op.value not in ("add", "replace"):
        return {}
    path, value = operation.path, operation.value
    if path is None:
        found = value.items() if isinstance(value, dict) else ()
        return _member_ids(next((v for k, v in found if k.lower() == "members"), None))
    return _member_ids(value) if _unqualified(str(path)).lower() == "members" else {}


def _members_operation(group, operation, affected: Affected) -> bool:
    """Applied here when it concerns members (True); False leaves it to PatchOp."""
    op = operation.op.value
    path = _unqualified(str(operation.path)) if operation.path is not None else None
    value = operation.value
    if path is None:
        if not isinstance(value, dict):
            return False
        members = next((v for k, v in value.items() if k.lower() == "members"), None)
        if members is None:
            return False
        rest = {k: v for k, v in value.items() if k.lower() != "members"}
        ids = _member_ids(members)
        _members_add(group, ids, affected) if op == "add" else _members_set(group, ids, affected)
        if rest:  # the other attributes of the value object still go to PatchOp
            model = Group(display_name=group.display_name, external_id=group.external_id or None)
            PatchOp[Group](operations=[{"op": op, "value": rest}]).patch(model, scim_policy=POLICY)
            _save(group, model)
        return True
    if path.lower() == "members":
        if op == "add":
            _members_add(group, _member_ids(value), affected)
        elif op == "replace":
            _members_set(group, _member_ids(value), affected)
        elif value is not None:  # Entra: remove with a value list; an empty one removes nobody
            _members_remove(group, _member_ids(value), affected)
        else:  # no value: every member (RFC 7644 §3.5.2.2)
            _members_now(group, affected)
            SCIMGroupMember.objects.filter(group=group).delete()
        return True
    matched = _MEMBER_FILTER.match(path)
    if matched and op == "remove":
        _members_remove(group, _filter_ids(matched.group(1)), affected)
        return True
    return False


def _unqualified(path: str) -> str:
    return path[len(CORE_PREFIX) :] if path.lower().startswith(CORE_PREFIX) else path


def _filter_ids(text: str) -> list:
    """The ids of members[value eq "a" or value eq "b"] (Okta's removal), the one selection members need."""
    node = ScimFilter(text).ast
    terms = node.terms if isinstance(node, LogicalExpr) and node.op == LogicalOperator.or_ else (node,)
    ids = []
    for term in terms:
        if not (isinstance(term, Comparison) and term.op == CompareOperator.eq and term.attr_path.attr == "value"):
            raise InvalidValueException(detail=f'Members are selected by value eq "<id>", not by {term}.')
        ids.append(_uuid(term.value))
    return ids


def _member_ids(members) -> dict:
    """{member id: the display the IdP sent} for a list of members (or one)."""
    if members is None:
        return {}
    if not isinstance(members, list):
        members = [members]
    found = {}
    for member in members:
        if isinstance(member, dict):
            value, display = member.get("value"), member.get("display")
        else:
            value, display = getattr(member, "value", None), getattr(member, "display", None)
        if not isinstance(value, str):
            raise InvalidValueException(detail="Each member is an object with the member's id as its value.")
        found[_uuid(value)] = display if isinstance(display, str) else ""
    return found


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidValueException(detail=f"{str(value)[:100]} is not the id of a user of this directory.") from None


def _users(group, ids) -> dict:
    """{id: pk} of the directory's users with these ids, in batches; an id of no user here is an error."""
    ids = sorted(ids)  # rows locked in one order by every request: two of them never wait on each other in a cycle
    found = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = SCIMUser.objects.filter(directory_id=group.directory_id, deleted_at__isnull=True, public_id__in=chunk)
        # Locked until commit: a DELETE of one of them (an UPDATE of its row) waits, then removes the membership
        # this request adds, instead of leaving a deleted user a member.
        rows = rows.select_for_update(no_key=True).order_by("public_id")
        found.update(rows.values_list("public_id", "pk"))
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise InvalidValueException(detail=f"No user of this directory has the id {', '.join(missing[:5])}.")
    return found


def _members_add(group, members: dict, affected: Affected) -> None:
    pks = _users(group, members)
    rows = [SCIMGroupMember(group=group, user_id=pks[i], display=(d or "")[:512]) for i, d in members.items()]
    SCIMGroupMember.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    affected.pks.update(pks.values())


def _members_remove(group, ids, affected: Affected) -> None:
    ids = list(ids)
    affected.public_ids.update(ids)  # an id of nobody in the group moves nobody: their role is decided the same
    for start in range(0, len(ids), BATCH):
        SCIMGroupMember.objects.filter(group=group, user__public_id__in=ids[start : start + BATCH]).delete()


def _members_set(group, members: dict, affected: Affected) -> None:
    wanted = {pk: (members[i] or "")[:512] for i, pk in _users(group, members).items()}
    rows = SCIMGroupMember.objects.filter(group=group).values_list("user_id", "pk", "display")
    current = {user_id: (row, display) for user_id, row, display in rows}  # {user pk: (member row pk, display)}
    gone = [pk for pk in current if pk not in wanted]
    affected.pks.update(gone, (pk for pk in wanted if pk not in current))
    for start in range(0, len(gone), BATCH):
        SCIMGroupMember.objects.filter(group=group, user_id__in=gone[start : start + BATCH]).delete()
    new = [SCIMGroupMember(group=group, user_id=pk, display=d) for pk, d in wanted.items() if pk not in current]
    SCIMGroupMember.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
    renamed = [
        SCIMGroupMember(pk=current[pk][0], display=d) for pk, d in wanted.items() if current.get(pk, (0, d))[1] != d
    ]
    SCIMGroupMember.objects.bulk_update(renamed, ["display"], batch_size=BATCH)


MAX_LENGTH = 512  # the columns' size


def _save(group: SCIMGroup, model) -> None:
    group.display_name = model.display_name or ""
    group.display_name_key = group.display_name.lower()
    group.external_id = model.external_id or ""
    if not group.display_name:
        raise InvalidValueException(detail="A group needs a displayName.")
    # Refused rather than cut short: the IdP would never find the group again by the name or id it filters on.
    # The key is measured too: lower-casing lengthens some letters (İ is i and a dot).
    for name, value in (("displayName", group.display_name_key), ("externalId", group.external_id)):
        if len(value) > MAX_LENGTH:
            raise InvalidValueException(detail=f"{name} has at most {MAX_LENGTH} characters here.")
    taken = SCIMGroup.objects.filter(directory_id=group.directory_id, display_name_key=group.display_name_key)
    if taken.exclude(pk=group.pk).exists():
        raise UniquenessException(detail=f"The directory already has a group named {group.display_name}.")
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise UniquenessException(detail=f"The directory already has a group named {group.display_name}.") from None


def group_resource(group: SCIMGroup, *, base_url: str, members=None, parameters=None) -> dict:
    model = Group(
        id=str(group.public_id),
        display_name=group.display_name,
        external_id=group.external_id or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            location=f"{base_url}/Groups/{group.public_id}",
        ),
    )
    if members:  # SCIMGroupMember rows, with their user
        model.members = [
            {
                "value": str(m.user.public_id),
                "display": m.display or m.user.display_name or m.user.user_name,
                "$ref": f"{base_url}/Users/{m.user.public_id}",
                "type": "User",
            }
            for m in members
        ]
    return model.model_dump(mode="json", scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters)
