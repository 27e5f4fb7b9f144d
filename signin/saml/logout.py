"""SAML 2.0 single logout (SAML profiles §4.4), through pysaml2: the signed LogoutRequest our sign-out sends, the
IdP's LogoutResponse to it, the IdP's own LogoutRequest and our LogoutResponse.

Every message from an IdP must be signed with one of its connection's certificates: for HTTP-Redirect the query's
Signature (pysaml2's verify_redirect_signature, one certificate at a time), for HTTP-POST the XML signature
(pysaml2's own check against the connection's metadata, which holds those certificates alone). pysaml2 then checks
the message itself (Destination, IssueInstant).
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpResponseRedirect
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.response import StatusError
from saml2.saml import name_id_from_string
from saml2.sigver import verify_redirect_signature
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from connections.sp import SIGNATURE_ALGORITHMS, saml_slo_url, service_provider_get_or_create
from signin.errors import SignInError
from signin.logout_pages import leaving_page
from signin.saml import signer
from signin.saml.clients import client_for
from signin.saml.post_binding import post_binding_page
from signin.saml.quoting import quote

OUTSTANDING_SECONDS = 600  # how long a LogoutRequest we sent waits for the IdP's answer
_PERSON = "This sign-out request could not be verified, so it changed nothing here."
_STILL_AT_IDP = "Your identity provider may still have you signed in. Close the browser, or sign out on its site."


@dataclass(frozen=True)
class Received:
    """A logout message as it arrived: which parameter, which binding, and the rest of the query for the
    HTTP-Redirect signature."""

    kind: str  # "SAMLRequest" or "SAMLResponse"
    binding: str
    message: str  # base64, deflated for HTTP-Redirect
    relay_state: str | None
    sig_alg: str | None
    signature: str | None


def client_of(connection):
    return client_for(connection, sp=service_provider_get_or_create(org=connection.organization))


def to_idp(request, connection, remembered: dict):
    """Our session has ended already: send the browser to the IdP with a signed LogoutRequest for its session."""
    saml = connection.saml
    client = client_of(connection)
    binding = _any_binding(saml)
    destination = _slo_location(saml, binding)
    request_id, logout_request = client.create_logout_request(
        destination,
        saml.idp_entity_id,
        name_id=name_id_from_string(remembered["name_id"]),
        session_indexes=remembered.get("session_indexes") or None,
        sign=binding == BINDING_HTTP_POST,  # HTTP-Redirect signs the query instead (SAML bindings §3.4.4.1)
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    # In the shared cache, not the session: an HTTP-POST answer arrives without our SameSite cookie, and the
    # answer signs no one in, so it need not be tied to the browser.
    cache.set(_outstanding_key(request_id), connection.pk, OUTSTANDING_SECONDS)
    info = client.apply_binding(binding, str(logout_request), destination, sign=True, sigalg=SIG_RSA_SHA256)
    if binding == BINDING_HTTP_REDIRECT:
        return leaving_page(request, dict(info["headers"])["Location"], connection=connection)
    return post_binding_page(request, info, signing_out=True)


def take_outstanding(in_response_to: str) -> int | None:
    """The connection whose LogoutRequest this answers (once only), or None."""
    if not in_response_to or len(in_response_to) > 256:
        return None
    key = _outstanding_key(in_response_to)
    connection_pk = cache.get(key)
    cache.delete(key)
    return connection_pk


def check_signed(connection, received: Received, *, signed_xml: bool) -> None:
    """SignInError unless the message is signed by one of the connection's certificates (see the module's doc)."""
    if received.binding == BINDING_HTTP_POST:
        if not signed_xml:
            raise SignInError("slo_unsigned", _PERSON, "The HTTP-POST logout message has no XML signature.")
        return  # pysaml2 verifies the XML signature when it parses (parse_request, parse_response)
    if not received.signature or not received.sig_alg:
        raise SignInError("slo_unsigned", _PERSON, "The HTTP-Redirect logout message has no Signature parameter.")
    if received.sig_alg not in SIGNATURE_ALGORITHMS:
        raise SignInError("slo_bad_signature", _PERSON, f"The SigAlg {received.sig_alg[:200]!r} is not accepted.")
    signed = {received.kind: received.message, "SigAlg": received.sig_alg, "Signature": received.signature}
    if received.relay_state is not None:
        signed["RelayState"] = received.relay_state
    crypto = client_of(connection).sec.sec_backend
    for cert in signer.certificates_on_file(connection.saml):
        try:
            if verify_redirect_signature(signed, crypto, cert=_b64(cert.pem)):
                return
        except (ValueError, TypeError, KeyError):  # a Signature that is not base64, a key of another type
            continue
    raise SignInError(
        "slo_bad_signature",
        _PERSON,
        f"The Signature does not verify with the {connection.display_name} connection's signing certificates.",
    )


def parse_request(connection, received: Received):
    """pysaml2's LogoutRequest, its XML signature (HTTP-POST) verified, its Destination and times checked."""
    try:
        parsed = client_of(connection).parse_logout_request(received.message, received.binding)
    except Exception as exc:  # noqa: BLE001 -- pysaml2 raises bare Exception for unmet conditions
        raise _refused(exc) from None
    if parsed is None or parsed.message is None:
        raise SignInError("slo_invalid", _PERSON, "pysaml2 refused the LogoutRequest without a reason.")
    return parsed


