"""The task engine's own housekeeping."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kloudsso.scheduler.models import ScheduledRun

# No task of ours runs for a day. One still RUNNING after that lost its worker (SIGKILLed, its machine gone, or its
# database gone when it came to record the end): django_tasks_db would leave it RUNNING for ever, never pruned.
RUNNING_AT_MOST = timedelta(days=1)


class WorkerLost(Exception):
    """Recorded as the error of a task result whose worker stopped before it finished."""


@task
def prune_task_results() -> dict[str, int]:
    """Delete finished task results and ended scheduler periods older than TASK_RESULT_RETENTION_DAYS.

    The same rows as django_tasks_db's prune_db_task_results command, every queue; results still waiting or
    running stay. A period is only deleted once it has ended, so its job is never enqueued a second time in it.
    Results running for longer than RUNNING_AT_MOST are recorded as failed first (and pruned in their turn).
    """
    now = timezone.now()
    abandoned = abandoned_results_fail(now=now)
    cutoff = now - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    results, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    runs, _ = ScheduledRun.objects.filter(period_end__lt=cutoff).delete()
    return {"task_results": results, "scheduled_runs": runs, "abandoned": abandoned}


def abandoned_results_fail(*, now: datetime) -> int:
    """Record the results started more than RUNNING_AT_MOST ago and still running as failed; returns how many.

    Should the worker be alive after all, its own end (successful or failed) overwrites this one.
    """
    return (
        DBTaskResult.objects.running()
        .filter(started_at__lt=now - RUNNING_AT_MOST)
        .update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback="WorkerLost: still running a day after it started: its worker stopped before it "
            "finished (killed, or its machine or database went away).\n",
        )
    )
