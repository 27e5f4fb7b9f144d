"""Enqueueing each job once per period, however many schedulers run at once."""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction

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
            run.task_result_id = job.task.enqueue().id
            run.save(update_fields=["task_result_id"])
    except IntegrityError:  # scheduled_run_once_per_period: another scheduler took this period
        return None
    logger.info("Enqueued %s for the period from %s (task result %s)", job.name, start.isoformat(), run.task_result_id)
    return run
