"""Background tasks' metrics: how many wait (read at scrape time) and how each one finished (counted as it does).

The queue is one table shared by every server, so each server's scrape reports the same depth: aggregate it with
max(), not sum(). Finished tasks are counted in the process that ran them: `manage.py db_worker`, whose counts
reach /metrics when it runs beside gunicorn with the same PROMETHEUS_MULTIPROC_DIR.
"""

from django.db import DatabaseError
from django_tasks import TaskResultStatus
from django_tasks.signals import task_finished
from django_tasks_db.models import DBTaskResult
from prometheus_client.core import GaugeMetricFamily

from kloudsso import metrics


class TaskQueueCollector:
    """Tasks a worker could take now (READY and due): one COUNT, on the partial index of READY rows."""

    def collect(self):
        try:
            ready = DBTaskResult.objects.ready().count()
        except DatabaseError:
            return  # the series goes missing, which absent() alerts on; /readyz says what is wrong
        yield GaugeMetricFamily("kloudsso_task_queue_ready", "Background tasks ready to run, not yet taken.", ready)


def count_finished(sender, task_result, **kwargs) -> None:
    status = "failed" if task_result.status == TaskResultStatus.FAILED else "successful"
    metrics.TASKS_FINISHED.labels(task=task_result.task.module_path, status=status).inc()


def connect() -> None:
    task_finished.connect(count_finished, dispatch_uid="kloudsso.task_metrics")
