from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from kloudsso.tenancy.access import org_member_required


@login_required
def home(request):
    """Send people to their first organization; the header's picker switches between them."""
    membership = request.user.memberships.select_related("organization").order_by("organization__name").first()
    if membership is None:
        return render(request, "tenancy/no_organization.html")
    return redirect("org_home", org_slug=membership.organization.slug)


@org_member_required
def org_home(request):
    enabled = request.org.connections.filter(enabled=True).count() if request.membership.manages_sso else 0
    return render(request, "tenancy/org_home.html", {"enabled_connection_count": enabled})


def switch(request):
    """The header's organization picker posts here (works without JavaScript)."""
    slug = request.POST.get("org") or request.GET.get("org")
    if slug and request.user.is_authenticated and request.user.memberships.filter(organization__slug=slug).exists():
        return redirect("org_home", org_slug=slug)
    return redirect("home")
