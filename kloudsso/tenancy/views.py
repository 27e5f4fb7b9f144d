import re

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from kloudsso.tenancy.access import memberships_usable, org_member_required
from kloudsso.tenancy.overview import setup_steps

# What Organization.slug can hold: anything else (a NUL, which PostgreSQL refuses in a query, or 50,000 characters)
# names no organization, so it is not looked up.
ORG_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")


@login_required
def home(request):
    """Send people to their first organization; the header's picker switches between them."""
    membership = memberships_usable(user=request.user).order_by("organization__name").first()
    if membership is None:
        return render(request, "tenancy/no_organization.html")
    return redirect("org_home", org_slug=membership.organization.slug)


@org_member_required
def org_home(request):
    # The guide's steps only for those who can take them: members and admins see no connection or domain.
    manages = request.membership.manages_sso and request.org.has_sso
    return render(request, "tenancy/org_home.html", {"steps": setup_steps(org=request.org) if manages else []})


def switch(request):
    """The header's organization picker posts here (works without JavaScript)."""
    slug = request.POST.get("org") or request.GET.get("org") or ""
    if not ORG_SLUG.fullmatch(slug) or not request.user.is_authenticated:
        return redirect("home")
    if memberships_usable(user=request.user).filter(organization__slug=slug).exists():
        return redirect("org_home", org_slug=slug)
    return redirect("home")
