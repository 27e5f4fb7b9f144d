from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from connections.connection import Kind
from connections.errors import ConfigurationError
from connections.preflight import connection_preflight
from connections.saml.forms import SAMLConnectionForm
from connections.saml.idp_initiated_form import IdPInitiatedForm
from connections.saml.models import SAMLCertificate
from connections.saml.rollover import (
    last_signer,
    rollover_in_progress,
    saml_certificate_retire,
    saml_certificates_add,
)
from connections.saml.rollover_forms import NextCertificateForm, short_fingerprint
from connections.saml.services import saml_connection_save, saml_idp_initiated_set
from connections.selectors import connection_get, metadata_refresh_summary
from connections.sp import sp_entity_id
from kloudsso.audit.record import actor_from_request
from kloudsso.csp_exceptions import forms_lead_to_an_idp
from kloudsso.tenancy.access import sso_manager_required


@sso_manager_required
def add(request):
    return connection_form(request, connection=None)


def connection_form(request, connection=None, *, next_certificate_form=None):
    """Add and edit: the caller has already checked access and scoped `connection` to request.org."""
    if request.method == "POST" and next_certificate_form is None:
        form = SAMLConnectionForm(request.POST, request.FILES, slo_supported=_slo_supported(connection))
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
                single_logout=data["single_logout"],
                require_encryption=data["require_encryption"],
                by=actor_from_request(request),
            )
            verb = "updated" if connection else "added"
            messages.success(
                request,
                f"Connection {saved.display_name!r} {verb}. IdP entity ID: {form.idp_config.entity_id}.",
            )
            for warning in form.idp_config.warnings:
                messages.warning(request, warning)
            # To the connection's page: its pre-flight checklist and the Test connection button are the next step.
            return redirect(reverse("connections:edit", args=[request.org.slug, saved.public_id]) + "#preflight")
    else:
        form = SAMLConnectionForm(
            initial=_initial(connection) if connection else None, slo_supported=_slo_supported(connection)
        )
    refresh = metadata_refresh_summary(connection=connection) if connection else None
    context = {"form": form, "connection": connection, "refresh": refresh}
    if connection is not None:
        context.update(_certificates_context(connection, next_certificate_form))
        context["preflight"] = connection_preflight(connection=connection, sp_entity_id=sp_entity_id(org=request.org))
    return render(request, "connections/saml_form.html", context)


def _certificates_context(connection, next_certificate_form) -> dict:
    certificates = list(connection.saml.certificates.order_by("not_after", "pk"))
    if next_certificate_form is None:
        next_certificate_form = NextCertificateForm(saml=connection.saml, on_file=certificates)
    return {
        "certificates": certificates,
        "rollover": rollover_in_progress(certificates),
        "last_signer": last_signer(certificates),
        "next_certificate_form": next_certificate_form,
        "now": timezone.now(),
        "idp_initiated_form": IdPInitiatedForm(initial={"allow_idp_initiated": connection.saml.allow_idp_initiated}),
    }


@sso_manager_required
def idp_initiated(request, public_id):
    """The IdP-initiated sign-in switch, on the connection's page."""
    connection = _saml_connection(request, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = IdPInitiatedForm(request.POST)
    form.is_valid()  # a checkbox: absent or anything but "false" and "0" is a choice, never an error
    allowed = form.cleaned_data["allow_idp_initiated"]
    try:
        changed = saml_idp_initiated_set(
            org=request.org, connection=connection, allowed=allowed, by=actor_from_request(request)
        )
    except ConfigurationError as exc:
        messages.error(request, exc.message)
    else:
        state = "allowed: people can start from the IdP's portal" if allowed else "off: sign-ins start here"
        if changed:
            messages.success(request, f"IdP-initiated sign-in {state}.")
        else:
            messages.info(request, f"IdP-initiated sign-in was already {state.split(':')[0]}.")
    return redirect(reverse("connections:edit", args=[request.org.slug, connection.public_id]) + "#idp-initiated")


@sso_manager_required
@forms_lead_to_an_idp  # a refused certificate redraws the connection's page, with its Test connection button
def certificate_add(request, public_id):
    connection = _saml_connection(request, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    saml = connection.saml
    form = NextCertificateForm(request.POST, saml=saml, on_file=list(saml.certificates.all()))
    if not form.is_valid():
        return connection_form(request, connection, next_certificate_form=form)
    added = saml_certificates_add(
        org=request.org, connection=connection, certificates=form.new_certificates, by=actor_from_request(request)
    )
    now = timezone.now()
    for cert in added:
        starts = (
            f" It becomes valid on {cert.not_before:%Y-%m-%d %H:%M} UTC; until then the IdP cannot sign with it."
            if cert.not_before > now
            else ""
        )
        messages.success(
            request,
            f"Certificate {cert.subject or 'without a subject'} (SHA-256 {short_fingerprint(cert.sha256_fingerprint)}, "
            f"expires {cert.not_after:%Y-%m-%d}) added. Sign-ins signed by it or by the current certificate are "
            f"accepted until you retire the old one.{starts}",
        )
    return redirect(reverse("connections:edit", args=[request.org.slug, connection.public_id]) + "#certificates")


@sso_manager_required
def certificate_retire(request, public_id, certificate_id):
    connection = _saml_connection(request, public_id)
    try:
        certificate = connection.saml.certificates.get(public_id=certificate_id)
    except SAMLCertificate.DoesNotExist:
        raise Http404("No such certificate on this connection.") from None
    page = reverse("connections:edit", args=[request.org.slug, connection.public_id]) + "#certificates"
    if request.method != "POST":
        return render(
            request,
            "connections/certificate_retire.html",
            {"connection": connection, "certificate": certificate, "back": page},
        )
    try:
        saml_certificate_retire(
            org=request.org,
            connection=connection,
            certificate_public_id=certificate.public_id,
            by=actor_from_request(request),
        )
    except ConfigurationError as exc:
        messages.error(request, exc.message)
    except SAMLCertificate.DoesNotExist:
        messages.info(request, "That certificate was already retired.")
    else:
        messages.success(
            request,
            f"Certificate {certificate.subject or ''} (SHA-256 {short_fingerprint(certificate.sha256_fingerprint)}) "
            "retired: sign-ins signed by it are no longer accepted.",
        )
    return redirect(page)


def _saml_connection(request, public_id):
    connection = connection_get(org=request.org, public_id=public_id)
    if connection.kind != Kind.SAML:
        raise Http404("Not a SAML connection.")
    return connection


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
        "single_logout": saml.single_logout,
        "require_encryption": saml.require_encryption,
    }


def _slo_supported(connection) -> bool | None:
    return connection.saml.slo_supported if connection is not None else None
