"""Rules of SAML core and the Web SSO profile that pysaml2 does not enforce, held to the assertion it verified.

`response.assertion` is pysaml2's parse of the assertion whose signature it checked, with the SubjectConfirmations
it could confirm: what is read here is the IdP's word, so it is quoted (bounded) without a "not verified" label.
"""

from saml2.saml import SCM_BEARER

from connections.sp import saml_acs_url
from signin.errors import SignInError
from signin.saml.audience import audience_refusal
from signin.saml.mistakes import url_cause
from signin.saml.quoting import quote, quote_all


def check_profile(assertion, *, entity_id: str) -> None:
    if assertion.version != "2.0":  # SAML core 2.3.3; pysaml2 checks only the Response's
        raise SignInError("saml_invalid", detail=f"The assertion's Version is {quote(assertion.version)}, not 2.0.")
    refusal = audience_refusal(_audience_restrictions(assertion), entity_id)
    if refusal:
        raise refusal
    _check_confirmations(assertion.subject.subject_confirmation)


def check_in_response_to(assertion, *, request_id: str, response_in_response_to: str) -> None:
    """Each bearer SubjectConfirmationData of the verified assertion names the request it answers (SAML profiles
    4.1.4.2): the one this browser sent, or none for an IdP-initiated sign-in.

    pysaml2 compares it with the request only for an assertion in the clear; for an encrypted one the Response's own
    InResponseTo decides, and an unsigned Response's can be set by anyone: to the sender's own pending request, around
    an IdP-initiated assertion or one issued for another request.
    """
    bearer = [c for c in assertion.subject.subject_confirmation if c.method == SCM_BEARER]
    named = [(c.subject_confirmation_data.in_response_to or "") if c.subject_confirmation_data else "" for c in bearer]
    wrong = [n for n in named if n != request_id]
    if not wrong:
        return
    response_said = quote(response_in_response_to) if response_in_response_to else "no request"
    if request_id and not any(named):
        raise SignInError(
            "unsolicited_response",
            detail=f"The Response answers {response_said}, but its signed assertion answers no request "
            "(SubjectConfirmationData has no InResponseTo): the IdP issued it IdP-initiated, and it was put in a "
            "Response that claims this browser's request.",
        )
    expected = quote(request_id) if request_id else "no request (an IdP-initiated sign-in)"
    raise SignInError(
        "saml_in_response_to_mismatch",
        detail=f"The signed assertion answers {quote_all([n for n in named if n], none='no request')} and the Response "
        f"{response_said}; the assertion must answer {expected}.",
    )


def _audience_restrictions(assertion) -> list[list[str]]:
    conditions = assertion.conditions
    restrictions = conditions.audience_restriction if conditions is not None else []
    return [[a.text.strip() for a in r.audience if a.text and a.text.strip()] for r in restrictions]


def _check_confirmations(confirmations) -> None:
    """SAML profiles 4.1.4.2: a bearer SubjectConfirmation, whose Recipient is our ACS.

    pysaml2 keeps a sender-vouches confirmation unchecked and a holder-of-key one with no proof of the key, and
    signs in on either alone; KloudSSO offers neither profile.
    """
    if not any(c.method == SCM_BEARER for c in confirmations):
        methods = quote_all(c.method for c in confirmations)
        raise SignInError(
            "saml_invalid",
            detail=f"The assertion has no bearer SubjectConfirmation that holds (methods of those that do: {methods}); "
            "the Web SSO profile requires one.",
        )
    acs = saml_acs_url()
    for confirmation in confirmations:
        data = confirmation.subject_confirmation_data
        if data is None or data.recipient != acs:
            said = quote(data.recipient) if data is not None and data.recipient else "none"
            cause = url_cause(data.recipient, acs) if data is not None and data.recipient else ""
            raise SignInError(
                "recipient_mismatch", detail=f"The assertion's Recipient is {said}, not our ACS URL {acs}. {cause}"
            )
