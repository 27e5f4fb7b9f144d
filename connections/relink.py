"""Re-linking members' identities after their IdP changed how it names people: one member from their refused
sign-in, or every member of a connection at their next sign-in (a window that closes by itself).

Nothing here takes a subject from a form. A single re-link moves an identity to the subject its connection's IdP
sent in a recorded failure (connections/subject_change.py); a window names the identities it covers and the one
subject kind each may take, and signin/relink.py moves each at most once, for its own email. Every step is audited.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.utils import timezone

from connections.audit import connection_target
from connections.identity import SSOIdentity
from connections.subject_change import SubjectChange
from kloudsso.audit.record import audit_record
from kloudsso.tenancy.models import Membership
from signin.relink import identity_target
from signin.subject_kind import described, kind_of

WINDOW_CODES = {"subject_format_changed"}  # a new person with a reused address is never let in by a window


class RelinkError(Exception):
    """Why a re-link cannot be done, in words for the owner."""


def subject_change_keep(*, event, identity_id: int, subject: str) -> None:
    """Kept with a refused sign-in's event, for the identity of that event's own connection only."""
    if SSOIdentity.objects.filter(pk=identity_id, connection=event.connection_id).exists():
        SubjectChange.objects.create(event=event, identity_id=identity_id, subject=subject)


def subject_change_get(*, org, event_public_id) -> SubjectChange:
    """The re-link a failure event of `org` offers; 404 for another organization's event, or an event with none."""
    return get_object_or_404(
        SubjectChange.objects.select_related("event__connection", "identity__user", "identity__connection"),
        event__organization=org,
        event__public_id=event_public_id,
        identity__connection__organization=org,
    )


def identity_relink(*, org, change: SubjectChange, by) -> SSOIdentity:
    """The member's identity moved to the subject of their refused sign-in: their next sign-in works."""
    with transaction.atomic():
        identity = (
            SSOIdentity.objects.select_for_update()
            .select_related("user", "connection")
            .filter(pk=change.identity_id, connection__organization=org)
            .first()
        )
        if identity is None:
            raise RelinkError("This identity was removed since the sign-in was refused.")
        if not Membership.objects.filter(user=identity.user, organization=org).exists():
            raise RelinkError(f"{identity.user.email} is no longer a member of {org.name}.")
        if identity.subject == change.subject:
            raise RelinkError(f"{identity.user.email} is already linked to this identity.")
        before = described(identity.subject)
        identity.subject, identity.relink_kind, identity.relink_until = change.subject, "", None
        try:
            with transaction.atomic():
                identity.save(update_fields=["subject", "relink_kind", "relink_until"])
        except IntegrityError:
            raise RelinkError(
                "Another account of this connection signs in with that identity already: remove it first."
            ) from None
        audit_record(
            org=org,
            actor=by,
            action="identity.relinked",
            target=identity_target(identity, identity.connection),
            changes={
                "subject": [before, described(change.subject)],
                "how": [None, f"from sign-in {change.event.reference}"],
            },
        )
        change.delete()  # used up: the event still tells what happened
    return identity


def relink_candidates(*, org, connection, kind_code: str) -> list[SSOIdentity]:
    """The identities a window for subjects of `kind_code`'s old kind would cover: this connection's, of members of
    `org` whose accounts are active, by email."""
    members = Membership.objects.filter(user=OuterRef("user_id"), organization=org)
    identities = (
        SSOIdentity.objects.filter(connection=connection, connection__organization=org, user__is_active=True)
        .annotate(is_member=Exists(members))
        .filter(is_member=True)
        .select_related("user")
        .order_by("user__email", "pk")
    )
    return [identity for identity in identities if kind_of(identity.subject).code == kind_code]


def fingerprint(identities) -> str:
    """What the confirmation showed: if the list changed before the owner confirmed, they see it again."""
    return hashlib.sha256(",".join(str(i.pk) for i in identities).encode()).hexdigest()[:16]


def relink_window_open(*, org, change: SubjectChange, shown: str, by):
    """Every member whose identity is of the refused one's kind may arrive once with the new kind, for
    SSO_RELINK_WINDOW_DAYS. Returns (identities covered, until)."""
    if change.event.code not in WINDOW_CODES:
        raise RelinkError("Only a change of subject kind can re-link everyone: re-link this member alone.")
    old, new = kind_of(change.identity.subject), kind_of(change.subject)
    connection = change.identity.connection
    until = timezone.now() + timedelta(days=settings.SSO_RELINK_WINDOW_DAYS)
    with transaction.atomic():
        identities = relink_candidates(org=org, connection=connection, kind_code=old.code)
        if fingerprint(identities) != shown:
            raise RelinkError("The members this would re-link changed since the page was shown: check them again.")
        if not identities:
            raise RelinkError(f"No member signs in through {connection.display_name} by {old.words} any more.")
        SSOIdentity.objects.filter(pk__in=[i.pk for i in identities]).update(relink_kind=new.code, relink_until=until)
        audit_record(
            org=org,
            actor=by,
            action="identity.relink_window_opened",
            target=connection_target(connection),
            changes={
                "accepts": [None, f"{new.words} instead of {old.words}"],
                "members": [None, len(identities)],
                "until": [None, until.isoformat(timespec="minutes")],
            },
        )
    return identities, until


def relink_window_members(*, org, connection) -> list[SSOIdentity]:
    """The identities an open window still covers (not yet moved, not expired)."""
    return list(
        SSOIdentity.objects.filter(connection=connection, connection__organization=org, relink_until__gt=timezone.now())
        .select_related("user")
        .order_by("user__email", "pk")
    )


def relink_window_close(*, org, connection, by) -> int:
    """The window closed early: members not yet moved are refused again until re-linked."""
    with transaction.atomic():
        closed = SSOIdentity.objects.filter(
            connection=connection, connection__organization=org, relink_until__isnull=False
        ).update(relink_kind="", relink_until=None)
        if closed:
            audit_record(
                org=org,
                actor=by,
                action="identity.relink_window_closed",
                target=connection_target(connection),
                changes={"members not re-linked": [closed, None]},
            )
    return closed
