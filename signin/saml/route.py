"""Which connection and which of our requests a SAML response answers: from the requests this browser started,
or, for an IdP-initiated response, from a connection that allows it."""

from dataclasses import dataclass

from connections.connection import Connection, Kind
from signin.errors import SignInError

PENDING_SESSION_KEY = "kloudsso_saml_requests"
MAX_PENDING = 10


@dataclass
class Route:
    connection: Connection
    request_id: str


def remember(request, request_id: str, connection: Connection) -> None:
    pending = request.session.get(PENDING_SESSION_KEY, {})
    pending[request_id] = str(connection.public_id)
    request.session[PENDING_SESSION_KEY] = dict(list(pending.items())[-MAX_PENDING:])


def route(request, seen) -> Route:
    pending = request.session.get(PENDING_SESSION_KEY, {})
    if seen.in_response_to:
        public_id = pending.pop(seen.in_response_to, None)
        request.session[PENDING_SESSION_KEY] = pending
        connection = _connection(public_id=public_id) if public_id else None
        if connection is None:
            raise SignInError(
                "saml_request_unknown",
                "This sign-in could not be matched to your browser: it may have expired, or started in another "
                "browser or tab. Start again from Sign in with SSO.",
                f"InResponseTo {seen.in_response_to} is not a request this browser started.",
            )
        return Route(connection, seen.in_response_to)
    candidates = [
        c
        for c in Connection.objects.select_related("saml", "organization__service_provider").filter(
            kind=Kind.SAML, saml__idp_entity_id=seen.issuer, saml__allow_idp_initiated=True
        )
        if c.organization.service_provider.entity_id in seen.audiences
    ]
    if len(candidates) != 1:
        raise SignInError(
            "unsolicited_response",
            "Sign-ins must start here, from Sign in with SSO, not from your identity provider's portal.",
            f"An IdP-initiated response from {seen.issuer or 'an unknown issuer'}, and no connection allows "
            "IdP-initiated sign-in for it.",
        )
    return Route(candidates[0], "")


def _connection(*, public_id) -> Connection | None:
    return Connection.objects.select_related("saml", "organization").filter(public_id=public_id, kind=Kind.SAML).first()
