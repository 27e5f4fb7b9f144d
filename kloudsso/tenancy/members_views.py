from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render

from connections.role_mapping_services import connections_mapping_groups
from domains.selectors import org_covers_email
from kloudsso.audit.record import actor_from_request
from kloudsso.tenancy import members
from kloudsso.tenancy.access import members_manager_required
from kloudsso.tenancy.forms import InviteForm, RoleForm
from kloudsso.tenancy.models import Role


@members_manager_required
def index(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email, role = form.cleaned_data["email"], form.cleaned_data["role"]
        try:
            invitation = members.invitation_create(
                org=request.org, actor=request.membership, email=email, role=role, by=actor_from_request(request)
            )
        except members.MembershipError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"Invited {invitation.email} as {invitation.get_role_display().lower()}.")
            if not org_covers_email(org=request.org, email=invitation.email):
                messages.warning(
                    request,
                    f"{invitation.email} is not on one of your verified domains, so they cannot sign in with SSO "
                    "until that domain is verified.",
                )
            return redirect("members:list", org_slug=request.org.slug)
    context = {
        "form": form,
        "memberships": members.member_list(org=request.org),
        "invitations": members.invitation_list(org=request.org),
        "roles": Role.choices,
        "mapped_connections": connections_mapping_groups(org=request.org),
    }
    return render(request, "tenancy/members.html", context)


@members_manager_required
def change_role(request, public_id):
    membership = members.membership_get(org=request.org, public_id=public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner, admin or member.")
    else:
        try:
            members.membership_set_role(
                org=request.org,
                actor=request.membership,
                membership=membership,
                role=form.cleaned_data["role"],
                by=actor_from_request(request),
            )
        except members.MembershipError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{membership.user.email} is now {form.cleaned_data['role']}.")
    return redirect("members:list", org_slug=request.org.slug)


@members_manager_required
def remove(request, public_id):
    membership = members.membership_get(org=request.org, public_id=public_id)
    if request.method == "POST":
        try:
            members.membership_remove(
                org=request.org, actor=request.membership, membership=membership, by=actor_from_request(request)
            )
        except members.MembershipError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{membership.user.email} removed from {request.org.name}.")
        return redirect("members:list", org_slug=request.org.slug)
    return render(request, "tenancy/member_remove.html", {"target": membership})


@members_manager_required
def revoke_invitation(request, public_id):
    invitation = members.invitation_get(org=request.org, public_id=public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        members.invitation_revoke(
            org=request.org, actor=request.membership, invitation=invitation, by=actor_from_request(request)
        )
    except members.MembershipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invitation for {invitation.email} revoked.")
    return redirect("members:list", org_slug=request.org.slug)
