"""How a request gets its organization: from the URL's slug, through the signed-in user's own membership.

The lookup filters by the user in the query itself, so another organization's slug is a 404, never a 403.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, render

from directory.models import SCIMUser

from .models import Membership


def memberships_usable(*, user):
    """The person's memberships, less those of organizations whose directory sync deprovisioned them (in the same
    statement): such a membership is kept, for the record and a re-activation, but lets nobody in."""
    deprovisioned = SCIMUser.objects.filter(user=OuterRef("user"), organization=OuterRef("organization"), active=False)
    return Membership.objects.filter(user=user).exclude(Exists(deprovisioned)).select_related("organization")


def membership_get(*, user, slug: str) -> Membership:
    return get_object_or_404(memberships_usable(user=user), organization__slug=slug)


def org_member_required(view):
    """Sets request.org and request.membership, or 404s for people outside the organization."""

    @login_required
    @wraps(view)
    def wrapper(request, org_slug, *args, **kwargs):
        request.membership = membership_get(user=request.user, slug=org_slug)
        request.org = request.membership.organization
        return view(request, *args, **kwargs)

    return wrapper


# The free plan's page stands where the owner clicked: it is headed with that page's name.
PLAN_PAGE_TITLES = {
    "connections": "Connections",
    "domains": "Domains",
    "directory": "Directory sync",
    "audit": "Audit log",
    "setup_links": "Setup links",
}


def sso_manager_required(view):
    """Owners of a paid organization: 403 for other members, an explanation page on the free plan."""

    @org_member_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.manages_sso:
            raise PermissionDenied("Only the organization's owners manage SSO.")
        if not request.org.has_sso:
            title = PLAN_PAGE_TITLES.get(request.resolver_match.namespace, "Single sign-on")
            return render(request, "tenancy/sso_needs_paid_plan.html", {"title": title})
        return view(request, *args, **kwargs)

    return wrapper


def members_manager_required(view):
    """Owners and admins, on any plan: 403 for members."""

    @org_member_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.manages_members:
            raise PermissionDenied("Only the organization's owners and admins manage its members.")
        return view(request, *args, **kwargs)

    return wrapper
