"""Render and send one notification: a plain-text and an HTML part, one message per recipient."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from kloudsso.notify.models import SentNotification
from kloudsso.notify.recipients import Recipient, recipient_list

# RFC 3834: out-of-office replies and other autoresponders must not answer a machine's mail.
HEADERS = {"Auto-Submitted": "auto-generated"}


def organization_notify(*, org, category: str, subject: str, template: str, context: dict, once_key: str | None) -> int:
    recipients = recipient_list(org=org, category=category)
    subject = " ".join(subject.split())  # one line: a header cannot hold a line break
    messages = [
        _message(org=org, category=category, subject=subject, template=template, context=context, to=r)
        for r in recipients
    ]
    # The key is written in the same transaction as the send: a failed send rolls it back (the next run tries again),
    # and a second server inserting the same key waits on the unique index, then finds it taken.
    with transaction.atomic():
        if once_key is not None:
            try:
                with transaction.atomic():
                    SentNotification.objects.create(organization=org, key=once_key)
            except IntegrityError:
                return 0
        if not messages:
            return 0
        with get_connection() as connection:
            return connection.send_messages(messages)


def _message(*, org, category, subject, template, context, to: Recipient) -> EmailMultiAlternatives:
    full = {**context, "org": org, "base_url": settings.PUBLIC_BASE_URL, "category": category, "recipient": to}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"mail/{template}.txt", full),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to.email],
        headers=HEADERS,
    )
    message.attach_alternative(render_to_string(f"mail/{template}.html", full), "text/html")
    return message
