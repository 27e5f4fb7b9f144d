"""How a sign-in ends for the person: a page with a reference, an event for the owners either way, and its metrics
and log line (signin/outcome.py)."""

from django.shortcuts import render
from django.urls import reverse

from connections.events import Outcome
from kloudsso import rate_limit
from kloudsso.client_ip import client_ip
from kloudsso.outages import without_cache
from signin import event_log
from signin.errors import SignInError
from signin.outcome import signin_ended
from signin.signed_in import NEXT_SESSION_KEY, continue_url, signed_in_page

LOGIN_EMAIL_SESSION_KEY = "kloudsso_login_email"


FAILURES_RECORDED_PER_IP = 60  # per 10 minutes: anyone can fail a sign-in, nobody may fill the table with it


def signin_failed(request, error: SignInError, *, org=None, record: bool = True):
    """The failure page, and an event for the organization's owners.

    Nothing is recorded for a failure that belongs to no organization (nobody could read it), nor beyond a few
    dozen failures per IP address and ten minutes, nor while that count cannot be kept (the shared cache does not
    answer): the page is shown all the same, without a reference.

    Someone signed in who reaches a used-up answer (the catalogue's `stale` entries) is told they are signed in
    and taken on; the owners' event is recorded as for anyone else. A real failure says what went wrong, and
    that they are still signed in.
    """
    connection = getattr(request, "kloudsso_connection", None)
    record = record and (org is not None or connection is not None) and _within_recording_limit(request)
    if not record:
        signin_ended(request, code=error.code, connection=connection, org=org)
        return _failure_page(request, error, org=org or (connection.organization if connection else None))
    event = event_log.record_failure(
        request,
        error,
        connection=connection,
        org=org,
        email=_email_given(request),
        received=getattr(request, "kloudsso_received", None),
        answer=getattr(request, "kloudsso_answer", None) or error.answer,
    )
    org = org or (connection.organization if connection else None)
    signin_ended(request, code=error.code, connection=connection, org=org, reference=event.reference)
    return _failure_page(request, error, org=org, reference=event.reference)


def _failure_page(request, error: SignInError, *, org, reference: str = ""):
    error = error.public  # the person sees what may be shown of it; the event above has the real code
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    if signed_in and error.entry.stale:
        return signed_in_page(request, stale=True, org=org)
    context = {
        "error": error,
        "reference": reference,
        "troubleshooting_url": _troubleshooting_url(request, org, error) if org and reference else "",
        "continue_url": continue_url(request, org=org) if signed_in else "",
    }
    return render(request, "sso/failed.html", context, status=400)


def _within_recording_limit(request) -> bool:
    allowed = False
    with without_cache("a sign-in failure is not recorded"):
        key = f"signin-failure:{client_ip(request)}"
        allowed = rate_limit.allow(key, limit=FAILURES_RECORDED_PER_IP, window_seconds=600)
    return allowed


def signin_succeeded(request, connection) -> None:
    # The verified email of the account signed in, not what was typed at the prompt, and where the IdP gave it.
    source = getattr(request, "kloudsso_email_source", "")
    event = event_log.record(
        request,
        outcome=Outcome.SUCCESS,
        connection=connection,
        email=getattr(request.user, "email", ""),
        received=getattr(request, "kloudsso_received", None),
        detail=f"The email came from {source}." if source else "",
    )
    request.session.pop(LOGIN_EMAIL_SESSION_KEY, None)
    request.session.pop(NEXT_SESSION_KEY, None)  # sign-ins land on the organization's page
    signin_ended(request, connection=connection, reference=event.reference)


def _troubleshooting_url(request, org, error) -> str:
    """Only for the organization's own SSO managers: a stranger must not learn which organization a domain is."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    membership = user.memberships.filter(organization=org).first()
    if membership is None or not membership.manages_sso:
        return ""
    return reverse("connections:troubleshooting", kwargs={"org_slug": org.slug}) + f"#{error.code}"


def _email_given(request) -> str:
    session = getattr(request, "session", None)
    return session.get(LOGIN_EMAIL_SESSION_KEY, "") if session is not None else ""
