"""Reads and writes of a connection's groups → roles mapping, scoped to the organization in the query, audited."""

from django.db import transaction
from django.shortcuts import get_object_or_404

from connections.connection import Connection
from connections.role_mapping import MAX_RULES, RoleMapping, Rule
from directory.roles import roles_follow_mapping
from kloudsso.audit.record import SYSTEM, Actor, Target, audit_record


class RoleMappingError(ValueError):
    pass


def role_mapping_get(*, org, connection_public_id) -> RoleMapping:
    """The organization's connection's mapping (unsaved and empty when it has none), or 404 for anyone else's."""
    connections = Connection.objects.select_related("oidc", "saml", "role_mapping")
    connection = get_object_or_404(connections, organization=org, public_id=connection_public_id)
    mapping = getattr(connection, "role_mapping", None)
    return mapping if mapping is not None else RoleMapping(connection=connection)


def connections_mapping_groups(*, org) -> list[str]:
    """The display names of the organization's connections whose sign-ins set roles from groups."""
    mapped = Connection.objects.filter(organization=org, role_mapping__isnull=False)
    return list(mapped.exclude(role_mapping__rules_data=[]).values_list("display_name", flat=True))


def _target(mapping: RoleMapping) -> Target:
    return Target("connection", str(mapping.connection.public_id), mapping.connection.display_name)


def _locked(org, mapping: RoleMapping) -> RoleMapping:
    """The row, locked for this change (created when the connection has none yet): two owners' edits do not lose one."""
    RoleMapping.objects.get_or_create(connection=mapping.connection)
    return RoleMapping.objects.select_for_update().get(connection=mapping.connection, connection__organization=org)


def role_rule_add(*, org, mapping: RoleMapping, group: str, role: str, by: Actor = SYSTEM) -> Rule:
    with transaction.atomic():
        locked = _locked(org, mapping)
        rules = locked.rules()
        before = next((rule for rule in rules if rule.matches(group)), None)
        if before is None and len(rules) >= MAX_RULES:
            raise RoleMappingError(f"A connection maps at most {MAX_RULES} groups.")
        rule = Rule(group, role)
        kept = [r for r in rules if r is not before]
        locked.rules_data = [{"group": r.group, "role": r.role} for r in [*kept, rule]]
        locked.save(update_fields=["rules_data", "updated_at"])
        audit_record(
            org=org,
            actor=by,
            action="group_roles.rule_added",
            target=_target(mapping),
            changes={f"group {group}": [before.role if before else None, role]},
        )
        roles_follow_mapping(connection=mapping.connection, by=by)
    return rule


def role_rule_remove(*, org, mapping: RoleMapping, group: str, by: Actor = SYSTEM) -> None:
    with transaction.atomic():
        locked = _locked(org, mapping)
        rules = locked.rules()
        gone = next((rule for rule in rules if rule.group == group), None)
        if gone is None:
            raise RoleMappingError(f"{group} is not mapped (any more).")
        locked.rules_data = [{"group": r.group, "role": r.role} for r in rules if r is not gone]
        locked.save(update_fields=["rules_data", "updated_at"])
        audit_record(
            org=org,
            actor=by,
            action="group_roles.rule_removed",
            target=_target(mapping),
            changes={f"group {gone.group}": [gone.role, None]},
        )
        roles_follow_mapping(connection=mapping.connection, by=by)


def role_mapping_set(*, org, mapping: RoleMapping, unmatched: str, groups_claim: str, by: Actor = SYSTEM) -> None:
    with transaction.atomic():
        locked = _locked(org, mapping)
        changes = {
            name: [getattr(locked, name), value]
            for name, value in (("unmatched", unmatched), ("groups_claim", groups_claim))
            if getattr(locked, name) != value
        }
        if not changes:
            return
        locked.unmatched, locked.groups_claim = unmatched, groups_claim
        locked.save(update_fields=["unmatched", "groups_claim", "updated_at"])
        audit_record(org=org, actor=by, action="group_roles.changed", target=_target(mapping), changes=changes)
