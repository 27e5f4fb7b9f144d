"""Background work on accounts (Django's Tasks framework; enqueued by kloudsso/scheduler)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from kloudsso.accounts.models import PasswordThrottleEvent


@task
def prune_password_throttle_events() -> int:
    """Delete password sign-in locks older than SIGNIN_EVENT_RETENTION_DAYS; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.SIGNIN_EVENT_RETENTION_DAYS)
    deleted, _ = PasswordThrottleEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
