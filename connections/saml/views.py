from django.contrib import messages
from django.shortcuts import redirect, render

from connections.saml.forms import SAMLConnectionForm
from connections.saml.services import saml_connection_save
from connections.selectors import metadata_refresh_summary
from kloudsso.audit.record import actor_from_request
from kloudsso.tenancy.access import sso_manager_required


@sso_manager_required
def add(request):
    return connection_form(request, connection=None)


def connection_form(request, connection=None):
    """Add and edit: the caller has already checked access and scoped `connection` to request.org."""
    if request.method == "POST":
        form = SAMLConnectionForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            saved = saml_connection_save(
                org=request.org,
                connection=connection,
                display_name=data["display_name"],
                source=data["source"],
                idp=form.idp_config,
                metadata_url=data["metadata_url"],
                email_attribute=data["email_attribute"],
                nameid_format=data["nameid_format"],
                by=actor_from_request(request),
            )
            verb = "updated" if connection else "added"
            messages.success(
                request,
                f"Connection {saved.display_name!r} {verb}. IdP entity ID: {form.idp_config.entity_id}.",
            )
            for warning in form.idp_config.warnings:
                messages.warning(request, warning)
            return redirect("connections:list", org_slug=request.org.slug)
    else:
        form = SAMLConnectionForm(initial=_initial(connection) if connection else None)
    refresh = metadata_refresh_summary(connection=connection) if connection else None
    return render(request, "connections/saml_form.html", {"form": form, "connection": connection, "refresh": refresh})


def _initial(connection) -> dict:
    saml = connection.saml
    post_only = bool(saml.sso_post_url and not saml.sso_redirect_url)
    return {
        "display_name": connection.display_name,
        "source": saml.source,
        "metadata_xml": saml.metadata_xml if saml.source == "xml" else "",
        "metadata_url": saml.metadata_url,
        "entity_id": saml.idp_entity_id,
        "idp_entity_id": saml.idp_entity_id,
        "sso_url": saml.sso_post_url if post_only else saml.sso_redirect_url,
        "sso_binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" if post_only else None,
        "signing_certificate": "".join(c.certificate_pem for c in saml.certificates.all()),
        "email_attribute": saml.email_attribute,
        "nameid_format": saml.nameid_format,
    }
