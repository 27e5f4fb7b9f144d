"""Background work on directories' records (Django's Tasks framework; enqueued by kloudsso/scheduler)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from directory.models import SCIMRequest


@task
def prune_scim_requests() -> int:
    """Delete SCIM request log lines older than SCIM_REQUEST_RETENTION_DAYS; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.SCIM_REQUEST_RETENTION_DAYS)
    deleted, _ = SCIMRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
