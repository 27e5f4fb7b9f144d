"""The owners' Groups page of a connection: which IdP groups make people admins or members."""

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render

from connections.guides.profiles import preset_slug, profile_for
from connections.oidc.entra import is_guid
from connections.role_mapping_forms import RuleForm, SettingsForm
from connections.role_mapping_services import (
    RoleMappingError,
    role_mapping_get,
    role_mapping_set,
    role_rule_add,
    role_rule_remove,
)
from kloudsso.audit.record import actor_from_request
from kloudsso.tenancy.access import sso_manager_required


@sso_manager_required
def groups(request, public_id):
    mapping = role_mapping_get(org=request.org, connection_public_id=public_id)
    form = RuleForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            group, role = form.cleaned_data["group"], form.cleaned_data["role"]
            try:
                role_rule_add(org=request.org, mapping=mapping, group=group, role=role, by=actor_from_request(request))
            except RoleMappingError as exc:
                form.add_error("group", str(exc))
            else:
                messages.success(request, f"People in {group} are now {role}s at their next sign-in.")
                return redirect("connections:groups", org_slug=request.org.slug, public_id=public_id)
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return _page(request, mapping, form, SettingsForm(instance=mapping))


@sso_manager_required
def groups_settings(request, public_id):
    mapping = role_mapping_get(org=request.org, connection_public_id=public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = SettingsForm(request.POST, instance=mapping)
    if not form.is_valid():
        return _page(request, mapping, RuleForm(), form, status=400)
    role_mapping_set(
        org=request.org,
        mapping=mapping,
        unmatched=form.cleaned_data["unmatched"],
        groups_claim=form.cleaned_data["groups_claim"],
        by=actor_from_request(request),
    )
    messages.success(request, "Saved: it applies from the next sign-in.")
    return redirect("connections:groups", org_slug=request.org.slug, public_id=public_id)


@sso_manager_required
def groups_remove(request, public_id):
    mapping = role_mapping_get(org=request.org, connection_public_id=public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    group = request.POST.get("group", "")
    try:
        role_rule_remove(org=request.org, mapping=mapping, group=group, by=actor_from_request(request))
    except RoleMappingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{group} no longer maps to a role.")
    return redirect("connections:groups", org_slug=request.org.slug, public_id=public_id)


def _page(request, mapping, form, settings_form, status=200):
    connection = mapping.connection
    ids_only = connection.kind == "oidc" and connection.oidc.entra_multi_tenant
    context = {
        "connection": connection,
        "mapping": mapping,
        "rules": mapping.rules(),
        "form": form,
        "settings_form": settings_form,
        "profile": profile_for(connection),
        "preset": preset_slug(connection),
        # Entra /organizations/: signin/roles.py matches only group object IDs from the groups claim.
        "group_ids_only": ids_only,
        "name_rules": {rule.group for rule in mapping.rules() if not is_guid(rule.group)} if ids_only else set(),
        # Directory sync applies the same mapping at each group push (directory/roles.py): say so where it is edited.
        "directories": connection.role_directories.filter(organization=request.org) if connection.pk else [],
    }
    return render(request, "connections/groups.html", context, status=status)
