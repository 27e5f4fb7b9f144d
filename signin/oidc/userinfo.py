"""The UserInfo request (OpenID Connect Core §5.3): asked only when the ID token carries no usable email.

The access token goes only to the connection's userinfo_endpoint, through the guarded client; it is never logged,
stored in an event or shown (the events keep the claims received, not the tokens).
"""

import json
import re

from django.views.decorators.debug import sensitive_variables

from kloudsso.guarded_http import FetchError, get_authorized
from signin.errors import SignInError

RECEIVED_KEY = "UserInfo response"  # how its claims appear among what was received
BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 §2.1 b64token
_PERSON = "Your identity provider could not complete the sign-in. Try again, or ask your admin."


@sensitive_variables("tokens", "access_token")
def userinfo_claims(oidc, tokens: dict, *, subject: str) -> dict:
    """The UserInfo response's claims, after checking that they are about the ID token's subject (§5.3.2)."""
    url = oidc.userinfo_endpoint
    access_token = tokens.get("access_token")
    if not isinstance(access_token, str) or not BEARER_TOKEN.fullmatch(access_token):
        raise _failed(f"The token endpoint returned no usable access_token, so {url} could not be asked.")
    try:
        result = get_authorized(url, authorization=f"Bearer {access_token}", endpoint="userinfo")
    except FetchError as exc:
        raise _failed(f"The UserInfo endpoint {url} could not be reached: {exc.message}") from None
    if result.status != 200:
        raise _failed(f"The UserInfo endpoint {url} answered HTTP {result.status}.")
    if result.content_type.split(";", 1)[0].strip().lower() == "application/jwt":
        raise _failed(
            f"The UserInfo endpoint {url} answered with a signed or encrypted JWT (application/jwt); only JSON "
            "answers are supported: turn off signed UserInfo responses for this client at the IdP."
        )
    info = _json_object(result.body)
    if info is None:
        raise _failed(f"The UserInfo endpoint {url} answered with something that is not a JSON object.")
    if info.get("sub") != subject:
        raise SignInError(
            "userinfo_sub_mismatch",
            _PERSON,
            f"The UserInfo response's sub is {info.get('sub')!r}"[:250]
            + f"; the ID token's is {subject!r}. They must be equal (OpenID Connect Core §5.3.2).",
        )
    return info


def _failed(detail: str) -> SignInError:
    return SignInError("userinfo_error", _PERSON, detail)


def _json_object(body: bytes) -> dict | None:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None
