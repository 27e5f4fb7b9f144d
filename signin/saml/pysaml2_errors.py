"""What pysaml2's exceptions mean, as refusals worded for owners.

pysaml2 raises them before it has verified anything, or while verifying: whatever they quote is the response's own
text, so it is labelled NOT_VERIFIED and bounded.
"""

from django.utils import timezone
from saml2 import SAMLError
from saml2.response import IncorrectlySigned, StatusError, UnsolicitedResponse
from saml2.sigver import MissingKey, SignatureError, SigverError
from saml2.validate import ResponseLifetimeExceed, ToEarly
from saml2.xml.schema import XMLSchemaError

from signin.errors import SignInError
from signin.saml.answer import saml_answer
from signin.saml.quoting import NOT_VERIFIED, quote
from signin.saml.signers import bad_signature_detail


def refusal_of(exc: Exception, *, connection, request_id: str, saml_response: str = "") -> SignInError:
    if isinstance(exc, SignatureError) and isinstance(exc.__cause__, XMLSchemaError):
        return _not_schema_valid(exc.__cause__)
    if isinstance(exc, SignatureError | SigverError | IncorrectlySigned | MissingKey):
        return _bad_signature(connection, saml_response)
    if isinstance(exc, ResponseLifetimeExceed):
        # pysaml2's words hold both clocks: this server's (now) and the response's time
        return SignInError(
            "response_expired",
            detail=f"The assertion has expired (check the clocks) {NOT_VERIFIED}: {quote_error(exc)}",
        )
    if isinstance(exc, ToEarly):
        return SignInError(
            "response_not_yet_valid",
            detail=f"The assertion is not valid yet (check the clocks) {NOT_VERIFIED}: {quote_error(exc)}",
        )
    if isinstance(exc, UnsolicitedResponse):  # the routing found our request: pysaml2 finds it missing or different
        return SignInError(
            "saml_in_response_to_mismatch",
            detail=f"The Response and its assertion (not verified) do not both answer our request {request_id}.",
        )
    if isinstance(exc, StatusError):
        return SignInError(
            "saml_idp_status", detail=f"The IdP answered with an error {NOT_VERIFIED}: {quote_error(exc)}"
        )
    if isinstance(exc, SAMLError | ValueError | KeyError | TypeError | AttributeError):
        return SignInError("saml_invalid", detail=f"The response is not valid {NOT_VERIFIED}: {quote_error(exc)}")
    # pysaml2 raises a bare Exception for unmet conditions (an unknown Condition, a confirmation's unknown request)
    return SignInError(
        "saml_invalid", detail=f"The assertion's conditions are not met {NOT_VERIFIED}: {quote_error(exc)}"
    )


def _not_schema_valid(error: XMLSchemaError) -> SignInError:
    """pysaml2 validates the assertion against the SAML schema before it checks the signature."""
    cause = error.__cause__
    reason = getattr(cause, "reason", None) or "no reason given"
    where = getattr(cause, "path", None)
    return SignInError(
        "saml_invalid",
        detail=f"The assertion does not follow the SAML schema {NOT_VERIFIED}"
        + (f" at {quote(where)}" if where else "")
        + f": {quote(reason)}. pysaml2 checks the schema before the signature, so this says nothing of the "
        "certificates: the IdP sends XML the SAML schema does not allow.",
    )


def _bad_signature(connection, saml_response: str) -> SignInError:
    certificates = list(connection.saml.certificates.all())
    answer = saml_answer(saml_response, connection) if saml_response else None
    if answer is None:
        now = timezone.now()
        on_file = "; ".join(f"{c.subject} (SHA-256 {c.sha256_fingerprint}, {_validity(c, now)})" for c in certificates)
        return SignInError(
            "saml_bad_signature",
            detail=f"No signature verifies with a certificate of this connection. On file: {on_file or 'none'}.",
        )
    return SignInError("saml_bad_signature", detail=bad_signature_detail(answer["signatures"], certificates))


def _validity(certificate, now) -> str:
    if certificate.not_after <= now:
        return f"expired {certificate.not_after:%Y-%m-%d}: no longer accepted"
    return f"expires {certificate.not_after:%Y-%m-%d}"


def quote_error(exc: Exception) -> str:
    # pysaml2's messages may quote the response: bounded and repr()'d like every other quoted value.
    return quote(str(exc) or type(exc).__name__)  # some pysaml2 exceptions carry no message
