"""Background work on connections' records (Django's Tasks framework; enqueued by kloudsso/scheduler)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from connections.events import SignInEvent


@task
def prune_signin_events() -> int:
    """Delete sign-in events older than SIGNIN_EVENT_RETENTION_DAYS; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.SIGNIN_EVENT_RETENTION_DAYS)
    # The count of events alone: their offered re-links (connections/subject_change.py) go with them.
    _, deleted = SignInEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted.get(SignInEvent._meta.label, 0)
