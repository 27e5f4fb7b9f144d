from connections.connection import Connection


def connection_upsert(*, org, connection: Connection | None, kind: str, display_name: str) -> Connection:
    """The common part of saving any kind of connection; call it inside the kind's transaction."""
    if connection is None:
        return Connection.objects.create(organization=org, kind=kind, display_name=display_name)
    if connection.organization_id != org.id or connection.kind != kind:
        raise ValueError(f"This connection is not a {kind} connection of this organization.")
    connection.display_name = display_name
    connection.save(update_fields=["display_name", "updated_at"])
    return connection
