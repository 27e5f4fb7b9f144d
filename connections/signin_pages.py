"""How a sign-in ends for the person: a page with a reference, and an event for the owners either way."""

from django.shortcuts import render
from django.urls import reverse

from connections import event_log
from connections.events import Outcome
from connections.signin import SignInError
from kloudsso import rate_limit

LOGIN_EMAIL_SESSION_KEY = "kloudsso_login_email"


FAILURES_RECORDED_PER_IP = 60  # per 10 minutes: anyone can fail a sign-in, nobody may fill the table with it


def signin_failed(request, error: SignInError, *, org=None, record: bool = True):
    """The failure page, and an event for the organization's owners.

    Nothing is recorded for a failure that belongs to no organization (nobody could read it), nor beyond a few
    dozen failures per IP address and ten minutes.
    """
    connection = getattr(request, "kloudsso_connection", None)
    record = (
        record
        and (org is not None or connection is not None)
        and rate_limit.allow(
            f"signin-failure:{request.META.get('REMOTE_ADDR')}", limit=FAILURES_RECORDED_PER_IP, window_seconds=600
        )
    )
    if not record:
        return render(request, "sso/failed.html", {"error": error, "reference": ""}, status=400)
    event = event_log.record_failure(
        request,
        error,
        connection=connection,
        org=org,
        email=_email_given(request),
        received=getattr(request, "kloudsso_received", None),
    )
    org = org or (connection.organization if connection else None)
    troubleshooting = (
        reverse("connections:troubleshooting", kwargs={"org_slug": org.slug}) + f"#{error.code}" if org else ""
    )
    context = {"error": error, "reference": event.reference, "troubleshooting_url": troubleshooting}
    return render(request, "sso/failed.html", context, status=400)


def signin_succeeded(request, connection) -> None:
    event_log.record(
        request,
        outcome=Outcome.SUCCESS,
        connection=connection,
        email=_email_given(request) or getattr(request.user, "email", ""),
        received=getattr(request, "kloudsso_received", None),
    )


def _email_given(request) -> str:
    session = getattr(request, "session", None)
    return session.get(LOGIN_EMAIL_SESSION_KEY, "") if session is not None else ""
