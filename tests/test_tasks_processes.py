"""The worker and the scheduler as users run them: two servers' `manage.py run_scheduler` and `manage.py
db_worker`, in their own processes on the test database (SQLite or PostgreSQL, whichever the run uses), re-checking
a domain against a real DNS server."""

import signal
import subprocess
import sys
import time

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from domains.models import Domain
from kloudsso.scheduler.jobs import scheduled_jobs
from kloudsso.scheduler.models import ScheduledRun
from tests.support.gunicorn_server import ROOT, production_env
from tests.support.second_server import database_url

# One period from 1 January 2000 to 2100 for every job: a test that straddles the end of a period (midnight UTC, by
# default) would see each job enqueued again, and its counts fail.
ONE_PERIOD = {"SCHEDULE_DOMAIN_RECHECK_HOURS": str(100 * 365 * 24), "SCHEDULE_PRUNE_HOURS": str(100 * 365 * 24)}


def start(env, log, *args):
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_for(condition, processes, timeout=90):  # generous: CI machines are busy
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        assert all(p.poll() is None for p in processes), "a process exited"
        time.sleep(0.2)
    raise AssertionError("timed out")


def started(log):
    return any(line in log.read_text() for line in ("Scheduler started", "Starting worker"))


@pytest.mark.django_db(transaction=True)
def test_two_servers_schedulers_and_workers_recheck_the_domain_once_and_stop_cleanly(acme, dns, tmp_path):
    domain = Domain.objects.create(organization=acme, name="acme.com", status="verified", verified_at=timezone.now())
    dns.add_txt(domain.record_name, domain.record_value)
    env = production_env(
        database_url=database_url(),
        public_base_url="http://127.0.0.1:8000",
        static_root=tmp_path / "static",
        DNS_NAMESERVERS=dns.address,
        DNS_TIMEOUT_SECONDS="2",
        **ONE_PERIOD,
    )
    jobs = len(scheduled_jobs())
    processes = [
        start(env, tmp_path / f"{name}-{server}.log", *command)
        for server in (1, 2)
        for name, command in [
            ("scheduler", ["run_scheduler", "--interval", "0.5"]),
            ("worker", ["db_worker", "--interval", "0.2", "--no-startup-delay"]),
        ]
    ]
    try:
        wait_for(lambda: DBTaskResult.objects.filter(finished_at__isnull=False).count() >= jobs, processes)
        time.sleep(1)  # two more passes of each scheduler: still nothing new in this period

        domain.refresh_from_db()
        assert domain.last_check_ok and "with the expected value" in domain.last_check_result
        results = list(DBTaskResult.objects.all())
        assert [r.status for r in results] == ["SUCCESSFUL"] * jobs
        assert all(len(r.worker_ids) == 1 for r in results), "a task was claimed by two workers"
        assert ScheduledRun.objects.count() == jobs
        # On a busy machine one server's pair may have done all the work while the other's is still starting, and
        # SIGTERM before a command sets its handler kills it: wait until each has said it started.
        wait_for(lambda: all(started(log) for log in tmp_path.glob("*.log")), processes)
        for process in processes:
            process.send_signal(signal.SIGTERM)
        assert [p.wait(timeout=15) for p in processes] == [0] * len(processes)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    logs = {log.name: log.read_text() for log in tmp_path.glob("*.log")}
    assert "Traceback" not in "".join(logs.values())
    assert sum(text.count("state=RUNNING") for name, text in logs.items() if name.startswith("worker")) == jobs
