"""IdP-initiated sign-in: the owners told of the ones refused, and where an accepted one lands.

A response that answers no request cannot be bound to the browser that started a sign-in (no InResponseTo), so a
connection takes them only once an owner turns its switch on (connections/saml/services.saml_idp_initiated_set).
While it is off, the refusal reaches the owners of the connection whose certificates verify the response: anyone
can post a response naming an IdP and an SP entity ID, and an owner must not be pressed into turning the switch on
by forged traffic. Its assertion is then used up like any verified one (signin/saml/replay).
"""

from django.shortcuts import resolve_url

from signin.errors import SignInError
from signin.pages import signin_failed
from signin.saml import verify
from signin.saml.quoting import quote
from signin.saml.route import Unsolicited
from signin.signed_in import is_safe_path

MAX_RELAY_STATE = 1000  # SAML bindings allow 80 bytes; a longer one is kept no more than it is followed


def refused(request, refusal: Unsolicited, saml_response: str, seen):
    """The failure page; an event for the owners of the connection whose certificates verify the response, or of
    the organization the refusal names."""
    if refusal.code != "unsolicited_response":
        return signin_failed(request, refusal, org=refusal.org)
    for connection in refusal.candidates:
        try:
            verified = verify.verify_response(connection, saml_response, seen, request_id="", allow_idp_initiated=True)
        except SignInError:
            continue
        request.kloudsso_connection = connection
        request.kloudsso_received = verified.received
        return signin_failed(request, _off(connection, verified))
    return signin_failed(request, refusal)  # nobody's IdP vouches for it: the page only, no event


def _off(connection, verified) -> SignInError:
    idp = connection.saml.idp_entity_id
    return SignInError(
        "unsolicited_response",
        detail=f"An IdP-initiated response (it answers no request) from {quote(idp)} for NameID "
        f"{quote(verified.name_id)}, signed with a certificate on file; the connection's switch \"Allow "
        'IdP-initiated sign-in" is off.',
    )


def landing(request, relay_state: str, *, org) -> str:
    """Where an IdP-initiated sign-in goes: its RelayState when that is a path on this site, else the
    organization's page. Never another site: a RelayState is whatever the link to the IdP said."""
    if relay_state and _plain_path(relay_state) and is_safe_path(request, relay_state):
        return relay_state
    return resolve_url("org_home", org_slug=org.slug)


def relay_state_of(post) -> str:
    relay_state = post.get("RelayState", "")
    return relay_state if len(relay_state) <= MAX_RELAY_STATE else ""


def _plain_path(relay_state: str) -> bool:
    # No whitespace or control characters: browsers drop some of them from URLs ("/\t/evil.test" is "//evil.test")
    # and no path of ours has any.
    return relay_state.isprintable() and not any(c.isspace() for c in relay_state)
