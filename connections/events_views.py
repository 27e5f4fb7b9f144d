"""Sign-in events and the troubleshooting page, for the organization's owners."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from connections.events import Outcome, SignInEvent
from connections.selectors import connection_list
from connections.sp import (
    logout_done_url,
    oidc_redirect_uri,
    saml_acs_url,
    saml_slo_url,
    service_provider_get_or_create,
)
from kloudsso.tenancy.access import sso_manager_required
from signin.catalogue import CATALOGUE, ENTRIES
from signin.saml.signers import verdict

PAGE_SIZE = 25


class EventFilter(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "All outcomes"), *Outcome.choices], required=False)
    connection = forms.ChoiceField(required=False)
    reference = forms.CharField(required=False, max_length=12)

    def __init__(self, *args, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].choices = [("", "All connections")] + [
            (str(c.public_id), c.display_name) for c in connections
        ]


@sso_manager_required
def event_list(request):
    connections = list(connection_list(org=request.org))
    form = EventFilter(request.GET or None, connections=connections)
    events = SignInEvent.objects.filter(organization=request.org).select_related("connection")
    form.is_valid()  # invalid filters are ignored one by one, the valid ones still apply
    data = {"outcome": "", "connection": "", "reference": "", **form.cleaned_data} if form.is_bound else {}
    if data:
        if data["outcome"]:
            events = events.filter(outcome=data["outcome"])
        if data["connection"]:
            events = events.filter(connection__public_id=data["connection"])
        if data["reference"]:
            events = events.filter(reference=data["reference"].strip().upper())
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "connections/events.html",
        {"form": form, "page": page, "catalogue": CATALOGUE, "query": query.urlencode()},
    )


@sso_manager_required
def event_detail(request, public_id):
    event = get_object_or_404(
        SignInEvent.objects.select_related("connection", "answer"), organization=request.org, public_id=public_id
    )
    entry = CATALOGUE.get(event.code)
    answer, kept_until = _answer_of(event)
    return render(
        request,
        "connections/event_detail.html",
        {
            "event": event,
            "entry": entry,
            "fix": entry.fix_with(_values(request.org)) if entry else "",
            "answer": answer,
            "kept_until": kept_until,
            "signatures": [{**s, "verdict": verdict(s)} for s in answer.signatures] if answer else [],
        },
    )


def _answer_of(event):
    """What the IdP sent, while SAML_RESPONSE_RETENTION_DAYS keeps it (the prune task may not have run yet)."""
    answer = getattr(event, "answer", None)  # the reverse one-to-one raises AttributeError when there is none
    if answer is None:
        return None, None
    kept_until = answer.created_at + timedelta(days=settings.SAML_RESPONSE_RETENTION_DAYS)
    return (answer, kept_until) if kept_until > timezone.now() else (None, None)


@sso_manager_required
def troubleshooting(request):
    values = _values(request.org)
    groups = {}
    for entry in ENTRIES:
        groups.setdefault(entry.protocol, []).append((entry, entry.fix_with(values)))
    titles = {"oidc": "OIDC", "saml": "SAML 2.0", "email": "Email and provisioning", "any": "Any connection"}
    return render(
        request,
        "connections/troubleshooting.html",
        {"groups": [(titles[key], groups[key]) for key in ("oidc", "saml", "email", "any") if key in groups]},
    )


def _values(org) -> dict:
    sp = service_provider_get_or_create(org=org)
    return {
        "redirect_uri": oidc_redirect_uri(),
        "acs_url": saml_acs_url(),
        "sp_entity_id": sp.entity_id,
        "slo_url": saml_slo_url(),
        "logout_done_url": logout_done_url(),
    }
