import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kloudsso.audit.record import Actor, Target, audit_record
from kloudsso.notify import Category, notify_organization
from setup_links.models import SetupLink
from setup_links.tokens import new_token, token_sha256

DEFAULT_DAYS = 7
MAX_DAYS = 30
logger = logging.getLogger(__name__)


class SetupLinkEnded(Exception):
    """The link was revoked, completed or expired meanwhile: nothing was changed."""


def setup_link_target(link: SetupLink) -> Target:
    return Target("setup_link", str(link.public_id), link.note or f"created {link.created_at:%Y-%m-%d %H:%M}")


@transaction.atomic
def setup_link_create(
    *, org, protocol: str = "", guide: str = "", days: int = DEFAULT_DAYS, note: str = "", by: Actor
) -> tuple[SetupLink, str]:
    """A new link and its token, which is shown once and never stored."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"A setup link lasts 1 to {MAX_DAYS} days.")
    token = new_token()
    now = timezone.now()
    link = SetupLink.objects.create(
        organization=org,
        token_sha256=token_sha256(token),
        protocol=protocol,
        guide=guide,
        note=note.strip(),
        created_by=by.user,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    changes = {"protocol": [None, protocol or "their choice"], "expires_at": [None, link.expires_at]}
    if guide:
        changes["guide"] = [None, guide]
    audit_record(org=org, actor=by, action="setup_link.created", target=setup_link_target(link), changes=changes)
    return link, token


@transaction.atomic
def setup_link_revoke(*, org, link: SetupLink, by: Actor) -> bool:
    """End an active link at once; False (and nothing recorded) when it had already ended."""
    link = SetupLink.objects.select_for_update().get(pk=link.pk, organization=org)
    if not link.is_active:
        return False
    link.revoked_at = timezone.now()
    link.revoked_by = by.user
    link.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(org=org, actor=by, action="setup_link.revoked", target=setup_link_target(link))
    return True


def setup_link_claim(*, link: SetupLink) -> str | None:
    """The first exchange of the token binds the link to one browser: returns the secret that browser's session
    keeps, or None when another browser claimed the link first (one conditional UPDATE: two at once, one wins)."""
    secret = secrets.token_urlsafe(32)
    claimed = SetupLink.objects.filter(pk=link.pk, browser_key_hash="").update(
        browser_key_hash=browser_key_hash(secret), opened_at=timezone.now()
    )
    return secret if claimed else None


def browser_key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def setup_link_tested(*, link: SetupLink) -> None:
    """A Test connection of the link's connection whose identity provider's part passed."""
    SetupLink.objects.filter(pk=link.pk, connection_id=link.connection_id, completed_at=None).update(
        tested_at=timezone.now()
    )


def link_locked(link: SetupLink) -> SetupLink:
    """The link's row, locked for the rest of the transaction, still active: else SetupLinkEnded."""
    # of=self: PostgreSQL locks no row of a nullable join (the connection may not exist yet)
    locked = (
        SetupLink.objects.select_for_update(of=("self",)).select_related("organization", "connection").get(pk=link.pk)
    )
    if not locked.is_active:
        raise SetupLinkEnded
    return locked


@transaction.atomic
def setup_link_complete(*, link: SetupLink, by: Actor) -> SetupLink:
    """The IT admin's Finish: the link ends and the owners are mailed what was set up. The connection stays as it
    is (disabled): an owner enables it, since who can sign in is theirs to decide."""
    link = link_locked(link)
    if link.connection is None or link.tested_at is None:
        raise ValueError("Finish needs a connection whose test passed.")
    link.completed_at = timezone.now()
    link.save(update_fields=["completed_at"])
    connection = link.connection
    audit_record(
        org=link.organization,
        actor=by,
        action="setup_link.completed",
        target=setup_link_target(link),
        changes={"connection": [None, connection.display_name]},
    )
    org = link.organization
    transaction.on_commit(partial(_mail_completed, org, link, connection))
    return link


def _mail_completed(org, link: SetupLink, connection) -> None:
    """After the commit, and never failing Finish: a mail server that does not answer loses this one mail (the
    owners' list of links shows the completion all the same)."""
    try:
        _send_completed(org, link, connection)
    except (OSError, smtplib.SMTPException):
        logger.exception("The mail about the completed setup link %s could not be sent", link.public_id)


def _send_completed(org, link: SetupLink, connection) -> None:
    notify_organization(
        org=org,
        category=Category.ALERT,  # a way to sign in to the organization was added: nobody opts out of that
        subject=f"Your IT admin set up the connection “{connection.display_name}”",
        template="setup_link_completed",
        context={
            "link": link,
            "connection": connection,
            "path": reverse("connections:list", kwargs={"org_slug": org.slug}),
            "links_path": reverse("setup_links:list", kwargs={"org_slug": org.slug}),
        },
        once_key=f"setup-link-completed:{link.public_id}",
    )
