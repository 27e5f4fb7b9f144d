"""Background work on connections' records (Django's Tasks framework; enqueued by kloudsso/scheduler)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from connections.answers import SignInAnswer
from connections.events import SignInEvent


@task
def prune_signin_events() -> int:
    """Delete sign-in events older than SIGNIN_EVENT_RETENTION_DAYS; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.SIGNIN_EVENT_RETENTION_DAYS)
    deleted, _ = SignInEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@task
def prune_signin_answers() -> int:
    """Delete what IdPs sent for failed sign-ins once older than SAML_RESPONSE_RETENTION_DAYS; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.SAML_RESPONSE_RETENTION_DAYS)
    deleted, _ = SignInAnswer.objects.filter(created_at__lt=cutoff).delete()
    return deleted
