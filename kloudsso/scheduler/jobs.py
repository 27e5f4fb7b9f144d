"""The schedule: every periodic job, its task and how often it runs, in one place.

A job's periods are counted from midnight UTC, 1 January 2000, so every server computes the same period for the
same moment: a daily job's period is a UTC day, a 12-hour job's a UTC morning or afternoon.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django_tasks.base import Task

from connections.saml.tasks import refresh_saml_metadata
from connections.tasks import prune_signin_answers, prune_signin_events, send_expiry_reminders
from directory.tasks import prune_scim_requests
from domains.tasks import recheck_verified_domains
from kloudsso.accounts.tasks import prune_password_throttle_events
from kloudsso.audit.tasks import prune_audit_events
from kloudsso.scheduler.tasks import prune_task_results

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    name: str  # stored in ScheduledRun: keep it when the task moves or is renamed
    task: Task
    every: timedelta

    def period_at(self, moment: datetime) -> tuple[datetime, datetime]:
        start = EPOCH + (moment - EPOCH) // self.every * self.every
        return start, start + self.every


def scheduled_jobs() -> list[Job]:
    """Read at each pass, so the periods follow the settings."""
    prune = timedelta(hours=settings.SCHEDULE_PRUNE_HOURS)
    return [
        Job("domain_recheck", recheck_verified_domains, timedelta(hours=settings.SCHEDULE_DOMAIN_RECHECK_HOURS)),
        Job("saml_metadata_refresh", refresh_saml_metadata, timedelta(hours=settings.SAML_METADATA_REFRESH_HOURS)),
        Job("signin_event_prune", prune_signin_events, prune),
        Job("signin_answer_prune", prune_signin_answers, prune),
        Job("password_throttle_event_prune", prune_password_throttle_events, prune),
        Job("task_result_prune", prune_task_results, prune),
        Job("audit_event_prune", prune_audit_events, prune),
        Job("scim_request_prune", prune_scim_requests, prune),
        # Daily: each reminder is due on a day (30, 14, 7, 1 days before), and once_key keeps a rerun quiet.
        Job("expiry_reminders", send_expiry_reminders, timedelta(days=1)),
    ]
