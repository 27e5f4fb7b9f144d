"""Checks of a SAML response's unverified fields, before pysaml2 verifies it: clearer messages, never a decision.

Whatever fails here is refused; whatever passes is still verified by pysaml2 with the connection's certificates.
"""

import calendar
import time

from saml2.time_util import str_to_time

from connections.sp import saml_acs_url
from signin.errors import SignInError
from signin.saml.sp_config import CLOCK_SKEW_SECONDS

PERSON = "Your identity provider's answer could not be verified. Try again, or ask your admin."
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"


def precheck(connection, seen, entity_id: str) -> None:
    """Clear messages from the unverified fields; the verification below decides in any case."""
    acs = saml_acs_url()
    if seen.status and seen.status != SUCCESS:
        raise SignInError(
            "saml_idp_status",
            "Your identity provider did not sign you in. Ask your admin if this keeps happening.",
            f"The IdP answered {seen.status}: {seen.status_message}".strip(),
        )
    if seen.issuer != connection.saml.idp_entity_id:
        raise SignInError(
            "unknown_issuer", PERSON, f"Issuer {seen.issuer!r}, expected {connection.saml.idp_entity_id!r}."
        )
    if entity_id not in seen.audiences:  # an assertion meant for no one in particular is not meant for us
        raise SignInError("audience_mismatch", PERSON, f"Audience {', '.join(seen.audiences)}; set it to {entity_id}.")
    if seen.destination and seen.destination != acs:
        raise SignInError("destination_mismatch", PERSON, f"Destination {seen.destination}; set it to {acs}.")
    if any(r and r != acs for r in seen.recipients):
        raise SignInError("recipient_mismatch", PERSON, f"Recipient {', '.join(seen.recipients)}; set it to {acs}.")
    now = time.time()
    if any(_epoch(t) + CLOCK_SKEW_SECONDS <= now for t in seen.not_on_or_after):
        raise SignInError("response_expired", PERSON, "The assertion has expired (check the clocks).")
    if any(_epoch(t) - CLOCK_SKEW_SECONDS > now for t in seen.not_before):
        raise SignInError("response_not_yet_valid", PERSON, "The assertion is not valid yet (check the clocks).")


def _epoch(saml_time: str) -> float:
    try:
        return calendar.timegm(str_to_time(saml_time))
    except (ValueError, TypeError, AttributeError):  # str_to_time fails on some garbage with AttributeError
        raise SignInError("saml_invalid", PERSON, f"The response holds an unreadable time {saml_time!r}.") from None
