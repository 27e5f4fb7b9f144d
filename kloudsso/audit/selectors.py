"""Reads of the audit log, always scoped to one organization in the query itself."""

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet

from kloudsso.audit.forms import is_family
from kloudsso.audit.models import AuditEvent


def audit_event_list(*, org, who: str = "", what: str = "", since: date | None = None, until=None) -> QuerySet:
    """Newest first. `what` is an action code or its family (the part before the dot); dates are UTC days, both
    included."""
    events = AuditEvent.objects.filter(organization=org)
    if who:
        events = events.filter(actor_label__icontains=who)
    if what:
        events = events.filter(action__startswith=f"{what}.") if is_family(what) else events.filter(action=what)
    if since:
        events = events.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=UTC))
    if until and until < date.max:
        events = events.filter(created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC))
    return events.order_by("-created_at", "-id")
