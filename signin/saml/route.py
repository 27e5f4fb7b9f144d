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
        raise SignInError(
            "saml_request_unknown",
            detail=f"The connection that request {quote(mine[0])} was sent for was deleted meanwhile.",
        )
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


class Unsolicited(SignInError):
    """A refused IdP-initiated response, told to owners by signin/saml/idp_initiated: `candidates` are the
    connections its Issuer and audience name (a hint only), `org` the organization to tell without verifying."""

    def __init__(self, code: str, detail: str, *, candidates: list[Connection], org=None):
        super().__init__(code, detail=detail)
        self.candidates = candidates
        self.org = org


# Which organization's key decrypts is what the Audience would tell: an encrypted one cannot route a response.
ENCRYPTED_UNROUTABLE = (
    " Its assertion is encrypted, so its Audience cannot be read before the organization is known: an IdP-initiated "
    "sign-in needs the assertion in the clear, or the sign-in started here."
)


def _unsolicited(seen) -> Route:
    """An IdP-initiated response: the connection is the one IdP (Issuer) and audience (our SP) name, a hint only;
    the response is then verified with that connection's certificates and held to its audience."""
    candidates = list(
        Connection.objects.select_related("saml", "organization__service_provider", "role_mapping")
        .filter(
            kind=Kind.SAML,
            saml__idp_entity_id=seen.issuer,
            organization__service_provider__entity_id__in=seen.audiences,
        )
        .order_by("-saml__allow_idp_initiated", "pk")[:2]  # those that allow it first: two tell one from several
    )
    allowing = [c for c in candidates if c.saml.allow_idp_initiated]
    if len(allowing) == 1:
        return Route(allowing[0], "")
    said = f"An IdP-initiated response (it answers no request) from {quote(seen.issuer or 'an unknown issuer')} "
    said += NOT_VERIFIED
    if allowing:
        orgs = {c.organization_id for c in allowing}
        raise Unsolicited(
            "saml_idp_initiated_ambiguous",
            f"{said}, and several connections allow IdP-initiated sign-in for it and its audience: "
            f"{', '.join(quote(c.display_name) for c in allowing)}.",
            candidates=allowing,
            # Told without a signature: it says nothing but the organization's own configuration, whoever sent it.
            org=allowing[0].organization if len(orgs) == 1 else None,
        )
    detail = f"{said}, and no connection of it and its audience allows IdP-initiated sign-in."
    if "EncryptedAssertion" in seen.encrypted:
        detail += ENCRYPTED_UNROUTABLE
    raise Unsolicited("unsolicited_response", detail, candidates=candidates)
