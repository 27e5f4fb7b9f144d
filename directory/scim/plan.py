"""Directory sync on the Free plan: it only deprovisions.

A downgrade must never leave a leaver signed in, so reads (the IdP finds whom to deactivate), user deletes and writes
that leave a user inactive still work; whatever provisions or gives a role (creating, updating or reactivating a
user, any group write) waits for the plan to be paid again. The plan is read from the directory's organization, which
the endpoint loaded with it: no statement more.
"""

from scim2_models import ForbiddenException


def provisioning_check(*, directory, refused: str) -> None:
    """Raise a 403 saying what was refused, unless the directory's organization is on a paid plan."""
    org = directory.organization
    if org.has_sso:
        return
    raise ForbiddenException(
        detail=f"{org.name} is on the {org.get_plan_display()} plan: directory sync only deprovisions people until "
        f"the plan is paid again; {refused} was not applied."
    )
