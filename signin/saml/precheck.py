"""Checks of a SAML response's unverified fields, before pysaml2 verifies it: clearer messages, never a decision.

Whatever fails here is refused; whatever passes is still verified by pysaml2 with the connection's certificates.
Every value quoted in a detail comes from a response whose signature has not been checked yet, so it is marked
"(not verified)": an owner must not take an attacker's words for the IdP's.
"""

import calendar
import time

from saml2.time_util import str_to_time

from connections.sp import saml_acs_url
from signin.errors import SignInError
from signin.saml.algorithms import refuse_weak_algorithms
from signin.saml.sp_config import CLOCK_SKEW_SECONDS

PERSON = "Your identity provider's answer could not be verified. Try again, or ask your admin."
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
NOT_VERIFIED = "(not verified)"


def precheck(connection, seen, entity_id: str) -> None:
    _check_status(seen)
    _check_shape(seen)
    _check_issuers(seen, connection.saml.idp_entity_id)
    _check_signatures(seen)
    _check_addressing(seen, entity_id)
    _check_times(seen)


def _check_status(seen) -> None:
    if not seen.status:
        raise SignInError("saml_invalid", PERSON, f"The response has no Status {NOT_VERIFIED}; SAML requires one.")
    if seen.status != SUCCESS:
        status = " / ".join(s for s in (seen.status, seen.sub_status) if s)
        raise SignInError(
            "saml_idp_status",
            "Your identity provider did not sign you in. Ask your admin if this keeps happening.",
            f"As the response states it {NOT_VERIFIED}: the IdP answered {status}: {seen.status_message}".strip(),
        )


def _check_shape(seen) -> None:
    if seen.encrypted:
        raise SignInError(
            "saml_encrypted_unsupported",
            PERSON,
            f"The response holds {', '.join(seen.encrypted)}; KloudSSO does not decrypt SAML assertions yet.",
        )
    if seen.assertions != 1:  # the Web SSO profile's one assertion; more would let one hide behind another
        raise SignInError(
            "saml_invalid", PERSON, f"The response holds {seen.assertions} assertions; exactly one is required."
        )


def _check_issuers(seen, idp_entity_id: str) -> None:
    """The Response's Issuer (optional) and the Assertion's (required) must both be the connection's IdP."""
    strangers = [i for i in seen.issuers if i != idp_entity_id]
    if strangers or not seen.issuers:
        named = ", ".join(repr(i) for i in seen.issuers) or "no Issuer"
        raise SignInError(
            "unknown_issuer", PERSON, f"Issuer {named} {NOT_VERIFIED}; the connection's IdP is {idp_entity_id!r}."
        )


def _check_signatures(seen) -> None:
    refuse_weak_algorithms(seen)
    if seen.response_signed and not seen.assertion_signed:  # unsigned everything: pysaml2's refusal says so
        raise SignInError(
            "saml_assertion_unsigned",
            PERSON,
            "The Response is signed but the Assertion in it is not; KloudSSO requires the assertion itself to be "
            "signed (its SP metadata says WantAssertionsSigned).",
        )


def _check_addressing(seen, entity_id: str) -> None:
    acs = saml_acs_url()
    if entity_id not in seen.audiences:  # an assertion meant for no one in particular is not meant for us
        audiences = ", ".join(seen.audiences) or "none"
        raise SignInError(
            "audience_mismatch", PERSON, f"Audience {audiences} {NOT_VERIFIED}; set the IdP's to {entity_id}."
        )
    if seen.destination and seen.destination != acs:
        raise SignInError(
            "destination_mismatch", PERSON, f"Destination {seen.destination} {NOT_VERIFIED}; set it to {acs}."
        )
    if seen.response_signed and not seen.destination:  # SAML bindings 3.5.5.2: a signed message names it
        raise SignInError(
            "destination_mismatch", PERSON, f"The Response is signed but has no Destination; it must be {acs}."
        )
    if any(r != acs for r in seen.recipients):
        recipients = ", ".join(r or "(none)" for r in seen.recipients)
        raise SignInError("recipient_mismatch", PERSON, f"Recipient {recipients} {NOT_VERIFIED}; set it to {acs}.")


def _check_times(seen) -> None:
    now = time.time()
    for t in seen.not_on_or_after:
        if _epoch(t) + CLOCK_SKEW_SECONDS <= now:
            raise SignInError(
                "response_expired", PERSON, f"NotOnOrAfter {t} {NOT_VERIFIED} is past (check the clocks)."
            )
    for t in seen.not_before:
        if _epoch(t) - CLOCK_SKEW_SECONDS > now:
            raise SignInError(
                "response_not_yet_valid", PERSON, f"NotBefore {t} {NOT_VERIFIED} is ahead (check the clocks)."
            )


def _epoch(saml_time: str) -> float:
    try:
        return calendar.timegm(str_to_time(saml_time))
    except (ValueError, TypeError, AttributeError, OverflowError):  # str_to_time fails on some garbage oddly
        raise SignInError(
            "saml_invalid", PERSON, f"The response holds an unreadable time {saml_time!r} {NOT_VERIFIED}."
        ) from None
