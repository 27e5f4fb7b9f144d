"""Each periodic job's task does its work (run in process with .call(); the worker runs the same function)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from connections.events import SignInEvent
from connections.tasks import prune_signin_events
from domains.models import Domain
from domains.tasks import recheck_verified_domains
from kloudsso.accounts.models import PasswordThrottleEvent
from kloudsso.accounts.tasks import prune_password_throttle_events
from kloudsso.audit.models import AuditEvent
from kloudsso.audit.record import SYSTEM, audit_record
from kloudsso.audit.tasks import prune_audit_events
from kloudsso.scheduler.models import ScheduledRun
from kloudsso.scheduler.tasks import WorkerLost, prune_task_results


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def test_the_domain_recheck_checks_every_verified_domain_and_counts_the_outcomes(acme, globex, dns):
    kept = Domain.objects.create(organization=acme, name="acme.com", status="verified", verified_at=timezone.now())
    dns.add_txt(kept.record_name, kept.record_value)
    lost = Domain.objects.create(organization=globex, name="globex.com", status="verified", verified_at=days_ago(30))
    Domain.objects.filter(pk=lost.pk).update(failing_since=days_ago(8))
    pending = Domain.objects.create(organization=acme, name="pending.acme.com")  # never verified: not re-checked

    assert recheck_verified_domains.call() == {"ok": 1, "failing": 0, "unverified": 1, "temporary": 0}
    kept.refresh_from_db()
    lost.refresh_from_db()
    pending.refresh_from_db()
    assert (kept.status, kept.last_check_ok) == ("verified", True)
    assert lost.status == "unverified" and "more than 7 days" in lost.unverified_reason
    assert pending.last_checked_at is None


def test_the_sign_in_event_prune_keeps_the_retention_period(acme, settings):
    settings.SIGNIN_EVENT_RETENTION_DAYS = 30
    old = SignInEvent.objects.create(organization=acme, outcome="success")
    SignInEvent.objects.filter(pk=old.pk).update(created_at=days_ago(31))
    recent = SignInEvent.objects.create(organization=acme, outcome="failure")
    SignInEvent.objects.filter(pk=recent.pk).update(created_at=days_ago(29))

    assert prune_signin_events.call() == 1
    assert list(SignInEvent.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_password_lock_prune_keeps_the_retention_period(db, settings):
    settings.SIGNIN_EVENT_RETENTION_DAYS = 30
    for email, age in [("old@acme.test", 31), ("recent@acme.test", 29)]:
        PasswordThrottleEvent.objects.create(
            scope="account", email=email, page="site", locked_until=days_ago(age), created_at=days_ago(age)
        )
    assert prune_password_throttle_events.call() == 1
    assert list(PasswordThrottleEvent.objects.values_list("email", flat=True)) == ["recent@acme.test"]


def test_the_audit_log_is_kept_for_ever_by_default(acme, settings):
    assert settings.AUDIT_LOG_RETENTION_DAYS == 0
    with time_machine.travel("2020-01-01 12:00Z", tick=False):
        audit_record(org=acme, actor=SYSTEM, action="connection.added")
    with time_machine.travel("2026-11-02 12:00Z", tick=False):
        assert prune_audit_events.call() == 0
    assert AuditEvent.objects.count() == 1


def test_the_audit_log_prune_keeps_the_retention_period(acme, settings):
    settings.AUDIT_LOG_RETENTION_DAYS = 365
    for moment in ["2025-11-01 11:59Z", "2025-11-02 12:01Z"]:
        with time_machine.travel(moment, tick=False):
            audit_record(org=acme, actor=SYSTEM, action="connection.added", changes={"at": [None, moment]})
    with time_machine.travel("2026-11-02 12:00Z", tick=False):
        assert prune_audit_events.call() == 1
    assert [e.changes["at"][1] for e in AuditEvent.objects.all()] == ["2025-11-02 12:01Z"]


def result(status, *, finished_days_ago=None, enqueued_days_ago=0):
    row = DBTaskResult.objects.get(id=prune_signin_events.enqueue().id)
    finished = days_ago(finished_days_ago) if finished_days_ago is not None else None
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=status, finished_at=finished, enqueued_at=days_ago(enqueued_days_ago)
    )
    return row.pk


@pytest.mark.parametrize("retention", [14, 3])
def test_the_task_result_prune_deletes_finished_results_past_the_retention_only(db, settings, retention):
    settings.TASK_RESULT_RETENTION_DAYS = retention
    old_success = result("SUCCESSFUL", finished_days_ago=retention + 1)
    old_failure = result("FAILED", finished_days_ago=retention + 1)
    recent = result("SUCCESSFUL", finished_days_ago=retention - 1)
    waiting = result("READY", enqueued_days_ago=retention + 30)  # no worker ran it yet: it still has to run
    running = result("RUNNING", enqueued_days_ago=retention + 30)

    assert prune_task_results.call() == {"task_results": 2, "scheduled_runs": 0, "abandoned": 0}
    remaining = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert remaining == {recent, waiting, running}
    assert not remaining & {old_success, old_failure}


def test_the_task_result_prune_deletes_scheduler_periods_that_ended_before_the_retention(db, settings):
    settings.TASK_RESULT_RETENTION_DAYS = 14
    for job, start_days_ago, length_days in [("ended", 16, 1), ("ended-lately", 15, 2), ("current", 20, 30)]:
        start = days_ago(start_days_ago)
        ScheduledRun.objects.create(job=job, period_start=start, period_end=start + timedelta(days=length_days))

    assert prune_task_results.call() == {"task_results": 0, "scheduled_runs": 1, "abandoned": 0}
    # A period still under way is kept however long ago it began, or its job would be enqueued in it again.
    assert set(ScheduledRun.objects.values_list("job", flat=True)) == {"ended-lately", "current"}


def test_a_result_still_running_a_day_after_it_started_is_recorded_as_its_worker_lost(db):
    def claimed(hours_ago):
        row = DBTaskResult.objects.get(id=prune_signin_events.enqueue().id)
        row.claim("worker-killed-mid-task")  # as db_worker claims it; then SIGKILL: nothing records the end
        DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - timedelta(hours=hours_ago))
        return row.pk

    lost, busy = claimed(25), claimed(23)
    assert prune_task_results.call() == {"task_results": 0, "scheduled_runs": 0, "abandoned": 1}

    failed = DBTaskResult.objects.get(pk=lost)
    assert failed.status == "FAILED" and failed.finished_at is not None
    assert failed.task_result.errors[0].exception_class is WorkerLost
    assert "its worker stopped before it finished" in failed.traceback
    assert DBTaskResult.objects.get(pk=busy).status == "RUNNING"
    # Failed today: pruned with the other finished results once the retention has passed, not before.
    assert DBTaskResult.objects.count() == 2
