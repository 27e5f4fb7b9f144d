"""Recording an audit event: who acted, on what, and which fields moved from what to what.

The services that make a change call audit_record in the transaction of the change, with an Actor the view built
from its request (actor_from_request) or SYSTEM for tasks; so the event is written if and only if the change is.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from kloudsso.audit.models import ActorKind, AuditEvent
from kloudsso.client_ip import client_ip
from kloudsso.tenancy.models import Role

SECRET_CHANGED = "changed"  # what the log says of a secret (or a document too long to show) that moved

ROLE_KINDS = {Role.OWNER: ActorKind.OWNER, Role.ADMIN: ActorKind.ADMIN}


@dataclass(frozen=True)
class Actor:
    user: object | None
    kind: str
    ip: str | None = None
    name: str = ""  # who acted when it is no user: a setup link's label

    @property
    def label(self) -> str:
        return self.user.email if self.user is not None else (self.name or "system")


SYSTEM = Actor(user=None, kind=ActorKind.SYSTEM)


def actor_from_request(request, *, kind: str | None = None) -> Actor:
    """The signed-in person and their address (CLIENT_IP_HEADER honoured). In the owner console the kind is their
    role in request.org (set by kloudsso/tenancy/access.py); the Django admin passes kind=ActorKind.SUPPORT."""
    if kind is None:
        membership = getattr(request, "membership", None)
        if membership is None or membership.role not in ROLE_KINDS:
            raise ValueError("Only an organization's owners and admins, support or the system make audited changes.")
        kind = ROLE_KINDS[membership.role]
    return Actor(user=request.user, kind=kind, ip=client_ip(request))


@dataclass(frozen=True)
class Target:
    kind: str
    id: str
    label: str


def audit_record(*, org, actor: Actor, action: str, target: Target | None = None, changes=None) -> AuditEvent:
    """Write one event; `changes` as made by audit_diff (secrets already replaced by "changed")."""
    return AuditEvent.objects.create(**_columns(org=org, actor=actor, action=action, target=target, changes=changes))


def audit_record_each(*, org, actor: Actor, action: str, targets: Iterable[tuple[Target, dict]]) -> None:
    """One event per (target, changes), written in batches: one change that touches many (a directory's deletion
    removing hundreds of members) takes no statement for each."""
    events = [
        AuditEvent(**_columns(org=org, actor=actor, action=action, target=target, changes=changes))
        for target, changes in targets
    ]
    AuditEvent.objects.bulk_create(events, batch_size=500)


def _columns(*, org, actor: Actor, action: str, target: Target | None, changes) -> dict:
    return {
        "organization": org,
        "actor": actor.user,
        "actor_label": actor.label[:254],
        "actor_kind": actor.kind,
        "action": action,
        "target_kind": target.kind if target else "",
        "target_id": str(target.id)[:100] if target else "",
        "target_label": str(target.label)[:255] if target else "",
        "changes": changes or {},
        "ip": actor.ip,
    }


def audit_diff(before: dict, after: dict, *, secret_fields: Iterable[str] = ()) -> dict:
    """{field: [before, after]} for each field whose value differs between two snapshots (a field missing from one
    side is None there: an empty `before` describes a creation, an empty `after` a deletion; None and a blank value
    count as the same). A secret field that differs is recorded as "changed", never with its value."""
    secret_fields = set(secret_fields)
    changes = {}
    for field in dict.fromkeys([*before, *after]):
        old, new = before.get(field), after.get(field)
        if old == new or (_empty(old) and _empty(new)):  # a blank field added or removed says nothing
            continue
        changes[field] = SECRET_CHANGED if field in secret_fields else [old, new]
    return changes


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def snapshot(obj, fields: Iterable[str]) -> dict:
    """The named attributes of an object, as a dict for audit_diff."""
    return {field: getattr(obj, field) for field in fields}
