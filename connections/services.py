from django.db import transaction

from connections.audit import connection_target
from connections.connection import Connection
from kloudsso.audit.record import SYSTEM, Actor, audit_record


def connection_upsert(*, org, connection: Connection | None, kind: str, display_name: str) -> Connection:
    """The common part of saving any kind of connection; call it inside the kind's transaction."""
    if connection is None:
        return Connection.objects.create(organization=org, kind=kind, display_name=display_name)
    if connection.organization_id != org.id or connection.kind != kind:
        raise ValueError(f"This connection is not a {kind} connection of this organization.")
    connection.display_name = display_name
    connection.save(update_fields=["display_name", "updated_at"])
    return connection


@transaction.atomic
def connection_set_enabled(*, org, connection: Connection, enabled: bool, by: Actor = SYSTEM) -> None:
    if connection.enabled == enabled:
        return
    connection.enabled = enabled
    connection.save(update_fields=["enabled", "updated_at"])
    audit_record(
        org=org,
        actor=by,
        action="connection.enabled" if enabled else "connection.disabled",
        target=connection_target(connection),
        changes={"enabled": [not enabled, enabled]},
    )


@transaction.atomic
def connection_delete(*, org, connection: Connection, by: Actor = SYSTEM) -> None:
    target = connection_target(connection)
    connection.delete()
    audit_record(org=org, actor=by, action="connection.deleted", target=target)
