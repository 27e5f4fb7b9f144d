"""Owners' pages for directories: list and add, one directory (Tenant URL, token once, setup steps, where roles come
from, last requests, people and groups), rotate its token, choose where roles come from, and revoke it or delete the
directory, each after a page saying what it does. Owners only, on the paid plan, like SSO connections."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers

from directory import selectors
from directory.audit import directory_actor
from directory.forms import DirectoryAddForm, DirectoryDeleteForm, RoleConnectionForm
from directory.guides import guide_steps
from directory.services import (
    directory_create,
    directory_delete,
    directory_role_connection_set,
    directory_token_revoke,
    directory_token_rotate,
)
from kloudsso.audit.record import actor_from_request
from kloudsso.tenancy.access import sso_manager_required

SHOWN = 50  # people, groups and requests on the directory page


def tenant_url(directory) -> str:
    return f"{settings.PUBLIC_BASE_URL}/scim/v2/{directory.public_id}"


@sso_manager_required
def index(request):
    form = DirectoryAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        directory, token = directory_create(
            org=request.org,
            actor=actor_from_request(request),
            display_name=form.cleaned_data["display_name"],
            idp_kind=form.cleaned_data["idp_kind"],
        )
        # Rendered in this response, never stored: the token is shown once.
        return _detail(request, directory, token=token, status=201)
    directories = selectors.directory_list(org=request.org)
    return render(request, "directory/index.html", {"form": form, "directories": directories})


@sso_manager_required
def detail(request, public_id):
    return _detail(request, selectors.directory_get(org=request.org, public_id=public_id))


@sso_manager_required
def rotate(request, public_id):
    directory = selectors.directory_get(org=request.org, public_id=public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    token = directory_token_rotate(directory=directory, actor=actor_from_request(request))
    return _detail(request, directory, token=token)


@sso_manager_required
def revoke(request, public_id):
    directory = selectors.directory_get(org=request.org, public_id=public_id)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method != "POST":
        context = {
            "directory": directory,
            "people_count": selectors.scim_user_list(directory=directory).count(),
            "groups_count": selectors.scim_group_list(directory=directory).count(),
        }
        return render(request, "directory/revoke.html", context)
    if directory.revoked_at is None:  # a second click changes nothing, and logs nothing twice
        directory_token_revoke(directory=directory, actor=actor_from_request(request))
    messages.success(
        request, f"Every token of {directory.display_name} stopped working. Make a new token to sync again."
    )
    return redirect("directory:detail", org_slug=request.org.slug, public_id=directory.public_id)


@sso_manager_required
def delete(request, public_id):
    directory = selectors.directory_get(org=request.org, public_id=public_id)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    form = DirectoryDeleteForm(request.POST if request.method == "POST" else None, directory=directory)
    if form.is_valid():
        deletion = directory_delete(directory=directory, actor=actor_from_request(request))
        messages.success(request, deleted_message(directory, deletion, org=request.org))
        return redirect("directory:list", org_slug=request.org.slug)
    context = {"directory": directory, "deletion": selectors.directory_deletion(directory=directory), "form": form}
    return render(request, "directory/delete.html", context)


def deleted_message(directory, deletion, *, org) -> str:
    if deletion is None:  # another request deleted it a moment before
        return f"{directory.display_name} was already deleted."
    said = (
        f"{directory.display_name} deleted: its token stopped working, and its {counted(deletion.people, 'person')}, "
        f"{counted(deletion.groups, 'group')} and request log were removed."
    )
    removed = len(deletion.removed)
    if removed:
        are = "is no longer a member" if removed == 1 else "are no longer members"
        said += f" {counted(removed, 'person')} it had deprovisioned {are} of {org.name}."
    return said


def counted(n: int, word: str) -> str:
    plural = "people" if word == "person" else f"{word}s"
    return f"{n} {word if n == 1 else plural}"


@sso_manager_required
def roles(request, public_id):
    directory = selectors.directory_get(org=request.org, public_id=public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = RoleConnectionForm(request.POST, org=request.org)
    if not form.is_valid():
        return _detail(request, directory, roles_form=form, status=400)
    connection = form.cleaned_data["role_connection"]
    changed = directory_role_connection_set(
        directory=directory, connection=connection, actor=actor_from_request(request)
    )
    messages.success(request, _roles_saved(connection, changed))
    return redirect("directory:detail", org_slug=request.org.slug, public_id=directory.public_id)


def _roles_saved(connection, changed: dict) -> str:
    if connection is None:
        return "Saved: this directory's groups change no role; roles stay as they are."
    made = [f"{len(emails)} made {role}{'s' if len(emails) > 1 else ''}" for role, emails in sorted(changed.items())]
    done = f" Applied now: {', '.join(made)}." if made else " Nobody's role changed now."
    return f"Saved: roles follow the group → role mapping of {connection.display_name}.{done}"


def _detail(request, directory, *, token: str | None = None, roles_form=None, status: int = 200):
    url = tenant_url(directory)
    initial = {"role_connection": directory.role_connection.public_id if directory.role_connection else None}
    context = {
        "directory": directory,
        "audit_who": directory_actor(directory).label,
        "tenant_url": url,
        "token": token,
        "steps": guide_steps(directory, tenant_url=url, token=token),
        "requests": selectors.scim_request_list(directory=directory, limit=SHOWN),
        "roles_form": roles_form or RoleConnectionForm(org=request.org, initial=initial),
        "role_mapping": _mapping_of(directory.role_connection),
        "people": selectors.scim_people_list(directory=directory)[:SHOWN],
        "people_count": selectors.scim_user_list(directory=directory).count(),
        "groups": selectors.scim_group_list(directory=directory)[:SHOWN],
        "groups_count": selectors.scim_group_list(directory=directory).count(),
    }
    response = render(request, "directory/detail.html", context, status=status)
    add_never_cache_headers(response)  # no-store: the page may show the token, which no cache may keep
    return response


def _mapping_of(connection):
    return getattr(connection, "role_mapping", None) if connection is not None else None
