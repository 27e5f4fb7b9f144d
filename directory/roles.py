"""Groups → roles for provisioned people: the directory's role connection's mapping applied to their SCIM groups.

The mapping is SSO's own (connections/role_mapping.py), matched as at sign-in (signin/roles.py): the values are each
of the person's groups' externalId (Entra sends the group's object ID there, which Entra SSO rules name) and
displayName; the highest mapped role wins; owners are never granted or removed. A person in no mapped group becomes
a member, whether the mapping's people in no group are members or refused: SSO refuses the latter at their next
sign-in, and meanwhile an admin the IdP took out of every mapped group must not stay an admin in an open session.

Set-based, whatever the number of people: the mapping, one statement for the people with their groups and roles,
one UPDATE per role given, one audit event; repeated per CHUNK people beyond that.
"""

from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, Subquery

from connections.oidc.entra import is_guid
from connections.role_mapping import RoleMapping, highest, rules_matched
from directory.audit import directory_actor, directory_target
from directory.models import SCIMDirectory, SCIMUser
from kloudsso.audit.record import Actor, Target, audit_record
from kloudsso.tenancy.models import Membership, Role

# People per statement: an IN list far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
CHUNK = 5000
OTHER = {Role.ADMIN: Role.MEMBER, Role.MEMBER: Role.ADMIN}  # the role a person given one of them had before


@dataclass
class Affected:
    """The people a change may have moved in or out of a group: SCIM user pks, and SCIM ids the IdP named."""

    pks: set = field(default_factory=set)
    public_ids: set = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.pks or self.public_ids)


def roles_apply(*, directory, affected: Affected, cause: Target, by: Actor | None = None) -> dict[str, list[str]]:
    """Give the affected people of the directory the role their groups map to; {role: emails} of those it changed."""
    if directory.role_connection_id is None or not affected:
        return {}
    mapping = _mapping(directory)
    if mapping is None or not mapping.active:
        return {}
    changed = {}
    pks, public_ids = sorted(affected.pks), sorted(affected.public_ids)
    for start in range(0, max(len(pks), len(public_ids)), CHUNK):
        chunk = Q(pk__in=pks[start : start + CHUNK]) | Q(public_id__in=public_ids[start : start + CHUNK])
        for role, emails in _apply(directory, mapping, _people(directory, chunk), cause, by).items():
            changed.setdefault(role, []).extend(emails)
    return changed


def roles_apply_all(*, directory, cause: Target, by: Actor | None = None) -> dict[str, list[str]]:
    """Every linked person of the directory (its role connection or that connection's mapping changed)."""
    pks = SCIMUser.objects.filter(
        directory=directory, organization_id=directory.organization_id, deleted_at__isnull=True, user__isnull=False
    ).values_list("pk", flat=True)
    return roles_apply(directory=directory, affected=Affected(pks=set(pks)), cause=cause, by=by)


def roles_follow_mapping(*, connection, by: Actor) -> None:
    """The connection's mapping changed: the directories whose roles follow it apply it to everyone now, as SSO does
    at each person's next sign-in."""
    directories = SCIMDirectory.objects.filter(role_connection=connection, organization_id=connection.organization_id)
    for directory in directories.select_related("organization"):
        roles_apply_all(directory=directory, cause=directory_target(directory), by=by)


def _mapping(directory) -> RoleMapping | None:
    # Scoped to the directory's organization in the query too: a connection is only ever another's by a bug.
    mapping = RoleMapping.objects.filter(
        connection_id=directory.role_connection_id, connection__organization_id=directory.organization_id
    )
    return mapping.select_related("connection__oidc").first()


def _ids_only(connection) -> bool:
    """Entra /organizations/: SSO matches only rules naming a group object ID (signin/roles.py), so here too, against
    the groups' externalId: a name rule applied here alone would be undone at each sign-in."""
    return connection.kind == "oidc" and connection.oidc.entra_multi_tenant


@dataclass
class _Person:
    email: str
    role: str | None
    values: list = field(default_factory=list)  # (externalId, displayName) of each group


def _people(directory, chunk: Q) -> dict[int, _Person]:
    """{account pk: the person} with their role here and the externalId and displayName of each of their groups in
    this directory: one statement (a row per person and group)."""
    role = Membership.objects.filter(user_id=OuterRef("user_id"), organization_id=directory.organization_id)
    rows = (
        SCIMUser.objects.filter(chunk, directory=directory, organization_id=directory.organization_id)
        .filter(deleted_at__isnull=True, user__isnull=False)
        .annotate(role=Subquery(role.values("role")[:1]))
        .values_list(
            "user_id",
            "user__email",
            "role",
            "group_memberships__group__external_id",
            "group_memberships__group__display_name",
        )
    )
    people = {}
    for user_id, email, current, external_id, display_name in rows:
        person = people.setdefault(user_id, _Person(email, current))
        person.values.append((external_id, display_name))
    return people


def _apply(directory, mapping: RoleMapping, people: dict[int, _Person], cause: Target, by) -> dict[str, list[str]]:
    rules, ids_only = mapping.rules(), _ids_only(mapping.connection)
    if ids_only:
        rules = [rule for rule in rules if is_guid(rule.group)]
    given = {}  # {role: [(account pk, email)]}
    for user_id, person in people.items():
        if person.role not in OTHER:  # an owner, or no longer a member (an owner removed them)
            continue
        values = [v for ext, name in person.values for v in ((ext,) if ids_only else (ext, name)) if v]
        matched = rules_matched(rules, values)
        role = highest(matched)[0].role if matched else Role.MEMBER
        if role != person.role:
            given.setdefault(role, []).append((user_id, person.email))
    changed = {}
    for role, people_given in given.items():
        # From the role read above only: one an owner made an owner meanwhile is not touched.
        Membership.objects.filter(
            organization_id=directory.organization_id, user_id__in=[pk for pk, _ in people_given], role=OTHER[role]
        ).update(role=role)
        changed[role] = sorted(email for _, email in people_given)
    if changed:
        _audit(directory, mapping, changed, cause, by)
    return changed


def _audit(directory, mapping: RoleMapping, changed: dict[str, list[str]], cause: Target, by) -> None:
    changes = {f"made_{role}": [None, emails] for role, emails in sorted(changed.items())}
    because = f"their groups in {directory.display_name}, matched against the groups → roles of {mapping.connection}"
    changes["because"] = [None, because]
    audit_record(
        org=directory.organization,
        actor=by or directory_actor(directory),
        action="member.roles_set_by_directory",
        target=cause,
        changes=changes,
    )
