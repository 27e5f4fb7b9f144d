"""Record sign-in attempts. What the IdP sent is kept for troubleshooting, minus anything secret."""

import re

from connections.answers import SignInAnswer
from connections.events import Outcome, SignInEvent
from connections.relink import subject_change_keep
from kloudsso.client_ip import client_ip

SECRET_KEYS = re.compile(r"token|secret|password|signature|nonce|hash|code_verifier|assertion", re.IGNORECASE)
MAX_VALUE_LENGTH = 300
# A refusal's detail quotes what anyone may post (each value bounded where it is quoted); the whole is bounded too.
MAX_DETAIL_LENGTH = 2000
MAX_ANSWER_LENGTH = 300_000  # a decoded response is at most 1 MB (signin/saml/peek); a real one is a few kB


JWT_LIKE = re.compile(r"eyJ[\w-]+\.[\w-]+")


def redact(received: dict | None, depth: int = 0) -> dict:
    """Keys that name secrets and values that look like tokens are replaced, at every depth (distributed claims
    nest access tokens); strings are cut short."""
    cleaned = {}
    for key, value in list((received or {}).items())[:100]:
        cleaned[str(key)[:100]] = "[redacted]" if SECRET_KEYS.search(str(key)) else _clean(value, depth)
    return cleaned


def _clean(value, depth: int):
    # Lists count towards the depth like dicts: an unsigned UserInfo answer may nest hundreds of levels.
    if isinstance(value, dict | list) and depth >= 3:
        return "[…]"
    if isinstance(value, dict):
        return redact(value, depth + 1)
    if isinstance(value, list):
        return [_clean(item, depth + 1) for item in value[:20]]
    text = str(value)
    return "[redacted]" if JWT_LIKE.search(text) else text[:MAX_VALUE_LENGTH]


def record(
    request, *, outcome: str, connection=None, org=None, email: str = "", error=None, received=None, detail: str = ""
):
    event = SignInEvent.objects.create(
        organization=org or (connection.organization if connection else None),
        connection=connection,
        email=(email or "")[:254],
        outcome=outcome,
        code=error.code if error else "",
        detail=_bounded(error.detail if error else detail),
        received=redact(received),
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
    offer = getattr(error, "relink", None)
    if offer is not None and connection is not None:
        subject_change_keep(event=event, identity_id=offer.identity_id, subject=offer.subject)
    return event


def _bounded(detail: str) -> str:
    return detail if len(detail) <= MAX_DETAIL_LENGTH else detail[:MAX_DETAIL_LENGTH] + "…"


def record_failure(request, error, *, connection=None, org=None, email="", received=None, answer=None):
    """The failure's event; with `answer` (what the IdP sent, see SignInAnswer), that too, for the owners."""
    event = record(
        request, outcome=Outcome.FAILURE, connection=connection, org=org, email=email, error=error, received=received
    )
    if answer:
        body = answer["body"]
        SignInAnswer.objects.create(
            event=event,
            kind=answer["kind"],
            body=body if len(body) <= MAX_ANSWER_LENGTH else body[:MAX_ANSWER_LENGTH] + "\n…",
            signatures=answer.get("signatures", []),
        )
    return event
