"""PUBLIC_BASE_URL/sso/saml/slo, the single logout URL in every organization's SP metadata (HTTP-Redirect and
HTTP-POST): the IdP's LogoutResponse to our sign-out, and the IdP's own LogoutRequest.

An IdP's LogoutRequest ends the sessions it names (the connection, the NameID, the SessionIndex) wherever they are:
found through the index of signed-in sessions in the database (signin/sso_session), on any app server, not through
the cookie of the browser that carries the request. The Issuer only says which connections to try; a connection's
certificates must verify the signature before it ends anything.
"""

import base64
import binascii
import logging
import zlib
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.samlp import STATUS_SUCCESS

from connections.connection import Connection, Kind
from signin import sso_session
from signin.errors import SignInError
from signin.logout_pages import signed_out_page
from signin.saml import logout
from signin.saml.logout import Received
from signin.saml.quoting import NOT_VERIFIED, quote

MAX_MESSAGE_BYTES = 100_000
MAX_CANDIDATES = 20  # connections of one IdP entity ID tried in turn (several organizations may use one IdP)
SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Peeked:
    issuer: str
    in_response_to: str
    signed: bool  # an XML signature is present (not yet verified)
    name_id: str = ""  # a LogoutRequest's, not yet verified: only to pick the connections to try first


@csrf_exempt  # the IdP's pages send it here; a logout message is signed, not tied to this browser
@require_http_methods(["GET", "POST"])
def slo(request):
    received = _received(request)
    peeked = _peek(received) if received is not None else None
    if peeked is None:
        return signed_out_page(request, error=SignInError("slo_unreadable", detail=_unreadable(request, received)))
    if received.kind == "SAMLResponse":
        return _answered(request, received, peeked)
    return _idp_signs_out(request, received, peeked)


def _answered(request, received: Received, peeked: Peeked):
    """The IdP's LogoutResponse to our LogoutRequest: our session ended already; this says whether the IdP's did."""
    connection_pk = logout.take_outstanding(peeked.in_response_to)
    connection = _saml_connections().filter(pk=connection_pk).first() if connection_pk else None
    if connection is None:
        detail = (
            f"The LogoutResponse's InResponseTo is {quote(peeked.in_response_to)} {NOT_VERIFIED}: no LogoutRequest "
            "KloudSSO sent in the last ten minutes, or one already answered."
        )
        return signed_out_page(request, error=SignInError("slo_response_unknown", detail=detail))
    try:
        logout.check_signed(connection, received, signed_xml=peeked.signed)
        response = logout.parse_response(connection, received).response
    except SignInError as exc:
        return signed_out_page(request, error=exc, connection=connection)
    status = response.status.status_code if response.status is not None else None
    if status is None or status.value != STATUS_SUCCESS:
        said = [status.value] if status is not None else ["no status"]
        if status is not None and status.status_code is not None:
            said.append(status.status_code.value)
        error = SignInError("slo_idp_refused", detail=f"The IdP answered with the status {' / '.join(said)}.")
        return signed_out_page(request, error=error, connection=connection)
    return signed_out_page(request, idp=connection.display_name)


def _idp_signs_out(request, received: Received, peeked: Peeked):
    candidates = _candidates(peeked)
    if not candidates:
        detail = f"The LogoutRequest's Issuer is {peeked.issuer[:300]!r}."
        return signed_out_page(request, error=SignInError("slo_unknown_issuer", detail=detail))
    refused, answering, verified, ended = None, None, None, 0
    for connection in candidates:
        try:
            logout.check_signed(connection, received, signed_xml=peeked.signed)
            parsed = logout.parse_request(connection, received)
            name_id, indexes = _named(parsed.message)
        except SignInError as exc:
            refused = refused or (exc, connection)
            continue
        ending = sso_session.end_sessions(connection, name_id=name_id, session_indexes=indexes)
        ended += ending
        verified = verified or (connection, parsed)
        if ending and answering is None:
            answering = (connection, parsed)
    # Answered through a connection that ended a session: another organization's connection can copy the IdP's
    # entity ID and certificates, and so verify its requests too, with its own single logout URL.
    answering = answering or verified
    if answering is None:
        error, connection = refused
        return signed_out_page(request, error=error, connection=connection)
    connection, parsed = answering
    logger.info("SAML single logout from the IdP of connection %s ended %d session(s)", connection.public_id, ended)
    return logout.answer(request, connection, parsed, arrived_by=received.binding, relay_state=received.relay_state)


