"""The owners' re-link pages, reached from a refused sign-in's event (connections/relink.py does the work)."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render

from connections.relink import (
    WINDOW_CODES,
    RelinkError,
    fingerprint,
    identity_relink,
    relink_candidates,
    relink_window_close,
    relink_window_members,
    relink_window_open,
    subject_change_get,
)
from kloudsso.audit.record import actor_from_request
from kloudsso.tenancy.access import sso_manager_required
from signin.subject_kind import described, kind_of


@sso_manager_required
def relink(request, public_id):
    change = subject_change_get(org=request.org, event_public_id=public_id)
    if request.method == "POST":
        try:
            identity = identity_relink(org=request.org, change=change, by=actor_from_request(request))
        except RelinkError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{identity.user.email} is re-linked: their next sign-in works.")
        return redirect("connections:event", org_slug=request.org.slug, public_id=public_id)
    return render(request, "connections/relink_confirm.html", _context(change))


@sso_manager_required
def relink_everyone(request, public_id):
    change = subject_change_get(org=request.org, event_public_id=public_id)
    if request.method == "POST":
        try:
            identities, until = relink_window_open(
                org=request.org, change=change, shown=request.POST.get("shown", ""), by=actor_from_request(request)
            )
        except RelinkError as error:
            messages.error(request, str(error))
            return redirect("connections:relink_everyone", org_slug=request.org.slug, public_id=public_id)
        messages.success(
            request,
            f"{_members(len(identities))} re-linked at their next sign-in until {until:%Y-%m-%d %H:%M} UTC.",
        )
        return redirect("connections:event", org_slug=request.org.slug, public_id=public_id)
    connection = change.identity.connection
    identities = relink_candidates(
        org=request.org, connection=connection, kind_code=kind_of(change.identity.subject).code
    )
    context = {
        **_context(change),
        "identities": identities,
        "rows": [(identity, described(identity.subject)) for identity in identities],
        "shown": fingerprint(identities),
        "open_window": relink_window_members(org=request.org, connection=connection),
        "allowed": change.event.code in WINDOW_CODES,
        "window_days": settings.SSO_RELINK_WINDOW_DAYS,
    }
    return render(request, "connections/relink_everyone.html", context)


@sso_manager_required
def relink_window_stop(request, public_id):
    change = subject_change_get(org=request.org, event_public_id=public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    closed = relink_window_close(org=request.org, connection=change.identity.connection, by=actor_from_request(request))
    messages.success(request, f"Re-link closed: {_members(closed)} not yet re-linked, refused again until re-linked.")
    return redirect("connections:relink_everyone", org_slug=request.org.slug, public_id=public_id)


def _members(count: int) -> str:
    return "1 member" if count == 1 else f"{count} members"


def _context(change) -> dict:
    identity = change.identity
    return {
        "change": change,
        "event": change.event,
        "identity": identity,
        "connection": identity.connection,
        "old": described(identity.subject),
        "new": described(change.subject),
        "old_kind": kind_of(identity.subject),
        "new_kind": kind_of(change.subject),
        "same_kind": kind_of(identity.subject) == kind_of(change.subject),
        "used_since": identity.last_login_at is not None and identity.last_login_at > change.event.created_at,
    }
