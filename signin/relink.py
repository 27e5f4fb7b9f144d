"""A member's email arriving with a new subject on a connection that knows them by another: told apart, and, in an
owner's re-link window, moved over.

An IdP that changes how it names people (email NameID → persistent, Entra's Unique User Identifier) sends every
member as a new subject; so does an IdP that gave a departed person's address to someone new. The subject's kind
tells the two apart: a new kind is the IdP's setting (subject_format_changed), the same kind a new person
(email_reused). Either way nothing is linked here without an owner: the refusal carries the new subject, which the
failure event keeps (connections/subject_change.py) so the owner can re-link from it.
"""

from dataclasses import dataclass

from connections.identity import SSOIdentity
from kloudsso.audit.record import SYSTEM, Target, audit_record
from signin.errors import SignInError
from signin.subject_kind import described, kind_of


@dataclass(frozen=True)
class RelinkOffer:
    """What the failure event keeps: the member's identity and the subject the IdP sent instead."""

    identity_id: int
    subject: str


def refusal(identity: SSOIdentity, *, subject: str, email: str, member: bool) -> SignInError:
    """The refusal for a new subject whose email is `identity`'s person; for a member, with the owners' offer."""
    old, new = kind_of(identity.subject), kind_of(subject)
    was, now = described(identity.subject), described(subject)
    if old != new:
        error = SignInError(
            "subject_format_changed",
            "Your identity provider now identifies you differently, so we cannot sign you in until your admin "
            "confirms it is you. Ask your admin.",
            f"{email} is linked to this connection by {was}; the IdP now sent {now}. Every member of this "
            "connection will be refused the same way until the IdP setting is reverted or their identity is "
            "re-linked.",
        )
    else:
        error = SignInError(
            "email_reused",
            "This email address belongs to another account at your identity provider. Ask your admin.",
            f"{email} is already linked to {was} of this connection; the IdP now sent {now}.",
        )
    if member:
        error.relink = RelinkOffer(identity_id=identity.pk, subject=subject)
    return error


def window_relink(identity: SSOIdentity, *, connection, org, subject: str, email: str, now) -> bool:
    """Whether an owner's open window moved `identity` (a member's, found by their email) to `subject`, once. Runs
    in the sign-in's transaction: a refusal after this rolls it back, the window included.

    The window covers the identities it was opened for, each for one subject kind; only a subject of that kind,
    with the email the identity last signed in with, takes it.
    """
    covered = (
        identity.relink_until is not None
        and identity.relink_until > now
        and identity.relink_kind == kind_of(subject).code
        and identity.email.lower() == email.lower()
    )
    # Claimed in one statement: of two concurrent sign-ins, one moves the identity; the other is refused.
    if not covered or not SSOIdentity.objects.filter(
        pk=identity.pk, subject=identity.subject, relink_until__gt=now, relink_kind=identity.relink_kind
    ).update(subject=subject, relink_kind="", relink_until=None):
        return False
    before = described(identity.subject)
    identity.subject, identity.relink_kind, identity.relink_until = subject, "", None
    audit_record(
        org=org,
        actor=SYSTEM,
        action="identity.relinked",
        target=identity_target(identity, connection),
        changes={"subject": [before, described(subject)], "how": [None, "at their sign-in, in a re-link window"]},
    )
    return True


def identity_target(identity, connection) -> Target:
    return Target("identity", str(identity.pk), f"{identity.user.email} · {connection.display_name}")
