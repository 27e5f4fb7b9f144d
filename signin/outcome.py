"""The one place that says "a sign-in ended with this outcome": its metrics and its log line.

Called where outcomes are decided (signin/pages.py for SSO, kloudsso/accounts/forms.py for passwords), after the
sign-in event (if any) was recorded. It sends no SQL: the organization is named only when it is already loaded.

The line holds the request id, organization slug, connection public id, protocol, outcome, failure code, duration
and the event's reference (the owners' Sign-in events page, and the person's failure page, show it). No email: it is
personal data, kept in the event under SIGNIN_EVENT_RETENTION_DAYS, which the reference leads to; logs are shipped
and kept elsewhere, on other terms. Never a claim, token or what the IdP sent.
"""

import logging
import time

from kloudsso import metrics
from kloudsso.request_log import organization_slug

logger = logging.getLogger("kloudsso.signin")

PROTOCOL_OF_VIEW = {"oidc_authentication_callback": "oidc", "saml_acs": "saml", "saml_finish": "saml"}


def signin_ended(request, *, code: str = "", protocol: str = "", connection=None, org=None, reference: str = ""):
    """`code` is "" for a success, else the catalogue code (or, for passwords, a code of PASSWORD_CODES)."""
    protocol = protocol or protocol_of(request, connection)
    started = getattr(request, "kloudsso_started", None)
    seconds = time.monotonic() - started if started is not None else 0.0
    metrics.signin_ended(protocol=protocol, code=code, seconds=seconds)
    fields = {
        "request_id": getattr(request, "request_id", ""),
        "organization": organization_slug(request, org=org, connection=connection),
        "connection": str(connection.public_id) if connection is not None else "",
        "protocol": protocol,
        "outcome": "failure" if code else "success",
        "code": code,
        "duration_ms": round(seconds * 1000, 1),
        "reference": reference,
    }
    logger.info(
        "sign-in %s%s: protocol=%s organization=%s connection=%s reference=%s duration_ms=%s request_id=%s",
        fields["outcome"],
        f" ({code})" if code else "",
        *(fields[name] or "-" for name in ("protocol", "organization", "connection", "reference")),
        fields["duration_ms"],
        fields["request_id"] or "-",
        extra=fields,
    )


def protocol_of(request, connection) -> str:
    if connection is not None:
        return str(connection.kind)  # "oidc" or "saml"
    match = getattr(request, "resolver_match", None)
    return PROTOCOL_OF_VIEW.get(match.url_name if match else "", "sso")  # sso: before a connection was chosen
