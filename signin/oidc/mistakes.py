"""What an owner most likely did wrong, told from an ID token's claim and the connection's value (refusals only)."""

import re
import time

ENTRA_V1_ISSUER = re.compile(r"^https://sts\.windows\.net/([0-9a-f-]{36})/?$", re.IGNORECASE)
ENTRA_V2_ISSUER = re.compile(r"^https://login\.microsoftonline\.[a-z.]+/([0-9a-f-]{36})/v2\.0/?$", re.IGNORECASE)


def utc(epoch) -> str:
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(epoch)))
    except (TypeError, ValueError, OverflowError, OSError):
        return repr(epoch)[:40]


def issuer_cause(received, expected: str) -> str:
    if not isinstance(received, str):
        return "The token names no issuer a string can hold."
    v1, ours = ENTRA_V1_ISSUER.match(received), ENTRA_V2_ISSUER.match(expected)
    if v1 and ours and v1.group(1).lower() == ours.group(1).lower():
        return (
            "It is the same Entra ID tenant's v1.0 issuer: the app registration issues v1.0 tokens. In its manifest "
            "set accessTokenAcceptedVersion (requestedAccessTokenVersion) to 2."
        )
    tenants = [m.group(1).lower() for m in (v1 or ENTRA_V2_ISSUER.match(received), ours) if m]
    if len(tenants) == 2 and tenants[0] != tenants[1]:
        return (
            f"Another Entra ID tenant issued it ({tenants[0]}, not {tenants[1]}): the Discovery URL names another "
            "directory than the one people sign in to."
        )
    if received.rstrip("/") == expected.rstrip("/"):
        return "They differ only by a trailing slash: the IdP's discovery document and its tokens disagree."
    return "Another IdP issued it: the Discovery URL is not that of the IdP people sign in at."


def audience_cause(claims: dict, client_id: str) -> str:
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if client_id in {claims.get("tid"), claims.get("oid")}:
        return "The Client ID holds the Directory (tenant) ID or an object ID, not the Application (client) ID."
    if any(isinstance(a, str) and a.startswith("api://") for a in audiences):
        return "The token is for an API (api://…), not this application: check the Client ID and the scopes."
    return (
        "The token was issued to another application: the Client ID is that of another app registration (or "
        "of another environment's)."
    )


def alg_cause(alg) -> str:
    if isinstance(alg, str) and alg.lower() == "none":
        return "that is, unsigned: anyone could have written it."
    return "an algorithm KloudSSO does not verify ID tokens with (RS, PS or ES with the IdP's keys, or HS)."
