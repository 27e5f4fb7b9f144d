"""Who gets an organization's mail: its owners, and its optional notification address (the IT team's mailbox)."""

from dataclasses import dataclass

from kloudsso.notify.categories import Category
from kloudsso.tenancy.models import Membership, Role


@dataclass(frozen=True)
class Recipient:
    email: str
    is_owner: bool  # False: the organization's notification address


def recipient_list(*, org, category: str) -> list[Recipient]:
    """Owners (minus those who turned reminders off, for a reminder), then the notification address, each once."""
    owners = Membership.objects.filter(organization=org, role=Role.OWNER, user__is_active=True)
    if category == Category.REMINDER:
        owners = owners.filter(receives_reminders=True)
    recipients = [
        Recipient(email, True) for email in owners.order_by("user__email").values_list("user__email", flat=True)
    ]
    seen = {r.email.lower() for r in recipients}
    if org.notification_email and org.notification_email.lower() not in seen:
        recipients.append(Recipient(org.notification_email, False))
    return recipients
