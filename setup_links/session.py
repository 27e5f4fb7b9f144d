"""A setup link's browser session: the token is exchanged once (POST) for a session bound to the link.

The token never travels in a path or a query string (the link carries it in the URL's fragment, which browsers
do not send), so no access log, proxy log or Referer holds it; every later page reads the link from the session
and checks it is still active.
"""

import hmac
from functools import wraps

from django.shortcuts import render

from kloudsso.audit.models import ActorKind
from kloudsso.audit.record import Actor
from kloudsso.client_ip import client_ip
from setup_links.models import SetupLink, Status
from setup_links.services import browser_key_hash

SESSION_KEY = "kloudsso_setup_link"

ENDED = {
    Status.EXPIRED: "This setup link has expired.",
    Status.REVOKED: "This setup link was revoked.",
    Status.COMPLETED: "This setup link has been used: the setup it was made for is complete.",
}
CLAIMED = (
    "This setup link is already open in another browser: a link works in the browser it was first opened in. "
    "Go on there, or ask the person who sent it for a new link."
)


BROWSER_KEY = "kloudsso_setup_link_browser"


def bind(request, link: SetupLink, browser_secret: str) -> None:
    request.session.cycle_key()  # a fresh session key: nobody who knew the old one shares the link's
    request.session[SESSION_KEY] = str(link.public_id)
    request.session[BROWSER_KEY] = browser_secret


def bound_here(request, link: SetupLink) -> bool:
    """Whether this browser is the one the link was first opened in (services.setup_link_claim)."""
    secret = request.session.get(BROWSER_KEY, "")
    return bool(secret) and hmac.compare_digest(browser_key_hash(secret), link.browser_key_hash)


def unbind(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(BROWSER_KEY, None)


def bound_link(request) -> SetupLink | None:
    public_id = request.session.get(SESSION_KEY)
    if not public_id:
        return None
    return SetupLink.objects.select_related("organization", "connection").filter(public_id=public_id).first()


def link_actor(request, link: SetupLink) -> Actor:
    return Actor(user=None, kind=ActorKind.SETUP_LINK, ip=client_ip(request), name=link.label)


def unavailable(request, status: str | None):
    """The one page an unknown or ended link gets: 404 for a link that does not exist, 410 for one that ended."""
    if status is None:
        return render(
            request,
            "setup_links/unavailable.html",
            {"message": "This setup link does not exist, or it is not open in this browser."},
            status=404,
        )
    return render(request, "setup_links/unavailable.html", {"message": ENDED[status]}, status=410)


def setup_link_required(view):
    """Sets request.setup_link to the session's active link; anything else gets the unavailable page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        link = bound_link(request)
        if link is None or not bound_here(request, link) or not link.organization.has_sso:
            unbind(request)
            return unavailable(request, None)
        status = link.status()
        if status != Status.ACTIVE:
            unbind(request)
            return unavailable(request, status)
        request.setup_link = link
        return view(request, *args, **kwargs)

    return wrapper