def _candidates(peeked: Peeked) -> list[Connection]:
    """The connections of the Issuer to verify with: those with a session of the NameID named (read unverified, from
    the index) first, so that connections without one, however many, cannot push them past MAX_CANDIDATES."""
    of_issuer = _saml_connections().filter(saml__idp_entity_id=peeked.issuer, saml__single_logout=True)
    pks = list(of_issuer.order_by("pk").values_list("pk", flat=True))
    with_sessions = sso_session.connections_with_sessions(pks, name_id=peeked.name_id) if peeked.name_id else set()
    chosen = sorted(pks, key=lambda pk: pk not in with_sessions)[:MAX_CANDIDATES]  # a stable sort: pk order kept
    by_pk = of_issuer.in_bulk(chosen)
    return [by_pk[pk] for pk in chosen]


def _named(message) -> tuple[str, list[str]]:
    name_id = message.name_id
    if name_id is None or not (name_id.text or "").strip():
        raise SignInError("slo_invalid", detail="The LogoutRequest names no one (no NameID, or an encrypted one).")
    return name_id.text.strip(), [i.text.strip() for i in message.session_index if (i.text or "").strip()]


def _saml_connections():
    return Connection.objects.select_related("organization", "organization__service_provider", "saml").filter(
        kind=Kind.SAML
    )


def _received(request) -> Received | None:
    posted = request.method == "POST"
    params, binding = (request.POST, BINDING_HTTP_POST) if posted else (request.GET, BINDING_HTTP_REDIRECT)
    kinds = [k for k in ("SAMLRequest", "SAMLResponse") if k in params]
    if len(kinds) != 1 or len(params[kinds[0]]) > MAX_MESSAGE_BYTES:
        return None
    return Received(
        kind=kinds[0],
        binding=binding,
        message=params[kinds[0]],
        relay_state=params.get("RelayState"),
        sig_alg=params.get("SigAlg") if binding == BINDING_HTTP_REDIRECT else None,
        signature=params.get("Signature") if binding == BINDING_HTTP_REDIRECT else None,
    )


def _peek(received: Received) -> Peeked | None:
    """The message's Issuer, InResponseTo and whether it carries an XML signature, read with defusedxml; None for
    anything that is not a LogoutRequest or LogoutResponse as its parameter says."""
    xml = _decoded(received)
    if xml is None:
        return None
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        return None
    expected = f"{SAMLP}LogoutRequest" if received.kind == "SAMLRequest" else f"{SAMLP}LogoutResponse"
    issuer = root.find(f"{SAML}Issuer")
    if root.tag != expected or issuer is None or not (issuer.text or "").strip():
        return None
    return Peeked(
        issuer=issuer.text.strip(),
        in_response_to=root.get("InResponseTo") or "",
        signed=root.find(f"{DS}Signature") is not None,
        name_id=(root.findtext(f"{SAML}NameID") or "").strip(),
    )


def _decoded(received: Received) -> bytes | None:
    try:
        raw = base64.b64decode(received.message, validate=False)
    except (binascii.Error, ValueError):
        return None
    if received.binding == BINDING_HTTP_POST:
        return raw
    inflater = zlib.decompressobj(-15)  # DEFLATE without header (SAML bindings §3.4.4.1), and bounded
    try:
        xml = inflater.decompress(raw, MAX_MESSAGE_BYTES * 10)
    except zlib.error:
        return None
    return None if inflater.unconsumed_tail else xml


def _unreadable(request, received: Received | None) -> str:
    """Why what arrived is no logout message, in the order _received, _decoded and _peek refuse it."""
    params = request.POST if request.method == "POST" else request.GET
    kinds = [k for k in ("SAMLRequest", "SAMLResponse") if k in params]
    if received is None and not kinds:
        return f"No SAMLRequest or SAMLResponse parameter arrived (parameters: {', '.join(sorted(params)) or 'none'})."
    if received is None and len(kinds) == 2:
        return "Both a SAMLRequest and a SAMLResponse arrived; a logout message is one of them."
    if received is None:
        return f"The {kinds[0]} holds {len(params[kinds[0]])} characters; at most {MAX_MESSAGE_BYTES} are read."
    xml = _decoded(received)
    if xml is None:
        encoding = "base64" if received.binding == BINDING_HTTP_POST else "base64 of DEFLATE data (HTTP-Redirect)"
        return f"The {received.kind} is not {encoding}."
    expected = "LogoutRequest" if received.kind == "SAMLRequest" else "LogoutResponse"
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        return f"The {received.kind} is not XML: {quote(exc)}."
    return (
        f"The {received.kind} is a {quote(root.tag)} element; a {expected} (SAML protocol namespace) with an "
        "Issuer is expected."
    )
