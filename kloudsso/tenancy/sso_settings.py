"""The SSO settings page: provisioning mode and "Enforce SSO"."""

from django.contrib import messages
from django.shortcuts import redirect, render

from connections.connection import Connection
from domains.models import Domain
from domains.names import covering_domains
from kloudsso.audit.record import actor_from_request
from kloudsso.tenancy.access import sso_manager_required
from kloudsso.tenancy.forms import SSOSettingsForm
from kloudsso.tenancy.models import Membership, Role
from kloudsso.tenancy.services import sso_settings_save


def members_affected_by_enforcement(org) -> list[Membership]:
    """Members (not owners) whose email is on one of the organization's verified domains."""
    verified = set(Domain.objects.verified().filter(organization=org).values_list("name", flat=True))
    candidates = Membership.objects.filter(organization=org).exclude(role=Role.OWNER).select_related("user")
    return [m for m in candidates if verified & set(covering_domains(m.user.email))]


def has_successful_sso_signin(org) -> bool:
    return Connection.objects.filter(organization=org, enabled=True, last_successful_signin_at__isnull=False).exists()


@sso_manager_required
def sso_settings(request):
    org = request.org
    initial = {"provisioning_mode": org.provisioning_mode, "enforce_sso": org.enforce_sso}
    form = SSOSettingsForm(request.POST or None, initial=initial)
    ready = has_successful_sso_signin(org)
    if request.method == "POST" and form.is_valid():
        turning_on = form.cleaned_data["enforce_sso"] and not org.enforce_sso
        if turning_on and not ready:
            form.add_error(
                "enforce_sso",
                "Enforce SSO can only be turned on after at least one successful sign-in through an enabled "
                "connection, so nobody is locked out by a connection that does not work yet.",
            )
        else:
            sso_settings_save(
                org=org,
                provisioning_mode=form.cleaned_data["provisioning_mode"],
                enforce_sso=form.cleaned_data["enforce_sso"],
                by=actor_from_request(request),
            )
            messages.success(request, "SSO settings saved.")
            return redirect("sso_settings", org_slug=org.slug)
    context = {"form": form, "affected": members_affected_by_enforcement(org), "ready": ready}
    return render(request, "tenancy/sso_settings.html", context)
