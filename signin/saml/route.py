"""Which connection and which of our requests a SAML response answers.

A response names the AuthnRequest it answers twice: the Response's InResponseTo and each SubjectConfirmationData's.
The session holds the requests this browser started (the only ones it may finish: no login CSRF); the shared cache
notes the requests every app server sent (signin/saml/issued), only to tell the person and the owners what went
wrong (signin/saml/unmatched): an answer posted twice, a request this browser dropped, a request of another browser,
a request we never sent and an IdP-initiated sign-in are five different stories.
"""

from dataclasses import dataclass

from connections.connection import Connection, Kind
from signin.errors import SignInError
from signin.saml.issued import note_answered, note_sent
from signin.saml.precheck import PERSON
from signin.saml.quoting import NOT_VERIFIED, quote, quote_all
from signin.saml.unmatched import MAX_PENDING, Unmatched, connection_of, not_held

PENDING_SESSION_KEY = "kloudsso_saml_requests"


@dataclass
class Route:
    connection: Connection
    request_id: str


def remember(request, request_id: str, connection: Connection) -> None:
    pending = request.session.get(PENDING_SESSION_KEY, {})
    pending[request_id] = str(connection.public_id)
    request.session[PENDING_SESSION_KEY] = dict(list(pending.items())[-MAX_PENDING:])
    note_sent(request, request_id, str(connection.public_id))


def route(request, seen) -> Route:
    named = [seen.in_response_to, *seen.confirmation_in_response_to]
    requests = list(dict.fromkeys(n for n in named if n))
    if not requests:
        return _unsolicited(seen)
    pending = request.session.get(PENDING_SESSION_KEY, {})
    mine = [r for r in requests if r in pending]
    if not mine:
        raise not_held(request, requests)
    public_id = pending.pop(mine[0])  # used up, whatever follows
    request.session[PENDING_SESSION_KEY] = pending
    note_answered(request, mine[0], public_id)
    connection = connection_of(public_id)
    if connection is None:
        raise SignInError("saml_request_unknown", detail="The connection of this sign-in was deleted meanwhile.")
    if len(set(named)) > 1:  # pysaml2 requires the same request everywhere; say which differ
        raise Unmatched(
            "saml_in_response_to_mismatch",
            PERSON,
            f"The Response answers {quote(seen.in_response_to) if seen.in_response_to else 'no request'} and its "
            f"assertion {quote_all(seen.confirmation_in_response_to)} {NOT_VERIFIED}; both must name the request "
            "this browser sent.",
            connection=connection,
            request_id=mine[0],
        )
    return Route(connection, mine[0])


# Which organization's key decrypts is what the Audience would tell: an encrypted one cannot route a response.
ENCRYPTED_UNROUTABLE = (
    " Its assertion is encrypted, so its Audience cannot be read before the organization is known: an IdP-initiated "
    "sign-in needs the assertion in the clear, or the sign-in started here."
)


def _unsolicited(seen) -> Route:
    """An IdP-initiated response: the connection is the one IdP (Issuer) and audience (our SP) name, a hint only;
    the response is then verified with that connection's certificates and held to its audience."""
    candidates = list(
        Connection.objects.select_related("saml", "organization__service_provider").filter(
            kind=Kind.SAML,
            saml__idp_entity_id=seen.issuer,
            saml__allow_idp_initiated=True,
            organization__service_provider__entity_id__in=seen.audiences,
        )[:2]
    )
    if len(candidates) != 1:
        which = "no connection allows" if not candidates else "several connections allow"
        raise SignInError(
            "unsolicited_response",
            "Sign-ins must start here, from Sign in with SSO, not from your identity provider's portal.",
            f"An IdP-initiated response (it answers no request) from {quote(seen.issuer or 'an unknown issuer')} "
            f"{NOT_VERIFIED}, and {which} IdP-initiated sign-in for it and its audience."
            + (ENCRYPTED_UNROUTABLE if "EncryptedAssertion" in seen.encrypted else ""),
        )
    return Route(candidates[0], "")
