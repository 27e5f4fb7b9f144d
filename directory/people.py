"""A SCIM user is a person of the organization: which account it is, its membership, and deprovisioning.

The linking rules are SSO's (signin/complete.py): an email on a domain this organization has verified (the most
specific verified domain decides), and never an account that reaches beyond this organization. A person already
known by SSO is found by the IdP's immutable id first (externalId against the SSO identity's subject), then by
email. A SCIM record keeps the person it linked: an email change at the IdP changes that person's email, never makes
a second one.
"""

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils import timezone

from connections.identity import SSOIdentity
from directory.models import IdPKind
from kloudsso.notify import Category, notify_organization
from kloudsso.tenancy.models import Membership, Role
from signin.complete import email_outside_org, used_beyond

MAX_EMAIL_LENGTH = 254
MIN_IMMUTABLE_ID_LENGTH = 16
# Where each IdP's admin gives a user the email KloudSSO needs.
EMAIL_MAPPING = {
    IdPKind.ENTRA: "In Entra ID, map mail (or userPrincipalName, when it is the mailbox address) to "
    'emails[type eq "work"].value under Provisioning → Mappings → Provision Microsoft Entra ID Users.',
    IdPKind.OKTA: "In Okta, give the person an email and keep the profile's email mapped to the primary email "
    '(emails[type eq "work"].value) under Provisioning → To App → attribute mappings.',
    IdPKind.OTHER: 'Send the address as emails[type eq "work"].value, or as a userName that is the address.',
}


class PersonRefused(Exception):
    """Why a person cannot be linked or changed as the IdP asked; the SCIM API answers each kind with its SCIM error
    (directory/scim/errors.py). Our own types, so this module needs no SCIM library (directory/scim/urls.py)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class EmailRefused(PersonRefused):
    """No email, an email that is no address, or one not on the organization's verified domains."""


class AccountTaken(PersonRefused):
    """The account or the email is someone else's, or used beyond this organization."""


class OwnerProtected(PersonRefused):
    """Directory sync never changes an owner's email, nor deactivates or deletes an owner."""


def email_missing(*, scim_user) -> EmailRefused:
    """An active user with no email is nobody KloudSSO can make a member: refused, saying what to map.

    A record already linked keeps its person, and the person their email: the write that would leave the record
    without one is refused as a whole. Deactivating needs no email, so deprovisioning never fails on it.
    """
    directory, person = scim_user.directory, scim_user.user if scim_user.user_id is not None else None
    kept = f" {person.email} stays the person's email." if person is not None else ""
    return EmailRefused(
        f"{scim_user.user_name or 'This user'} has no email: KloudSSO knows each person by an email on "
        f"{scim_user.organization.name}'s verified domains, so an active user needs one, in emails or as a userName "
        f"that is an address.{kept} {EMAIL_MAPPING.get(directory.idp_kind, EMAIL_MAPPING[IdPKind.OTHER])}"
    )


