from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters

from connections.connection import Kind
from connections.oidc import views as oidc_views
from connections.saml import views as saml_views
from connections.selectors import (
    certificate_expiry,
    certificate_rollover,
    connection_get,
    connection_list,
    connection_warnings,
)
from connections.service_provider import ServiceProvider
from connections.services import connection_delete, connection_set_enabled
from connections.sp import service_provider_get_or_create, sp_details, sp_metadata_xml
from kloudsso.audit.record import actor_from_request
from kloudsso.csp_exceptions import forms_lead_to_an_idp
from kloudsso.tenancy.access import sso_manager_required
from signin.oidc import views as oidc_flow
from signin.saml import views as saml_flow

FORM_VIEWS = {Kind.OIDC: oidc_views.connection_form, Kind.SAML: saml_views.connection_form}


@sso_manager_required
@forms_lead_to_an_idp  # each connection's Test button
def connection_index(request):
    sp = service_provider_get_or_create(org=request.org)
    rows = [
        {
            "connection": c,
            "warnings": connection_warnings(c),
            "certificate_expiry": certificate_expiry(c),
            "rollover": certificate_rollover(c),
        }
        for c in connection_list(org=request.org)
    ]
    return render(request, "connections/index.html", {"sp": sp_details(sp), "rows": rows, "now": timezone.now()})


@sso_manager_required
def add_choose(request):
    return render(request, "connections/add_choose.html")


@sensitive_post_parameters("client_secret")
@sso_manager_required
@forms_lead_to_an_idp  # the pre-flight checklist's Test connection button
def edit(request, public_id):
    connection = connection_get(org=request.org, public_id=public_id)
    return FORM_VIEWS[connection.kind](request, connection)


@sso_manager_required
def toggle(request, public_id):
    connection = connection_get(org=request.org, public_id=public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    connection_set_enabled(
        org=request.org, connection=connection, enabled=not connection.enabled, by=actor_from_request(request)
    )
    state = "enabled" if connection.enabled else "disabled"
    messages.success(request, f"Connection {connection.display_name!r} {state}.")
    return redirect("connections:list", org_slug=request.org.slug)


@sso_manager_required
def test_connection(request, public_id):
    """Start a test sign-in through this connection: it ends on a report, signs no one in, creates nothing."""
    connection = connection_get(org=request.org, public_id=public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if connection.kind == Kind.OIDC:
        request.kloudsso_test_start = True
        return oidc_flow.StartView.as_view()(request, connection=connection)
    return saml_flow.start(request, connection, test=True)


@sso_manager_required
def delete(request, public_id):
    connection = connection_get(org=request.org, public_id=public_id)
    if request.method == "POST":
        connection_delete(org=request.org, connection=connection, by=actor_from_request(request))
        messages.success(request, f"Connection {connection.display_name!r} deleted.")
        return redirect("connections:list", org_slug=request.org.slug)
    return render(request, "connections/delete.html", {"connection": connection})


@sso_manager_required
def sp_metadata_download(request):
    sp = service_provider_get_or_create(org=request.org)
    return _metadata_response(sp, download=True)


def sp_metadata_public(request, org_public_id):
    """The SP metadata at its entity ID URL, for IdPs that fetch it. It holds nothing secret."""
    sp = get_object_or_404(
        ServiceProvider.objects.select_related("organization"), organization__public_id=org_public_id
    )
    return _metadata_response(sp, download=False)


def _metadata_response(sp, *, download: bool) -> HttpResponse:
    response = HttpResponse(sp_metadata_xml(sp), content_type="application/samlmetadata+xml")
    if download:
        response["Content-Disposition"] = f'attachment; filename="kloudsso-sp-metadata-{sp.organization.slug}.xml"'
    return response
