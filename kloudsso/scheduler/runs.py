"""Enqueueing each job once per period, however many schedulers run at once."""

import logging
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db import IntegrityError, transaction
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kloudsso.scheduler.jobs import Job
from kloudsso.scheduler.models import ScheduledRun

logger = logging.getLogger("kloudsso.scheduler")


def schedule_due(*, jobs: Iterable[Job], now: datetime) -> list[ScheduledRun]:
    """Enqueue every job whose period at `now` has no run yet; returns the runs this call took."""
    taken = []
    for job in jobs:
        start, end = job.period_at(now)
        # A read first: most passes find every period taken, and need no write (on SQLite, no write lock).
        if ScheduledRun.objects.filter(job=job.name, period_start=start).exists():
            continue
        run = scheduled_run_claim(job=job, start=start, end=end)
        if run is not None:
            taken.append(run)
    return taken


def scheduled_run_claim(*, job: Job, start: datetime, end: datetime) -> ScheduledRun | None:
    """Take the period and enqueue the job's task in one transaction, or return None if another scheduler has it."""
    try:
        with transaction.atomic():
            # Inserted before the task: a scheduler that loses the race never enqueues anything.
            run = ScheduledRun.objects.create(job=job.name, period_start=start, period_end=end)
            waiting = waiting_result_id(job=job)
            run.task_result_id = waiting or job.task.enqueue().id
            run.save(update_fields=["task_result_id"])
    except IntegrityError:  # scheduled_run_once_per_period: another scheduler took this period
        return None
    action = "Left to the waiting task result" if waiting else "Enqueued as task result"
    logger.info("%s %s: %s for the period from %s", action, run.task_result_id, job.name, start.isoformat())
    return run


def waiting_result_id(*, job: Job) -> UUID | None:
    """An earlier period's task result that no worker has started yet.

    That run will do this period's work too (a periodic task takes no arguments and does what is due when it runs),
    so a week without a worker leaves one re-check of the domains waiting, not seven.
    """
    earlier = ScheduledRun.objects.filter(job=job.name, task_result_id__isnull=False).values("task_result_id")
    return (
        DBTaskResult.objects.filter(id__in=earlier, status=TaskResultStatus.READY).values_list("id", flat=True).first()
    )
