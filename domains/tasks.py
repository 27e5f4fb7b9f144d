"""Background work on domains (Django's Tasks framework; enqueued by kloudsso/scheduler)."""

from collections import Counter

from django_tasks import task

from domains.models import Domain
from domains.services import domain_recheck

RECHECK_OUTCOMES = ("ok", "failing", "unverified", "temporary")


@task
def recheck_verified_domains() -> dict[str, int]:
    """Re-check every verified domain's DNS record; returns how many ended in each outcome of domain_recheck.

    Safe to run twice: a re-check only records what DNS says now.
    """
    counts = Counter(
        domain_recheck(domain=domain) for domain in Domain.objects.verified().select_related("organization").iterator()
    )
    return {outcome: counts[outcome] for outcome in RECHECK_OUTCOMES}
