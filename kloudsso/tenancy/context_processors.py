from kloudsso.tenancy.access import memberships_usable


def current_organization(request):
    """The organization picker in the page header: the user's memberships and the current one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_org": getattr(request, "org", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": memberships_usable(user=user).order_by("organization__name"),
    }
