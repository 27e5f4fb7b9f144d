"""Mail to an organization's owners and its notification address (see notify_organization)."""

from kloudsso.notify.categories import Category

__all__ = ["Category", "notify_organization"]


def notify_organization(
    *, org, category, subject: str, template: str, context=None, once_key: str | None = None
) -> int:
    """Mail the organization's recipients (kloudsso.notify.recipients); returns how many messages were sent.

    Renders templates/mail/<template>.txt and .html with `context` plus org, base_url and category. With once_key, a
    key already used for this organization sends nothing and returns 0, even from another server at the same time.
    """
    # Imported here: this package is an installed app, so it must not import models before the registry is ready.
    from kloudsso.notify.send import organization_notify

    return organization_notify(
        org=org, category=category, subject=subject, template=template, context=context or {}, once_key=once_key
    )
