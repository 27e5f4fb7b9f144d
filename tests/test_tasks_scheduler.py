"""The scheduler: each job enqueued once per period, however many schedulers run at once; the worker runs them."""

import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.db import connection as db_connection
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from domains.models import Domain
from kloudsso.scheduler.jobs import Job, scheduled_jobs
from kloudsso.scheduler.models import ScheduledRun
from kloudsso.scheduler.runs import schedule_due, scheduled_run_claim

JOBS = {
    "domain_recheck",
    "saml_metadata_refresh",
    "signin_event_prune",
    "signin_answer_prune",
    "password_throttle_event_prune",
    "task_result_prune",
    "audit_event_prune",
    "scim_request_prune",
    "expiry_reminders",
}
NOW = datetime(2026, 3, 5, 0, 30, tzinfo=UTC)
DAY = timedelta(days=1)


@task
def explode() -> None:
    raise RuntimeError("the job went wrong")


def enqueued_jobs(now):
    return sorted(run.job for run in schedule_due(jobs=scheduled_jobs(), now=now))


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())


def worker_takes_every_waiting_task():
    DBTaskResult.objects.filter(status="READY").update(status="RUNNING", started_at=timezone.now())


def test_each_job_is_enqueued_once_in_its_period_and_again_in_the_next(db):
    assert enqueued_jobs(NOW) == sorted(JOBS)
    assert enqueued_jobs(NOW + timedelta(hours=11)) == []  # the shortest period is the metadata refresh's 12 hours
    worker_takes_every_waiting_task()
    assert enqueued_jobs(NOW + DAY) == sorted(JOBS)
    assert DBTaskResult.objects.filter(status="READY").count() == len(JOBS)
    assert DBTaskResult.objects.count() == 2 * len(JOBS)
    starts = set(ScheduledRun.objects.values_list("period_start", flat=True))
    assert starts == {datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC)}


def test_a_week_without_a_worker_leaves_one_task_of_each_job_waiting_not_seven(db):
    for day in range(7):
        assert enqueued_jobs(NOW + day * DAY) == sorted(JOBS)  # each period is taken...
    assert DBTaskResult.objects.count() == len(JOBS)  # ...by the task still waiting from the first
    for job in JOBS:
        runs = ScheduledRun.objects.filter(job=job)
        assert runs.count() == 7 and len({run.task_result_id for run in runs}) == 1, job

    worker_takes_every_waiting_task()  # started before the next period began: that period needs a run of its own
    assert enqueued_jobs(NOW + 7 * DAY) == sorted(JOBS)
    assert DBTaskResult.objects.filter(status="READY").count() == len(JOBS)


def test_each_run_names_the_task_result_it_enqueued_and_its_task_takes_no_arguments(db):
    schedule_due(jobs=scheduled_jobs(), now=NOW)
    for run in ScheduledRun.objects.all():
        result = DBTaskResult.objects.get(id=run.task_result_id)
        # Task arguments are stored and shown in the admin: the periodic jobs take none, so nothing secret is there.
        assert result.args_kwargs == {"args": [], "kwargs": {}}, run.job


def test_the_periods_are_settings(db, settings):
    settings.SCHEDULE_DOMAIN_RECHECK_HOURS = 12
    settings.SCHEDULE_PRUNE_HOURS = 48
    settings.SAML_METADATA_REFRESH_HOURS = 6
    assert enqueued_jobs(NOW) == sorted(JOBS)
    assert enqueued_jobs(NOW + timedelta(hours=6)) == ["saml_metadata_refresh"]
    assert enqueued_jobs(NOW + timedelta(hours=12)) == ["domain_recheck", "saml_metadata_refresh"]
    # 6 March 00:00 to 7 March 00:00 is a 48-hour period's; the expiry reminders run daily whatever the settings
    assert enqueued_jobs(NOW + DAY) == ["domain_recheck", "expiry_reminders", "saml_metadata_refresh"]
    assert enqueued_jobs(NOW + 2 * DAY) == sorted(JOBS)


@pytest.mark.parametrize(
    ("hours", "moment", "start"),
    [
        (24, datetime(2026, 3, 5, 23, 59, 59, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC)),
        (24, datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC)),
        (12, datetime(2026, 3, 5, 13, 45, tzinfo=UTC), datetime(2026, 3, 5, 12, tzinfo=UTC)),
        # A period that does not divide a day runs on from 1 January 2000, not from each midnight.
        (7, datetime(2026, 3, 5, 13, 45, tzinfo=UTC), datetime(2026, 3, 5, 13, tzinfo=UTC)),
    ],
)
def test_every_server_computes_the_same_period_from_midnight_utc(hours, moment, start):
    job = Job("any", explode, timedelta(hours=hours))
    assert job.period_at(moment) == (start, start + timedelta(hours=hours))
    assert job.period_at(moment.astimezone(timezone.get_fixed_timezone(-300))) == (
        start,
        start + timedelta(hours=hours),
    )


