"""The owner's page for rotating the SP's keys, signing and encryption together (connections/sp_keys): start, make
current, cancel."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from connections.sp import service_provider_get_or_create
from connections.sp_keys import (
    KeyRotationError,
    sp_certificates,
    sp_encryption_certificates,
    sp_key_rotation_cancel,
    sp_key_rotation_finish,
    sp_key_rotation_start,
)
from kloudsso.audit.record import actor_from_request
from kloudsso.tenancy.access import sso_manager_required


@sso_manager_required
def sp_key(request):
    sp = service_provider_get_or_create(org=request.org)
    current, upcoming = sp_certificates(sp)
    encryption, upcoming_encryption = sp_encryption_certificates(sp)
    context = {
        "current": current,
        "upcoming": upcoming,
        "encryption": encryption,
        "upcoming_encryption": upcoming_encryption,
    }
    return render(request, "connections/sp_key.html", context)


@sso_manager_required
def sp_certificate_download(request, which):
    sp = service_provider_get_or_create(org=request.org)
    pem = {
        "current": sp.certificate_pem,
        "next": sp.next_certificate_pem,
        "encryption": sp.encryption_certificate_pem,
        "next-encryption": sp.next_encryption_certificate_pem,
    }[which]
    if not pem:
        return redirect("connections:sp_key", org_slug=request.org.slug)
    response = HttpResponse(pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="kloudsso-sp-{which}-{request.org.slug}.pem"'
    return response


@sso_manager_required
@require_POST
def sp_key_start(request):
    return _step(
        request,
        sp_key_rotation_start,
        "A next key is published in your SP metadata. Give the next certificate to IdPs that do not read the "
        "metadata, then make it current.",
    )


@sso_manager_required
@require_POST
def sp_key_finish(request):
    return _step(
        request,
        sp_key_rotation_finish,
        "The next key is now current: AuthnRequests are signed with it, and only assertions encrypted to the next "
        "encryption certificate are decrypted from now on.",
    )


@sso_manager_required
@require_POST
def sp_key_cancel(request):
    return _step(request, sp_key_rotation_cancel, "Key rotation cancelled: the next key is deleted.")


def _step(request, service, done: str):
    try:
        service(sp=service_provider_get_or_create(org=request.org), by=actor_from_request(request))
    except KeyRotationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("connections:sp_key", org_slug=request.org.slug)