def person_link(*, scim_user, email: str) -> None:
    """Set scim_user.user for this email (not saved), creating the account and the membership when needed."""
    org = scim_user.organization
    email = (email or "").strip().lower()
    if scim_user.user_id is not None and not scim_user.active:
        # Deprovisioning never fails on the email: IdPs rename a leaver's mailbox as they disable them (to another
        # domain, or to an address someone else has), and refusing that change would leave the person active. The
        # person keeps their email; a reactivation makes the change, or is refused and they stay deprovisioned.
        return
    if not email:
        # Only an unlinked inactive record comes here without an email (email_missing refuses an active one): it
        # stays linked to nobody.
        return
    if "@" not in email or len(email) > MAX_EMAIL_LENGTH:
        raise EmailRefused(
            f"{email or 'No email'}: a provisioned person's email (emails, or a userName that is one) is an "
            f"address of at most {MAX_EMAIL_LENGTH} characters."
        )
    outside = email_outside_org(org, email)
    if outside is not None:
        raise EmailRefused(f"{email} is outside {org.name}'s verified domains, so it cannot be provisioned. {outside}")
    users = get_user_model().objects
    if scim_user.user_id is not None:
        _email_change(scim_user.user, email, org)
        if scim_user.active:  # the IdP decides who exists: a member an owner removed comes back while assigned
            Membership.objects.get_or_create(user=scim_user.user, organization=org, defaults={"role": Role.MEMBER})
        return
    user = _by_immutable_id(org, scim_user.external_id)
    if user is not None:
        if used_beyond(user, org):
            raise AccountTaken(
                f"The SSO identity of {user.email} is used outside {org.name}; directory sync does not take "
                "it over. Ask support."
            )
        _email_change(user, email, org)
    else:
        user = users.filter(email__iexact=email).first()
    if user is None:
        user = users.create_user(email)  # no usable password: SSO only, as SSO's just-in-time accounts
    elif used_beyond(user, org):
        raise AccountTaken(
            f"An account for {email} already exists and is used outside {org.name}; directory sync does not "
            "take it over. Ask support."
        )
    Membership.objects.get_or_create(user=user, organization=org, defaults={"role": Role.MEMBER})
    scim_user.user = user


def _by_immutable_id(org, external_id: str):
    """The person an SSO identity of this organization names by the IdP's own immutable id, sent here as externalId:
    Entra's object id (SSO subject entra:<tenant>:<oid>) or Okta's user id (SSO subject <issuer>|<sub>).

    Shorter ids are no IdP's immutable id (a GUID has 36 characters, Okta's ids 20): they never match one.
    """
    if len(external_id) < MIN_IMMUTABLE_ID_LENGTH or ":" in external_id or "|" in external_id:
        return None
    identity = (
        SSOIdentity.objects.filter(connection__organization=org)
        .filter(Q(subject__endswith=f":{external_id}") | Q(subject__endswith=f"|{external_id}"))
        .select_related("user")
        .order_by("-last_login_at", "-pk")
        .first()
    )
    return identity.user if identity is not None else None


def _email_change(user, email: str, org) -> None:
    if user.email == email:
        return
    if _is_owner(user.pk, org):
        # An owner's sign-in email is their way back in: an IdP's mistake must not take it from them.
        raise OwnerProtected(
            f"{user.email} is an owner of {org.name}: directory sync never changes an owner's email (to "
            f"{email}). Another owner can change their role to member first."
        )
    if get_user_model().objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise AccountTaken(f"Another account already has {email}; the email was not changed.")
    if used_beyond(user, org):
        raise AccountTaken(
            f"{user.email}'s account is used outside {org.name}; directory sync does not change its email."
        )
    get_user_model().objects.filter(pk=user.pk).update(email=email)
    user.email = email


def refuse_owner(*, scim_user, action: str) -> None:
    """Owners are never deprovisioned by SCIM: an IdP mistake must not lock the organization out."""
    if not owner_linked(scim_user):
        return
    org = scim_user.organization
    notify_organization(
        org=org,
        category=Category.ALERT,
        subject=f"Directory sync tried to {action} an owner of {org.name}",
        template="directory_owner_refused",
        context={"scim_user": scim_user, "directory": scim_user.directory, "action": action},
        once_key=f"scim-owner:{scim_user.public_id}:{action}:{timezone.now():%Y-%m-%d}",
    )
    raise OwnerProtected(
        f"{scim_user.user_name} is an owner of {org.name}: directory sync never deactivates or deletes an "
        "owner. Another owner can change their role to member first."
    )


def owner_linked(scim_user) -> bool:
    return scim_user.user_id is not None and _is_owner(scim_user.user_id, scim_user.organization)


def _is_owner(user_id, org) -> bool:
    return Membership.objects.filter(user_id=user_id, organization=org, role=Role.OWNER).exists()


def sessions_end(*, user_id) -> None:
    """Every session of the person ends at its next request, on every app server (User.session_generation)."""
    get_user_model().objects.filter(pk=user_id).update(session_generation=F("session_generation") + 1)