def parse_response(connection, received: Received):
    try:
        parsed = client_of(connection).parse_logout_request_response(received.message, received.binding)
    except Exception as exc:  # noqa: BLE001 -- pysaml2 raises bare Exception for unmet conditions
        raise _refused(exc) from None
    if parsed is None or parsed.response is None:
        raise SignInError("slo_invalid", _PERSON, "pysaml2 refused the LogoutResponse without a reason.")
    return parsed


def answer(request, connection, parsed_request, *, arrived_by: str, relay_state: str | None):
    """Our signed LogoutResponse (Success) to the IdP's single logout URL on file, in the binding it arrived with
    when the IdP offers it there."""
    saml = connection.saml
    client = client_of(connection)
    binding = arrived_by if _slo_location(saml, arrived_by) else _any_binding(saml)
    destination = _slo_location(saml, binding)
    response = client.create_logout_response(
        parsed_request.message,
        bindings=[binding],
        sign=binding == BINDING_HTTP_POST,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    info = client.apply_binding(
        binding, str(response), destination, relay_state or "", response=True, sign=True, sigalg=SIG_RSA_SHA256
    )
    if binding == BINDING_HTTP_REDIRECT:
        return HttpResponseRedirect(dict(info["headers"])["Location"])
    return post_binding_page(request, info, signing_out=True)


def _slo_location(saml, binding: str) -> str:
    return saml.slo_redirect_url if binding == BINDING_HTTP_REDIRECT else saml.slo_post_url


def _any_binding(saml) -> str:
    return BINDING_HTTP_REDIRECT if saml.slo_redirect_url else BINDING_HTTP_POST


def _refused(exc: Exception) -> SignInError:
    said = str(exc)[:500] or type(exc).__name__
    if isinstance(exc, StatusError):  # the answer's signature is checked first: this is the IdP's own status
        last = str(exc).rsplit("\n", 1)[-1]  # pysaml2's "<message> from <status code>"
        return SignInError(
            "slo_idp_refused", _STILL_AT_IDP, f"The IdP answered the LogoutRequest with an error: {quote(last)}."
        )
    if "ignature" in said or type(exc).__name__ in {"SignatureError", "IncorrectlySigned", "SigverError"}:
        return SignInError("slo_bad_signature", _PERSON, f"pysaml2: {type(exc).__name__}: {said}")
    return SignInError(
        "slo_invalid", _PERSON, f"pysaml2: {type(exc).__name__}: {said} (our single logout URL: {saml_slo_url()})"
    )


def _outstanding_key(request_id: str) -> str:
    return f"saml-logout:{request_id}"


def _b64(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if "-----" not in line)
