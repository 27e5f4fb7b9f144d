"""Known-device cookies (OWASP, "Slow down online guessing attacks with device cookies").

A browser that has signed in to an account with its password gets a signed cookie naming that account (a keyed
hash of its throttle key and id, so the cookie does not carry the email) with a random nonce and the time it was issued.
Its later password attempts for that account are counted under that nonce alone, so strangers who keep the
account's shared count locked cannot keep its owner's own browser out. The cookie holds the browser's most recent
accounts, each valid for PASSWORD_KNOWN_DEVICE_DAYS after its last sign-in.
"""

import secrets
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.utils.crypto import salted_hmac

COOKIE_NAME = "kloudsso_known_device"
SALT = "kloudsso.accounts.known_device"
MAX_ACCOUNTS = 5  # a shared computer's few people; more entries would only grow every request's headers
_PENDING = "_kloudsso_known_device_cookie"  # set on the request by remember(), written out by the middleware


def device_for(request, account: str, email: str) -> str | None:
    """The nonce of this browser's known-device entry for the account `email` names (`account` is its throttle key),
    or None. Only a browser that holds some entry costs the query that finds the account."""
    entries = _entries(request)
    if not entries:
        return None
    user_pk = _account_of(email)
    if user_pk is None:
        return None
    tag = _tag(account, user_pk)
    for entry_tag, nonce, _issued in entries:
        if entry_tag == tag:
            return nonce
    return None


def remember(request, account: str, user_pk) -> None:
    """After a successful password sign-in: this browser becomes a known device of the account, with a fresh nonce."""
    tag = _tag(account, user_pk)
    others = [entry for entry in _entries(request) if entry[0] != tag]
    entries = [[tag, secrets.token_urlsafe(16), int(time.time())], *others][:MAX_ACCOUNTS]
    setattr(request, _PENDING, signing.dumps(entries, salt=SALT, compress=True))


def _account_of(email: str):
    """The one account the database finds for `email` (as the sign-in itself will), else None."""
    found = list(get_user_model().objects.filter(email__iexact=email.strip()).values_list("pk", flat=True)[:2])
    return found[0] if len(found) == 1 else None


class KnownDeviceMiddleware:
    """Writes the cookie that remember() prepared: the sign-in form has the request, not the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        value = getattr(request, _PENDING, None)
        if value:
            response.set_cookie(
                COOKIE_NAME,
                value,
                max_age=_lifetime_seconds(),
                secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def _entries(request) -> list[list]:
    """The cookie's entries still within their lifetime; none when it is absent, altered or in an old format."""
    value = request.COOKIES.get(COOKIE_NAME) if request is not None else None
    if not value:
        return []
    try:
        entries = signing.loads(value, salt=SALT, max_age=_lifetime_seconds())
    except signing.BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    oldest = time.time() - _lifetime_seconds()
    return [entry for entry in entries if _well_formed(entry) and entry[2] >= oldest]


def _well_formed(entry) -> bool:
    types = (str, str, int)
    return isinstance(entry, list) and len(entry) == 3 and all(map(isinstance, entry, types))


def _tag(account: str, user_pk) -> str:
    # The account's own id too: two accounts the throttle counts under one key (ß and ss) are two accounts in the
    # database, and signing in to one must not make a known device of the other.
    return salted_hmac(SALT, f"{account}\n{user_pk}", algorithm="sha256").hexdigest()[:32]


def _lifetime_seconds() -> int:
    return settings.PASSWORD_KNOWN_DEVICE_DAYS * 86_400
