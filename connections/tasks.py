"""Background work on connections' records (Django's Tasks framework; enqueued by kloudsso/scheduler)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from connections.answers import SignInAnswer
from connections.events import SignInEvent
from connections.expiry_reminders import expiry_reminders_send


@task
def prune_signin_events() -> int:
    """Delete sign-in events older than SIGNIN_EVENT_RETENTION_DAYS; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.SIGNIN_EVENT_RETENTION_DAYS)
    # The count of events alone: their offered re-links (connections/subject_change.py) go with them.
    _, deleted = SignInEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted.get(SignInEvent._meta.label, 0)


@task
def send_expiry_reminders() -> dict[str, int]:
    """Mail the owners of connections whose signing certificate or client secret expires within 30, 14, 7 or 1
    days (connections/expiry_reminders); returns how many messages went out per kind."""
    return expiry_reminders_send()


@task
def prune_signin_answers() -> int:
    """Delete what IdPs sent for failed sign-ins once older than SAML_RESPONSE_RETENTION_DAYS; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.SAML_RESPONSE_RETENTION_DAYS)
    deleted, _ = SignInAnswer.objects.filter(created_at__lt=cutoff).delete()
    return deleted
