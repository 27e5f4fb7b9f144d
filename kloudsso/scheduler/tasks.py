"""The task engine's own housekeeping."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from kloudsso.scheduler.models import ScheduledRun


@task
def prune_task_results() -> dict[str, int]:
    """Delete finished task results and ended scheduler periods older than TASK_RESULT_RETENTION_DAYS.

    The same rows as django_tasks_db's prune_db_task_results command, every queue; results still waiting or
    running stay. A period is only deleted once it has ended, so its job is never enqueued a second time in it.
    """
    cutoff = timezone.now() - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    results, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    runs, _ = ScheduledRun.objects.filter(period_end__lt=cutoff).delete()
    return {"task_results": results, "scheduled_runs": runs}
