"""Owners' pages for directories: list and add, one directory (Tenant URL, token once, setup steps, last requests,
people and groups), rotate and revoke its token. Owners only, on the paid plan, like SSO connections."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers

from directory import selectors
from directory.audit import directory_actor
from directory.forms import DirectoryAddForm
from directory.guides import guide_steps
from directory.services import directory_create, directory_token_revoke, directory_token_rotate
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
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    directory_token_revoke(directory=directory, actor=actor_from_request(request))
    messages.success(
        request, f"Every token of {directory.display_name} stopped working. Make a new token to sync again."
    )
    return redirect("directory:detail", org_slug=request.org.slug, public_id=directory.public_id)


def _detail(request, directory, *, token: str | None = None, status: int = 200):
    url = tenant_url(directory)
    context = {
        "directory": directory,
        "audit_who": directory_actor(directory).label,
        "tenant_url": url,
        "token": token,
        "steps": guide_steps(directory, tenant_url=url, token=token),
        "requests": selectors.scim_request_list(directory=directory, limit=SHOWN),
        "people": selectors.scim_user_list(directory=directory).select_related("user")[:SHOWN],
        "people_count": selectors.scim_user_list(directory=directory).count(),
        "groups": selectors.scim_group_list(directory=directory)[:SHOWN],
        "groups_count": selectors.scim_group_list(directory=directory).count(),
    }
    response = render(request, "directory/detail.html", context, status=status)
    add_never_cache_headers(response)  # no-store: the page may show the token, which no cache may keep
    return response
