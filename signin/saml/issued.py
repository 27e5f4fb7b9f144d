"""Notes in the shared cache of the AuthnRequests any app server sent: for which connection, from which browser
session, and whether they were answered. They only word refusals (signin/saml/unmatched); the session decides.

A note need not outlive a long stay at the IdP's login page: an answer later than that is worded as never sent.
Anyone with a CSRF token can start sign-ins, so the notes an IP address leaves are capped as well; beyond the cap
its sign-ins still work, only their refusals are worded as answers to requests never sent. So it is while the
cache does not answer: sign-ins go on, unnoted, and a refusal the notes would have worded is worded the same way.
"""

import hashlib
import secrets

from django.core.cache import cache

from kloudsso import rate_limit
from kloudsso.client_ip import client_ip
from kloudsso.outages import without_cache

ISSUED_SECONDS = 3600
NOTES_PER_IP = 100
NOTES_WINDOW_SECONDS = 600
BROWSER_SESSION_KEY = "kloudsso_saml_browser"  # a random mark: kept at sign-in (key cycling), gone at sign-out


def note_sent(request, request_id: str, public_id: str) -> None:
    request.session.setdefault(BROWSER_SESSION_KEY, secrets.token_urlsafe(16))
    key = f"saml-start-notes:{client_ip(request)}"
    with without_cache("a SAML request goes unnoted"):
        if rate_limit.allow(key, limit=NOTES_PER_IP, window_seconds=NOTES_WINDOW_SECONDS):
            _note(request_id, public_id, browser=browser_of(request), answered=False)


def note_answered(request, request_id: str, public_id: str) -> None:
    with without_cache("a SAML answer goes unnoted"):
        _note(request_id, public_id, browser=browser_of(request), answered=True)


def note_of(request_id: str) -> dict | None:
    """{"connection": public ID, "browser": browser_of() of the session that sent it, "answered": bool}, or None."""
    with without_cache("a refusal is worded without the SAML notes"):
        return cache.get(_key(request_id))
    return None


def browser_of(request) -> str:
    """A hash of this session's random mark ("" before its first sign-in): the cache holds nothing of the session."""
    mark = request.session.get(BROWSER_SESSION_KEY)
    return hashlib.sha256(mark.encode()).hexdigest()[:32] if mark else ""


def _note(request_id: str, public_id: str, *, browser: str, answered: bool) -> None:
    cache.set(_key(request_id), {"connection": public_id, "browser": browser, "answered": answered}, ISSUED_SECONDS)


def _key(request_id: str) -> str:
    # hashed: the ID in a response is anyone's text, and some caches refuse long keys or spaces
    return "saml-issued:" + hashlib.sha256(request_id.encode()).hexdigest()