def test_the_command_reads_the_time_from_django(db, monkeypatch):
    moment = [NOW]
    monkeypatch.setattr(timezone, "now", lambda: moment[0])
    call_command("run_scheduler", "--once")
    call_command("run_scheduler", "--once")
    assert ScheduledRun.objects.count() == len(JOBS)
    moment[0] = NOW + DAY
    call_command("run_scheduler", "--once")
    assert ScheduledRun.objects.count() == 2 * len(JOBS)


def test_a_period_already_taken_is_not_enqueued_again(db):
    job = Job("domain_recheck", explode, DAY)
    start, end = job.period_at(NOW)
    assert scheduled_run_claim(job=job, start=start, end=end) is not None
    assert scheduled_run_claim(job=job, start=start, end=end) is None  # past the read: the constraint refuses it
    assert DBTaskResult.objects.count() == 1


def at_once(count, work):
    """Run work() in `count` threads released together, each with its own database connection."""
    barrier = threading.Barrier(count)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            outcomes.append(work())
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == count, "a thread failed"
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_schedulers_on_several_servers_at_once_enqueue_each_job_once():
    outcomes = at_once(4, lambda: [run.job for run in schedule_due(jobs=scheduled_jobs(), now=NOW)])
    assert sorted(job for jobs in outcomes for job in jobs) == sorted(JOBS)
    assert DBTaskResult.objects.count() == len(JOBS)
    assert ScheduledRun.objects.filter(task_result_id__isnull=False).count() == len(JOBS)


@pytest.mark.django_db(transaction=True)
def test_two_claims_of_one_period_at_once_enqueue_once():
    job = Job("domain_recheck", explode, DAY)
    start, end = job.period_at(NOW)
    outcomes = at_once(2, lambda: scheduled_run_claim(job=job, start=start, end=end))
    assert sorted(outcome is None for outcome in outcomes) == [False, True]
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_what_the_scheduler_enqueued(acme, dns):
    domain = Domain.objects.create(organization=acme, name="acme.com", status="verified", verified_at=NOW)
    dns.add_txt(domain.record_name, domain.record_value)
    schedule_due(jobs=scheduled_jobs(), now=timezone.now())
    run_worker()

    domain.refresh_from_db()
    assert domain.last_check_ok and domain.last_checked_at is not None
    results = {r.task_name: r for r in DBTaskResult.objects.all()}
    assert {r.status for r in results.values()} == {"SUCCESSFUL"}
    assert results["recheck_verified_domains"].return_value == {"ok": 1, "failing": 0, "unverified": 0, "temporary": 0}
    assert results["prune_signin_events"].return_value == 0


@pytest.mark.django_db(transaction=True)
def test_a_task_that_raises_is_recorded_as_failed_and_the_next_period_still_runs():
    jobs = [Job("explode", explode, DAY)]
    schedule_due(jobs=jobs, now=NOW)
    run_worker()
    failed = DBTaskResult.objects.get()
    assert failed.status == "FAILED"
    assert failed.exception_class_path == "builtins.RuntimeError"
    assert "the job went wrong" in failed.traceback

    assert schedule_due(jobs=jobs, now=NOW + timedelta(hours=1)) == []
    schedule_due(jobs=jobs, now=NOW + DAY)
    run_worker()
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "FAILED"]


def test_a_pass_the_database_refuses_is_logged_and_the_loop_goes_on(monkeypatch, caplog):
    from kloudsso.scheduler.management.commands import run_scheduler

    def refuse(**kwargs):
        raise OperationalError("connection to server at 10.0.0.5 failed: password authentication failed")

    monkeypatch.setattr(run_scheduler, "schedule_due", refuse)
    run_scheduler.Command().one_pass()  # does not raise: the next pass tries again
    assert "Scheduler pass failed (OperationalError)" in caplog.text
    assert "10.0.0.5" not in caplog.text and "password" not in caplog.text


@pytest.mark.parametrize("interval", ["0", "-1", "nan", "inf", "soon"])
def test_the_interval_must_be_a_positive_number_of_seconds(interval):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("run_scheduler", "--interval", interval)
