"""The times of a SAML response, checked before it is verified (signin/saml/precheck): each refusal says which.

pysaml2 checks them again after verifying, but words two of them poorly: a past SessionNotOnOrAfter comes out as an
expired assertion, and an IssueInstant more than a day away as a response refused for no reason given. Every time
quoted is the unverified response's own text; the person gets the catalogue entry's message.
"""

import calendar
import time

from saml2.time_util import str_to_time

from signin.errors import SignInError
from signin.saml.quoting import NOT_VERIFIED, quote
from signin.saml.sp_config import CLOCK_SKEW_SECONDS

ISSUED_WITHIN_SECONDS = 24 * 3600  # pysaml2's issue_instant_ok(): a day either way, plus the clock skew


def check_times(seen) -> None:
    now = time.time()
    _check_issue_instant(seen.issue_instant, now)
    for t in seen.not_on_or_after:
        if _epoch(t) + CLOCK_SKEW_SECONDS <= now:
            raise SignInError(
                "response_expired",
                detail=f"NotOnOrAfter {quote(t)} {NOT_VERIFIED} is {int(now - _epoch(t))} s in the past by this "
                f"server's clock ({_utc(now)}); the allowed skew is {CLOCK_SKEW_SECONDS} s. "
                + _issued(seen.issue_instant, now),
            )
    for t in seen.not_before:
        if _epoch(t) - CLOCK_SKEW_SECONDS > now:
            raise SignInError(
                "response_not_yet_valid",
                detail=f"NotBefore {quote(t)} {NOT_VERIFIED} is {int(_epoch(t) - now)} s ahead of this server's "
                f"clock ({_utc(now)}); the allowed skew is {CLOCK_SKEW_SECONDS} s. " + _issued(seen.issue_instant, now),
            )
    for t in seen.session_not_on_or_after:  # SAML core 2.7.2: the IdP says the session has ended
        if _epoch(t) + CLOCK_SKEW_SECONDS <= now:
            raise SignInError(
                "saml_invalid",
                detail=f"The AuthnStatement's SessionNotOnOrAfter {quote(t)} {NOT_VERIFIED} is past by "
                f"{int(now - _epoch(t))} s on this server's clock ({_utc(now)}): the IdP ended the session it "
                "vouches for before this sign-in.",
            )


def _issued(issue_instant: str, now: float) -> str:
    """What the IdP's IssueInstant says of its clock: issued "now" by its clock means the clocks differ."""
    offset = int(_epoch(issue_instant) - now)
    if abs(offset) <= CLOCK_SKEW_SECONDS:
        return (
            f"The IdP's IssueInstant {quote(issue_instant)} is {_signed(offset)} s from this server's clock: the "
            "answer is not old, so its validity window itself is wrong (the IdP's token lifetime or its clock)."
        )
    return f"The IdP's IssueInstant {quote(issue_instant)} is {_signed(offset)} s from this server's clock: " + (
        "the IdP's clock is ahead, or this server's behind." if offset > 0 else "an old answer, or a clock behind."
    )


def _signed(seconds: int) -> str:
    return f"+{seconds}" if seconds > 0 else str(seconds)


def _utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _check_issue_instant(issue_instant: str, now: float) -> None:
    if not issue_instant:
        raise SignInError("saml_invalid", detail=f"The Response has no IssueInstant {NOT_VERIFIED}.")
    if abs(_epoch(issue_instant) - now) >= ISSUED_WITHIN_SECONDS + CLOCK_SKEW_SECONDS:
        raise SignInError(
            "saml_invalid",
            detail=f"The Response's IssueInstant {quote(issue_instant)} {NOT_VERIFIED} is "
            f"{_signed(int(_epoch(issue_instant) - now))} s from this server's clock ({_utc(now)}), more than a day: "
            "an old answer posted again, or the IdP's clock is wrong.",
        )


def _epoch(saml_time: str) -> float:
    try:
        return calendar.timegm(str_to_time(saml_time))
    except (ValueError, TypeError, AttributeError, OverflowError):  # str_to_time fails on some garbage oddly
        raise SignInError(
            "saml_invalid", detail=f"The response holds an unreadable time {quote(saml_time)} {NOT_VERIFIED}."
        ) from None
