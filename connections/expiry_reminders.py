"""Reminders before sign-ins stop: at 30, 14, 7 and 1 days before a SAML connection's last valid signing
certificate expires, or an OIDC connection's client secret (when the owner gave its date).

Each threshold mails once per connection and certificate (or secret expiry date), through notify's once_key: a run
that comes late sends the most urgent threshold passed (not every one it missed), a second run sends nothing, and
a later certificate put on file moves the expiry, and so the reminders, to it. Disabled connections get none: they
sign nobody in.
"""

import math
from datetime import UTC, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from connections.connection import Connection, Kind
from connections.oidc.secret_steps import secret_steps
from connections.saml.rollover import last_valid_certificate
from connections.saml.rollover_steps import rollover_steps
from connections.vendors import NAMES, oidc_vendor, saml_vendor
from kloudsso.notify import Category, notify_organization

THRESHOLDS = (1, 7, 14, 30)  # days, most urgent first


def threshold_reached(expires_at: datetime, *, now: datetime) -> int | None:
    """The most urgent threshold the time left has come within, or None (far off, or already expired)."""
    left = expires_at - now
    if left <= timedelta(0):
        return None
    return next((days for days in THRESHOLDS if left <= timedelta(days=days)), None)


def days_left(expires_at: datetime, *, now: datetime) -> int:
    return max(1, math.ceil((expires_at - now) / timedelta(days=1)))


def expiry_reminders_send(*, now: datetime | None = None) -> dict[str, int]:
    """Mail every reminder due; returns how many messages went out for each kind."""
    now = now or timezone.now()
    sent = {"saml": 0, "oidc": 0}
    connections = (
        Connection.objects.filter(enabled=True)
        .select_related("organization", "saml", "oidc")
        .prefetch_related("saml__certificates")
        .order_by("pk")
    )
    for connection in connections.iterator(chunk_size=200):
        if connection.kind == Kind.SAML:
            sent["saml"] += _saml_reminder(connection, now)
        else:
            sent["oidc"] += _oidc_reminder(connection, now)
    return sent


def _saml_reminder(connection, now) -> int:
    certificate = last_valid_certificate(connection.saml.certificates.all(), now=now)
    if certificate is None:
        return 0
    threshold = threshold_reached(certificate.not_after, now=now)
    if threshold is None:
        return 0
    vendor = saml_vendor(connection.saml)
    days = days_left(certificate.not_after, now=now)
    return notify_organization(
        org=connection.organization,
        category=Category.REMINDER,
        subject=f"The SAML signing certificate of “{connection.display_name}” expires in {_days(days)}",
        template="certificate_expiry",
        context={
            "connection": connection,
            "certificate": certificate,
            "days": _days(days),
            "vendor_name": NAMES[vendor],
            "steps": rollover_steps(vendor),
            "page": _page(connection, "#next-certificate"),
        },
        once_key=f"cert-expiry:{connection.public_id}:{certificate.sha256_fingerprint}:{threshold}",
    )


def _oidc_reminder(connection, now) -> int:
    expires_on = connection.oidc.client_secret_expires_on
    if expires_on is None:
        return 0
    # Entra shows a date: the secret is taken to stop at the start of that day (UTC), the earliest it may.
    expires_at = datetime.combine(expires_on, time(0), tzinfo=UTC)
    threshold = threshold_reached(expires_at, now=now)
    if threshold is None:
        return 0
    vendor = oidc_vendor(connection.oidc)
    days = days_left(expires_at, now=now)
    return notify_organization(
        org=connection.organization,
        category=Category.REMINDER,
        subject=f"The OIDC client secret of “{connection.display_name}” expires in {_days(days)}",
        template="client_secret_expiry",
        context={
            "connection": connection,
            "expires_on": expires_on,
            "days": _days(days),
            "vendor_name": NAMES[vendor],
            "steps": secret_steps(vendor),
            "page": _page(connection, "#field-client_secret"),
        },
        once_key=f"secret-expiry:{connection.public_id}:{expires_on.isoformat()}:{threshold}",
    )


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def _page(connection, anchor: str) -> str:
    return reverse("connections:edit", args=[connection.organization.slug, connection.public_id]) + anchor
