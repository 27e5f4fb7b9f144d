from django.db import models


class ScheduledRun(models.Model):
    """A period of a job taken by one scheduler: the unique constraint is what lets every server run a scheduler.

    Inserted in the transaction that enqueues the job's task (the database backend's queue is a table of the same
    database), so both are committed or neither; a second scheduler's insert for the same period fails. No task is
    enqueued when an earlier period's is still waiting for a worker: that one does the work of both.
    """

    job = models.CharField(max_length=64)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    task_result_id = models.UUIDField(
        null=True,
        help_text="The django_tasks_db result doing this period's work: the one it enqueued, or an earlier period's "
        "that no worker had started yet",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "period_start"], name="scheduled_run_once_per_period")]
        indexes = [models.Index(fields=["period_end"], name="scheduled_run_period_end")]

    def __str__(self):
        return f"{self.job} {self.period_start:%Y-%m-%d %H:%M} UTC"
