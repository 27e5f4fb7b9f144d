from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from domains.dns_check import CheckResult, check_record
from domains.models import Domain, Status
from domains.names import normalize_domain
from domains.notices import notice_record_missing, notice_record_restored, notice_unverified

TAKEN_MESSAGE = (
    "Another organization has already verified {name}. If your company owns it, contact support with proof of "
    "ownership."
)


class DomainError(ValueError):
    pass


def domain_add(*, org, raw_name: str) -> Domain:
    name = normalize_domain(raw_name)
    if Domain.objects.filter(organization=org, name=name).exists():
        raise DomainError(f"{name} is already on this page.")
    if Domain.objects.verified().filter(name=name).exists():
        raise DomainError(TAKEN_MESSAGE.format(name=name))
    try:
        with transaction.atomic():
            return Domain.objects.create(organization=org, name=name)
    except IntegrityError:  # added twice at once
        raise DomainError(f"{name} is already on this page.") from None


@dataclass(frozen=True)
class VerifyOutcome:
    verified: bool
    message: str
    temporary: bool = False


def domain_verify(*, domain: Domain) -> VerifyOutcome:
    """The owner's Verify click: look the record up now and record what was found."""
    result = _lookup(domain)
    now = timezone.now()
    if not result.found:
        _record_check(domain, result, now)
        return VerifyOutcome(False, result.message, temporary=result.temporary)
    try:
        with transaction.atomic():
            Domain.objects.filter(pk=domain.pk).update(
                status=Status.VERIFIED,
                verified_at=domain.verified_at if domain.is_verified else now,
                failing_since=None,
                unverified_reason="",
                last_checked_at=now,
                last_check_ok=True,
                last_check_result=result.message,
            )
    except IntegrityError:  # the partial unique index: another organization verified it first
        message = TAKEN_MESSAGE.format(name=domain.name)
        _record_check(domain, CheckResult("taken", message), now)
        return VerifyOutcome(False, message)
    domain.refresh_from_db()
    return VerifyOutcome(
        True, f"{domain.name} is verified. People with an address at it or at its subdomains can sign in with SSO."
    )


def domain_recheck(*, domain: Domain, now: datetime | None = None) -> str:
    """The cron re-check of a verified domain; returns 'ok', 'failing', 'unverified' or 'temporary'.

    The owners are mailed (domains/notices.py) when the record is found missing, when the domain stops counting,
    and when the record comes back after it was missed; a DNS server that did not answer mails nothing.
    """
    now = now or timezone.now()
    result = _lookup(domain)
    if result.temporary:
        _record_check(domain, result, now)
        return "temporary"
    if result.found:
        Domain.objects.filter(pk=domain.pk).update(
            failing_since=None, last_checked_at=now, last_check_ok=True, last_check_result=result.message
        )
        if domain.failing_since:
            notice_record_restored(domain=domain, failing_since=domain.failing_since)
        return "ok"
    failing_since = domain.failing_since or _start_failing(domain, now)
    grace = timedelta(days=settings.DOMAIN_REVERIFY_GRACE_DAYS)
    if now - failing_since < grace:
        Domain.objects.filter(pk=domain.pk).update(
            failing_since=failing_since, last_checked_at=now, last_check_ok=False, last_check_result=result.message
        )
        notice_record_missing(domain=domain, failing_since=failing_since, outcome=result.outcome)
        return "failing"
    reason = (
        f"The verification record has been missing since {failing_since:%Y-%m-%d} (more than "
        f"{settings.DOMAIN_REVERIFY_GRACE_DAYS} days). Last check: {result.message}"
    )
    Domain.objects.filter(pk=domain.pk).update(
        status=Status.UNVERIFIED,
        unverified_reason=reason,
        failing_since=failing_since,
        last_checked_at=now,
        last_check_ok=False,
        last_check_result=result.message,
    )
    notice_unverified(domain=domain, failing_since=failing_since)
    return "unverified"


def _start_failing(domain: Domain, now: datetime) -> datetime:
    """The first miss: two servers re-checking at once must agree on one date, which names the notices' once_key."""
    Domain.objects.filter(pk=domain.pk, failing_since__isnull=True).update(failing_since=now)
    return Domain.objects.values_list("failing_since", flat=True).get(pk=domain.pk)


def domain_mark_unverified(*, domain: Domain, reason: str) -> None:
    Domain.objects.filter(pk=domain.pk).update(status=Status.UNVERIFIED, unverified_reason=reason)


def _lookup(domain: Domain) -> CheckResult:
    return check_record(record_name=domain.record_name, expected_value=domain.record_value)


def _record_check(domain: Domain, result: CheckResult, now: datetime) -> None:
    ok = None if result.temporary else False
    Domain.objects.filter(pk=domain.pk).update(last_checked_at=now, last_check_ok=ok, last_check_result=result.message)
