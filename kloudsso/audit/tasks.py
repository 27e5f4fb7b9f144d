"""The audit log's retention (Django's Tasks framework; enqueued by kloudsso/scheduler)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from kloudsso.audit.models import AuditEvent


@task
def prune_audit_events() -> int:
    """Delete audit events older than AUDIT_LOG_RETENTION_DAYS; returns how many. 0 days (the default) keeps every
    event: nothing is deleted."""
    days = settings.AUDIT_LOG_RETENTION_DAYS
    if days <= 0:
        return 0
    deleted, _ = AuditEvent.objects.filter(created_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted
