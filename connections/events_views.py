"""Sign-in events and the troubleshooting page, for the organization's owners."""

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from connections.events import Outcome, SignInEvent
from connections.selectors import connection_list
from connections.sp import oidc_redirect_uri, saml_acs_url, service_provider_get_or_create
from kloudsso.tenancy.access import sso_manager_required
from signin.catalogue import CATALOGUE, ENTRIES

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
        SignInEvent.objects.select_related("connection"), organization=request.org, public_id=public_id
    )
    entry = CATALOGUE.get(event.code)
    return render(
        request,
        "connections/event_detail.html",
        {"event": event, "entry": entry, "fix": entry.fix_with(_values(request.org)) if entry else ""},
    )


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
    return {"redirect_uri": oidc_redirect_uri(), "acs_url": saml_acs_url(), "sp_entity_id": sp.entity_id}
