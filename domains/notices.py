"""What owners are told by mail about a verified domain whose DNS record went missing (kloudsso.notify).

Each notice has a once_key naming the domain and the day its record was first missed, so a re-run, or two servers
re-checking at once, mail it once; a record that goes missing again later starts a new episode and new notices.
A mail that fails is logged and does not stop the re-check: the record-missing notice is tried again at the next
re-check (its key was not kept), the other two are not, as the state they report has already changed.
"""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse

from domains.dns_check import NO_TXT, NXDOMAIN, WRONG_VALUE
from domains.models import Domain
from kloudsso.notify import Category, notify_organization

logger = logging.getLogger(__name__)


# What the last look-up found, in a mail's words (the check's own messages speak to the owner on the Domains page).
WHAT_DNS_SAYS = {
    NXDOMAIN: "the name does not exist in DNS",
    NO_TXT: "the name exists but holds no TXT record",
    WRONG_VALUE: "the name's TXT records hold other values",
}


def notice_record_missing(*, domain: Domain, failing_since: datetime, outcome: str) -> None:
    stops_counting = failing_since + timedelta(days=settings.DOMAIN_REVERIFY_GRACE_DAYS)
    _send(
        domain,
        "record-missing",
        failing_since,
        subject=f"Action needed: the DNS record that verifies {domain.name} is missing",
        context={"stops_counting": stops_counting, "found": WHAT_DNS_SAYS.get(outcome, "the record was not found")},
    )


def notice_unverified(*, domain: Domain, failing_since: datetime) -> None:
    _send(
        domain,
        "unverified",
        failing_since,
        subject=f"{domain.name} no longer counts for sign-in: its DNS record is still missing",
        context={"grace_days": settings.DOMAIN_REVERIFY_GRACE_DAYS},
    )


def notice_record_restored(*, domain: Domain, failing_since: datetime) -> None:
    _send(
        domain,
        "record-restored",
        failing_since,
        subject=f"The DNS record that verifies {domain.name} is back",
        context={},
    )


def _send(domain: Domain, kind: str, failing_since: datetime, *, subject: str, context: dict) -> None:
    page = reverse("domains:list", kwargs={"org_slug": domain.organization.slug})
    try:
        notify_organization(
            org=domain.organization,
            category=Category.ALERT,
            subject=subject,
            template=f"domain_{kind.replace('-', '_')}",
            context={**context, "domain": domain, "failing_since": failing_since, "page": page},
            once_key=f"domain-{kind}:{domain.public_id}:{failing_since.isoformat()}",
        )
    except (OSError, smtplib.SMTPException):
        logger.exception("Mail %s for domain %s (%s) not sent", kind, domain.public_id, domain.organization.slug)
