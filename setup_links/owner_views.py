from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone

from connections.guides import guide_get
from kloudsso.audit.record import actor_from_request
from kloudsso.tenancy.access import sso_manager_required
from setup_links.forms import SetupLinkForm
from setup_links.selectors import setup_link_get, setup_link_list
from setup_links.services import setup_link_create, setup_link_revoke

NEW_LINK_SESSION_KEY = "kloudsso_new_setup_link"  # the new link's URL, for the one page that shows it


@sso_manager_required
def link_list(request):
    if request.method == "POST":
        form = SetupLinkForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            link, token = setup_link_create(
                org=request.org,
                protocol=data["protocol"],
                guide=data["guide"],
                days=data["days"],
                note=data["note"],
                by=actor_from_request(request),
            )
            # Through the (server-side) session, not a message (a cookie): shown once by the next page.
            request.session[NEW_LINK_SESSION_KEY] = {"id": str(link.public_id), "url": setup_url(token)}
            return redirect("setup_links:list", org_slug=request.org.slug)
    else:
        form = SetupLinkForm()
    new = request.session.pop(NEW_LINK_SESSION_KEY, None)
    now = timezone.now()
    rows = [
        {"link": link, "status": link.status(now), "guide": guide_get(link.guide)}
        for link in setup_link_list(org=request.org)
    ]
    return render(request, "setup_links/list.html", {"form": form, "rows": rows, "new": new})


@sso_manager_required
def link_revoke(request, public_id):
    link = setup_link_get(org=request.org, public_id=public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if setup_link_revoke(org=request.org, link=link, by=actor_from_request(request)):
        messages.success(request, "Setup link revoked: it opens nothing any more.")
    else:
        messages.info(request, "That setup link had already ended.")
    return redirect("setup_links:list", org_slug=request.org.slug)


def setup_url(token: str) -> str:
    # In the fragment: browsers never send it, so it reaches no log (setup_links/session.py).
    return f"{settings.PUBLIC_BASE_URL}/setup/#{token}"
