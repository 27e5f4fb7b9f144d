"""Which connection and which of our requests a SAML response answers.

A response names the AuthnRequest it answers twice: the Response's InResponseTo and each SubjectConfirmationData's.
The session holds the requests this browser started (the only ones it may finish: no login CSRF); the shared
cache holds every request any app server sent, and whether it was answered, for a working day, only to tell the
person and the owners what went wrong: an answer posted twice, a request of another browser, a request we never
sent and an IdP-initiated sign-in are four different stories.
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache

from connections.connection import Connection, Kind
from signin.errors import SignInError
from signin.saml.precheck import NOT_VERIFIED, PERSON

PENDING_SESSION_KEY = "kloudsso_saml_requests"
MAX_PENDING = 10
ISSUED_SECONDS = 8 * 3600  # longer than anyone spends at an IdP's login page; the session decides in any case


@dataclass
class Route:
    connection: Connection
    request_id: str


class Unmatched(SignInError):
    """A response to a request this browser did not start; `connection` is the one we sent it for, if we did."""

    def __init__(self, code: str, message: str = "", detail: str = "", *, connection: Connection | None = None):
        super().__init__(code, message, detail)
        self.connection = connection


def remember(request, request_id: str, connection: Connection) -> None:
    pending = request.session.get(PENDING_SESSION_KEY, {})
    pending[request_id] = str(connection.public_id)
    request.session[PENDING_SESSION_KEY] = dict(list(pending.items())[-MAX_PENDING:])
    _note_issued(request_id, str(connection.public_id), answered=False)


def route(request, seen) -> Route:
    named = [seen.in_response_to, *seen.confirmation_in_response_to]
    requests = list(dict.fromkeys(n for n in named if n))
    if not requests:
        return _unsolicited(seen)
    pending = request.session.get(PENDING_SESSION_KEY, {})
    mine = [r for r in requests if r in pending]
    if not mine:
        raise _not_this_browsers(requests)
    public_id = pending.pop(mine[0])  # used up, whatever follows
    request.session[PENDING_SESSION_KEY] = pending
    _note_issued(mine[0], public_id, answered=True)
    if len(set(named)) > 1:  # pysaml2 requires the same request everywhere; say which differ
        raise SignInError(
            "saml_in_response_to_mismatch",
            PERSON,
            f"The Response answers {seen.in_response_to or 'no request'} and its assertion "
            f"{', '.join(i or 'none' for i in seen.confirmation_in_response_to)} {NOT_VERIFIED}; both must name "
            "the request this browser sent.",
        )
    connection = _connection(public_id=public_id)
    if connection is None:
        raise SignInError("saml_request_unknown", detail="The connection of this sign-in was deleted meanwhile.")
    return Route(connection, mine[0])


def _not_this_browsers(requests: list[str]) -> SignInError:
    named = ", ".join(requests)
    for request_id in requests:
        issued = cache.get(_issued_key(request_id))
        if issued and issued["answered"]:  # the IdP's page posted again: the back button, a double submit
            return Unmatched(
                "saml_stash_expired",
                detail=f"InResponseTo {named} {NOT_VERIFIED} names a sign-in that was already finished or refused.",
                connection=_connection(public_id=issued["connection"]),
            )
        if issued:
            return Unmatched(
                "saml_request_unknown",
                "This sign-in could not be matched to your browser: it started in another browser or tab, or your "
                "browser did not keep our cookie. Start again from Sign in with SSO, in one browser window.",
                f"InResponseTo {named} {NOT_VERIFIED} is a request KloudSSO sent for another browser's sign-in.",
                connection=_connection(public_id=issued["connection"]),
            )
    return Unmatched(
        "saml_request_never_sent",
        "This sign-in answer is not for a sign-in we started. Start again from Sign in with SSO.",
        f"InResponseTo {named} {NOT_VERIFIED} is no request KloudSSO sent in the last {ISSUED_SECONDS // 3600} hours.",
    )


def _unsolicited(seen) -> Route:
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
            f"An IdP-initiated response (it answers no request) from {seen.issuer or 'an unknown issuer'} "
            f"{NOT_VERIFIED}, and no connection allows IdP-initiated sign-in for it.",
        )
    return Route(candidates[0], "")


def _note_issued(request_id: str, public_id: str, *, answered: bool) -> None:
    cache.set(_issued_key(request_id), {"connection": public_id, "answered": answered}, ISSUED_SECONDS)


def _issued_key(request_id: str) -> str:
    # hashed: the ID in a response is anyone's text, and some caches refuse long keys or spaces
    return "saml-issued:" + hashlib.sha256(request_id.encode()).hexdigest()


def _connection(*, public_id) -> Connection | None:
    return Connection.objects.select_related("saml", "organization").filter(public_id=public_id, kind=Kind.SAML).first()
