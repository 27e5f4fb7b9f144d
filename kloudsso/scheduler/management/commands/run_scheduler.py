import logging
import signal
import threading
from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from kloudsso.scheduler.jobs import scheduled_jobs
from kloudsso.scheduler.runs import schedule_due

logger = logging.getLogger("kloudsso.scheduler")


def positive_seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ArgumentTypeError(f"not a number of seconds: {raw!r}") from None
    if not 0 < value < float("inf"):
        raise ArgumentTypeError("must be more than 0 seconds")
    return value


class Command(BaseCommand):
    help = (
        "Enqueue the periodic jobs (kloudsso/scheduler/jobs.py) for `manage.py db_worker` to run, each once per "
        "period. Run it on every server: the database decides which scheduler takes each period."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit (for cron).")
        parser.add_argument(
            "--interval", type=positive_seconds, default=60.0, help="Seconds between passes (default: 60)."
        )

    def handle(self, *args, once: bool, interval: float, **options):
        if once:
            schedule_due(jobs=scheduled_jobs(), now=timezone.now())
            return
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())  # finish the pass under way, then exit 0
        logger.info("Scheduler started: a pass every %s s", interval)
        while not stopping.is_set():
            self.one_pass()
            stopping.wait(interval)
            # Like a request's end: drop a connection the database closed meanwhile, or one past its age.
            close_old_connections()

    def one_pass(self) -> None:
        try:
            schedule_due(jobs=scheduled_jobs(), now=timezone.now())
        except DatabaseError as exc:  # the database restarting: try again at the next pass, do not exit
            logger.warning("Scheduler pass failed (%s); trying again at the next pass", type(exc).__name__)
