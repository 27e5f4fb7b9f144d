"""Support staff see the task engine's results in the Django admin (django_tasks_db's own admin), read-only."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kloudsso.accounts.models import User
from kloudsso.scheduler.jobs import Job, scheduled_jobs
from kloudsso.scheduler.runs import schedule_due
from tests.test_tasks_scheduler import DAY, explode

CHANGELIST = "admin:django_tasks_database_dbtaskresult_changelist"


@pytest.fixture
def staff(client, db):
    client.force_login(User.objects.create_superuser("support@kloudsso.test", "support-password-1"))
    return client


@pytest.fixture
def results(db):
    """Every scheduled job's result, and a failed one, recorded the way db_worker records them (its own methods;
    tests/test_tasks_scheduler.py runs the worker itself)."""
    schedule_due(jobs=[*scheduled_jobs(), Job("explode", explode, DAY)], now=timezone.now())
    for row in DBTaskResult.objects.all():
        row.claim("worker-1")
        try:
            row.set_successful(row.task.call())
        except RuntimeError as exc:
            row.set_failed(exc)
    return {result.task_name: result for result in DBTaskResult.objects.all()}


def change_page(result):
    return reverse("admin:django_tasks_database_dbtaskresult_change", args=[result.pk])


def test_support_sees_each_task_result_with_its_status(staff, results):
    html = staff.get(reverse(CHANGELIST)).content.decode()
    for name in ["recheck_verified_domains", "prune_signin_events", "prune_task_results", "explode"]:
        assert name in html
    page = staff.get(change_page(results["recheck_verified_domains"]))
    assert page.status_code == 200 and "Successful" in page.content.decode()


def test_a_failed_task_shows_its_traceback(staff, results):
    html = staff.get(change_page(results["explode"])).content.decode()
    assert "Failed" in html and "<pre>" in html and "RuntimeError: the job went wrong" in html


def test_task_results_are_read_only(staff, results):
    result = results["prune_signin_events"]
    assert staff.post(change_page(result), {"status": "READY"}).status_code == 403
    assert staff.get(reverse("admin:django_tasks_database_dbtaskresult_add")).status_code == 403
    result.refresh_from_db()
    assert result.status == "SUCCESSFUL"


def test_people_who_are_not_staff_see_no_task_results(client, alice, results):
    client.force_login(alice)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
