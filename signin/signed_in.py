"""A person who is already signed in, on a sign-in page: the email prompt offers to continue or to sign in as
someone else, and a stale answer (a second tab, the back button, a double click, a bookmark) says they are signed in
and takes them on. Nothing here signs anyone in or out but the "someone else" button, which is a POST."""

from django.contrib import auth
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

NEXT_SESSION_KEY = "kloudsso_signin_next"


def continue_url(request, *, org=None) -> str:
    """Where Continue goes: the page the person asked for (?next= on the email prompt), else the organization this
    sign-in was for when they belong to it, else their first organization. Never another site, never an
    organization of someone else's sign-in (its name would say whose answer this was)."""
    remembered = request.session.get(NEXT_SESSION_KEY, "")
    if remembered and is_safe_path(request, remembered):
        return remembered
    if org is not None and request.user.memberships.filter(organization=org).exists():
        return resolve_url("org_home", org_slug=org.slug)
    return resolve_url("home")


def is_safe_path(request, url: str) -> bool:
    # A path on this site only: not "//evil.test", not a scheme, not a backslash trick (Django's check covers those).
    return url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def remember_next(request) -> None:
    wanted = request.GET.get("next", "")
    if wanted and is_safe_path(request, wanted):
        request.session[NEXT_SESSION_KEY] = wanted


def signed_in_page(request, *, stale: bool, org=None):
    """The email prompt's answer to someone signed in (`stale` False), or a used-up answer's (`stale` True)."""
    context = {"stale": stale, "continue_url": continue_url(request, org=org)}
    return render(request, "sso/signed_in.html", context)


@require_POST  # with a CSRF token: a link on another site must not sign anyone out
def sign_in_as_someone_else(request):
    """Signs out first (another person's sign-in must not inherit this session), then asks for the email."""
    auth.logout(request)
    return redirect("sso_login")
