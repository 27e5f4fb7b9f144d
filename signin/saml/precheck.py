"""Checks of a SAML response made before pysaml2 verifies it: they may refuse it, never accept it.

A refusal needs no signature: at worst it fails a response anyone could have sent for their own sign-in. So what can
be told early is refused here, with a precise reason, before a signature is checked: an error status, another SAML
version, several assertions, a stranger's Issuer, an algorithm outside the allow-list, a wrong Audience,
Destination, Recipient or time. Whatever passes is still verified by pysaml2 with the connection's certificates, and
the verified assertion is then held to the profile's rules (signin/saml/profile): nothing here lets a response
through. Every value quoted comes from a response no signature has vouched for yet: bounded, labelled NOT_VERIFIED.
What a response encrypts is read decrypted (signin/saml/encryption), so these checks see its assertion all the same.
"""

from connections.sp import saml_acs_url
from signin.errors import SignInError
from signin.saml.algorithms import refuse_unaccepted_algorithms
from signin.saml.audience import audience_refusal
from signin.saml.mistakes import issuer_cause, url_cause
from signin.saml.quoting import NOT_VERIFIED, quote, quote_all
from signin.saml.times import check_times

PERSON = "Your identity provider's answer could not be verified. Try again, or ask your admin."
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"


def precheck(connection, seen, entity_id: str) -> None:
    _check_status(seen)
    _check_shape(seen)
    _check_issuers(seen, connection.saml.idp_entity_id)
    _check_signatures(seen)
    _check_addressing(seen, entity_id)
    check_times(seen)


def _check_status(seen) -> None:
    if not seen.status:
        raise SignInError("saml_invalid", PERSON, f"The response has no Status {NOT_VERIFIED}; SAML requires one.")
    if seen.status != SUCCESS:
        status = " / ".join(quote(s) for s in (seen.status, seen.sub_status) if s)
        message = f": {quote(seen.status_message)}" if seen.status_message else ""
        raise SignInError(
            "saml_idp_status",
            "Your identity provider did not sign you in. Ask your admin if this keeps happening.",
            f"As the response states it {NOT_VERIFIED}: the IdP answered {status}{message}",
        )


def _check_shape(seen) -> None:
    if seen.version != "2.0":  # pysaml2 raises an exception with no message for it
        raise SignInError(
            "saml_invalid", PERSON, f"The Response's Version is {quote(seen.version)} {NOT_VERIFIED}, not 2.0."
        )
    if seen.assertions != 1:  # the Web SSO profile's one assertion; more would let one hide behind another
        raise SignInError(
            "saml_invalid", PERSON, f"The response holds {seen.assertions} assertions; exactly one is required."
        )


def _check_issuers(seen, idp_entity_id: str) -> None:
    """The Response's Issuer (optional) and the Assertion's (required) must both be the connection's IdP."""
    strangers = [i for i in seen.issuers if i != idp_entity_id]
    if strangers or not seen.issuers:
        named = quote_all(seen.issuers, none="no Issuer")
        cause = issuer_cause(strangers[0], idp_entity_id) if strangers else "The IdP must name itself."
        raise SignInError(
            "unknown_issuer",
            PERSON,
            f"Issuer {named} {NOT_VERIFIED}; the connection's IdP Entity ID on file is {quote(idp_entity_id)}. {cause}",
        )


def _check_signatures(seen) -> None:
    refuse_unaccepted_algorithms(seen)
    if not seen.response_signed and not seen.assertion_signed:  # no certificate to chase: a setting of the IdP's
        raise SignInError(
            "saml_unsigned",
            PERSON,
            "Neither the Response nor its Assertion carries a Signature; KloudSSO requires the assertion to be "
            "signed (its SP metadata says WantAssertionsSigned).",
        )
    if seen.response_signed and not seen.assertion_signed:
        raise SignInError(
            "saml_assertion_unsigned",
            PERSON,
            "The Response is signed but the Assertion in it is not; KloudSSO requires the assertion itself to be "
            "signed (its SP metadata says WantAssertionsSigned).",
        )


def _check_addressing(seen, entity_id: str) -> None:
    """Refused here with the unverified values quoted; each is checked again after verification (the audience and
    Recipient by signin/saml/profile, the Destination by pysaml2), which is what an acceptance rests on."""
    acs = saml_acs_url()
    refusal = audience_refusal(seen.audience_restrictions, entity_id, label=NOT_VERIFIED)
    if refusal:
        raise refusal
    if seen.destination and seen.destination != acs:
        raise SignInError(
            "destination_mismatch",
            PERSON,
            f"Destination {quote(seen.destination)} {NOT_VERIFIED}, not our ACS URL {acs}. "
            f"{url_cause(seen.destination, acs)} Set the IdP's Reply URL (ACS) to {acs}.",
        )
    if seen.response_signed and not seen.destination:  # SAML bindings 3.5.5.2: a signed message names it
        raise SignInError(
            "destination_mismatch", PERSON, f"The Response is signed but has no Destination; it must be {acs}."
        )
    wrong = [r for r in seen.recipients if r != acs]
    if wrong:
        raise SignInError(
            "recipient_mismatch",
            PERSON,
            f"Recipient {quote_all(seen.recipients)} {NOT_VERIFIED}, not our ACS URL {acs}. {url_cause(wrong[0], acs)} "
            f"Set the IdP's Reply URL (ACS) to {acs}.",
        )
