"""How values read from a SAML response are quoted in what owners see: bounded, and labelled until verified.

Anyone can post a response, for their own sign-in, at any organization's connection, and a refusal's detail becomes
a row in that organization's events. So each value quoted is cut to a line, a list stops after a few, and a value
no signature has vouched for yet carries NOT_VERIFIED: an owner must not take an attacker's words for the IdP's.
"""

NOT_VERIFIED = "(not verified)"
MAX_QUOTED = 200
MAX_LISTED = 3


def quote(value) -> str:
    """repr() of the value cut short: a newline or a quote mark inside it cannot pass for our own words."""
    text = str(value)
    if not text:
        return "(empty)"
    return repr(text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED] + "…")


def quote_all(values, *, none: str = "none") -> str:
    distinct = list(dict.fromkeys(values))
    if not distinct:
        return none
    shown = ", ".join(quote(v) for v in distinct[:MAX_LISTED])
    more = len(distinct) - MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown
