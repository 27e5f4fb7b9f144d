"""Record sign-in attempts. What the IdP sent is kept for troubleshooting, minus anything secret."""

import re

from connections.events import Outcome, SignInEvent

SECRET_KEYS = re.compile(r"token|secret|password|signature|nonce|hash|code_verifier|assertion", re.IGNORECASE)
MAX_VALUE_LENGTH = 300


def redact(received: dict | None) -> dict:
    cleaned = {}
    for key, value in (received or {}).items():
        if SECRET_KEYS.search(str(key)):
            cleaned[str(key)] = "[redacted]"
        elif isinstance(value, list):
            cleaned[str(key)] = [str(v)[:MAX_VALUE_LENGTH] for v in value[:20]]
        else:
            cleaned[str(key)] = str(value)[:MAX_VALUE_LENGTH]
    return cleaned


def record(request, *, outcome: str, connection=None, org=None, email: str = "", error=None, received=None):
    return SignInEvent.objects.create(
        organization=org or (connection.organization if connection else None),
        connection=connection,
        email=(email or "")[:254],
        outcome=outcome,
        code=error.code if error else "",
        detail=error.detail if error else "",
        received=redact(received),
        ip=_client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )


def record_failure(request, error, *, connection=None, org=None, email="", received=None):
    return record(
        request, outcome=Outcome.FAILURE, connection=connection, org=org, email=email, error=error, received=received
    )


def _client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a proxy is configured to set it.
    return request.META.get("REMOTE_ADDR") or None
