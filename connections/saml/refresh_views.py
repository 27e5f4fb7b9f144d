"""The owner's buttons on a metadata URL connection's page: Refresh now, and Confirm or Dismiss a waiting change."""

from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect

from connections.connection import Kind
from connections.saml.models import Source
from connections.saml.refresh import (
    Outcome,
    PendingChangeGone,
    RefreshFailed,
    saml_metadata_refresh,
    saml_pending_confirm,
    saml_pending_dismiss,
)
from connections.saml.refresh_state import MetadataRefresh
from connections.selectors import connection_get
from kloudsso.audit.record import actor_from_request
from kloudsso.tenancy.access import sso_manager_required

OUTCOME_MESSAGES = {
    Outcome.UNCHANGED: (messages.SUCCESS, "Metadata fetched: nothing changed."),
    Outcome.CHANGED: (messages.SUCCESS, "Metadata fetched and applied; what changed is listed below."),
    Outcome.PENDING: (messages.WARNING, "Metadata fetched: a change waits for your confirmation below."),
    Outcome.HELD: (
        messages.WARNING,
        "Metadata fetched: it still holds the change you dismissed, so none of it is applied.",
    ),
    Outcome.SKIPPED: (messages.WARNING, "The connection changed meanwhile; nothing was fetched."),
}


def _url_connection(request, public_id):
    """The organization's SAML connection added by metadata URL, or 404 (before the method is looked at: an
    outsider learns nothing from a GET either)."""
    connection = connection_get(org=request.org, public_id=public_id)
    if connection.kind != Kind.SAML or connection.saml.source != Source.URL:
        raise Http404("Not a connection added by metadata URL.")
    return connection


def _back(request, connection):
    return redirect("connections:edit", org_slug=request.org.slug, public_id=connection.public_id)


@sso_manager_required
def refresh_now(request, public_id):
    connection = _url_connection(request, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    outcome = saml_metadata_refresh(saml_settings_id=connection.saml.pk)
    if outcome == Outcome.FAILED:
        error = MetadataRefresh.objects.get(saml_settings=connection.saml).last_error
        messages.error(request, f"{error} Nothing on file was changed.")
    else:
        level, text = OUTCOME_MESSAGES[outcome]
        messages.add_message(request, level, text)
    return _back(request, connection)


@sso_manager_required
def pending_confirm(request, public_id):
    connection = _url_connection(request, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        saml_pending_confirm(saml=connection.saml, key=request.POST.get("key", ""), by=actor_from_request(request))
    except PendingChangeGone:
        messages.error(request, "That change is no longer the one waiting: review the one shown now.")
    except RefreshFailed as failure:
        messages.error(request, failure.message)
    else:
        messages.success(request, "Change confirmed and applied.")
    return _back(request, connection)


@sso_manager_required
def pending_dismiss(request, public_id):
    connection = _url_connection(request, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        saml_pending_dismiss(saml=connection.saml, key=request.POST.get("key", ""))
    except PendingChangeGone:
        messages.error(request, "That change is no longer the one waiting: review the one shown now.")
    else:
        messages.success(
            request, "Change dismissed: the connection keeps what is on file, and this change is not offered again."
        )
    return _back(request, connection)
