from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from connections.oidc.entra_tenants import format_tenant_lines
from connections.oidc.forms import OIDCConnectionForm
from connections.oidc.services import oidc_connection_save
from connections.preflight import connection_preflight
from connections.sp import logout_done_url, oidc_redirect_uri
from kloudsso.audit.record import actor_from_request
from kloudsso.tenancy.access import sso_manager_required


@sensitive_post_parameters("client_secret")
@sso_manager_required
def add(request):
    return connection_form(request, connection=None)


@sensitive_variables("data")
def connection_form(request, connection=None):
    """Add and edit: the caller has already checked access and scoped `connection` to request.org."""
    oidc = connection.oidc if connection else None
    if request.method == "POST":
        form = OIDCConnectionForm(
            request.POST,
            has_secret=oidc is not None,
            stored_document=_document(oidc),
            stored_expiry=_expiry(oidc),
            stored_secret_bytes=stored_secret_bytes(oidc),
            stored_tenants=_tenants(oidc),
        )
        if form.is_valid():
            data = form.cleaned_data
            saved = oidc_connection_save(
                org=request.org,
                connection=connection,
                display_name=data["display_name"],
                discovery=form.discovery,
                client_id=data["client_id"],
                client_secret=data["client_secret"],
                scopes=data["scopes"],
                token_endpoint_auth_method=data["token_endpoint_auth_method"],
                by=actor_from_request(request),
                client_secret_expires_on=data["client_secret_expires_on"],
                id_token_signing_alg=data["id_token_signing_alg"],
                allowed_tenants=data["entra_allowed_tenants"],
                single_logout=data["single_logout"],
            )
            verb = "updated" if connection else "added"
            messages.success(
                request,
                f"Connection {saved.display_name!r} {verb}. Issuer: {form.discovery.issuer}. "
                f"Client authentication: {saved.oidc.token_endpoint_auth_method}.",
            )
            # To the connection's page: its pre-flight checklist and the Test connection button are the next step.
            return redirect(reverse("connections:edit", args=[request.org.slug, saved.public_id]) + "#preflight")
    else:
        initial = {}
        if oidc:
            initial = {
                "display_name": connection.display_name,
                "discovery_url": oidc.discovery_url,
                "client_id": oidc.client_id,
                "scopes": oidc.scopes,
                "token_endpoint_auth_method": oidc.token_endpoint_auth_method,
                "client_secret_expires_on": oidc.client_secret_expires_on,
                "id_token_signing_alg": oidc.id_token_signing_alg,
                "entra_allowed_tenants": format_tenant_lines(_tenants(oidc)),
                "single_logout": oidc.single_logout,
            }
        form = OIDCConnectionForm(initial=initial, has_secret=oidc is not None, stored_document=_document(oidc))
    context = {
        "form": form,
        "connection": connection,
        "redirect_uri": oidc_redirect_uri(),
        "allowed_tenants": _tenants(oidc),
        "logout_done_url": logout_done_url(),
    }
    if connection is not None:
        context["preflight"] = connection_preflight(connection=connection)
    return render(request, "connections/oidc_form.html", context)


def _document(oidc) -> dict | None:
    return oidc.discovery_document if oidc is not None else None


def _tenants(oidc) -> list:
    return list(oidc.allowed_tenants.all()) if oidc is not None else []


def _expiry(oidc):
    return oidc.client_secret_expires_on if oidc is not None else None


def stored_secret_bytes(oidc) -> int | None:
    return oidc.client_secret_bytes() if oidc is not None else None
