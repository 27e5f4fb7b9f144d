"""state → connection, kept in the session (database-backed, so any app server can finish the flow).

mozilla-django-oidc keeps its own state entry (nonce, PKCE verifier) and deletes it before authenticate() runs;
this separate entry is what tells the backend which connection the callback belongs to.
"""

from connections.connection import Connection

SESSION_KEY = "kloudsso_oidc_connections"
MAX_PENDING = 10  # several tabs at once, but no unbounded growth


def remember(request, state: str, connection: Connection) -> None:
    pending = request.session.get(SESSION_KEY, {})
    pending[state] = str(connection.public_id)
    request.session[SESSION_KEY] = dict(list(pending.items())[-MAX_PENDING:])


def take(request, state: str) -> Connection | None:
    pending = request.session.get(SESSION_KEY, {})
    public_id = pending.pop(state, None)
    request.session[SESSION_KEY] = pending
    if public_id is None:
        return None
    connections = Connection.objects.select_related("oidc", "organization", "role_mapping")
    return connections.filter(public_id=public_id, kind="oidc").first()
