"""Test connection's words for each decision of a sign-in (email, identity, domain, provisioning, role), and its
warnings when the sign-in would only work by a fallback.

The decisions themselves are signin/complete's, run for real (test_mode.py): this module reads what the database
held before, and what the rolled-back sign-in wrote, and says what they mean.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from connections.identity import SSOIdentity
from connections.role_mapping import Unmatched, role_mapping_of
from domains.selectors import verified_domain_for_email
from kloudsso.tenancy.models import Invitation, Membership, ProvisioningMode
from signin.oidc.claims import USERINFO
from signin.oidc.userinfo import RECEIVED_KEY
from signin.person import groups_of
from signin.subject_kind import EMAIL_NAMEID, NAMEID, PERSISTENT, TRANSIENT, described, kind_of

NAMEID_FORMATS = {
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent": (PERSISTENT,),
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress": (EMAIL_NAMEID, NAMEID),
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient": (TRANSIENT,),
}
ENTRA_FALLBACK_CLAIMS = ("the preferred_username claim", "the upn claim")


@dataclass(frozen=True)
class Before:
    """What the organization knew of this person before the test: found the way signin/complete finds them."""

    identity: SSOIdentity | None  # of this subject (or the connection's former key for the person)
    linked: SSOIdentity | None  # the email's account's identity on this connection, under another subject
    membership: Membership | None  # the email's account in this organization
    invitation: Invitation | None
    account_exists: bool


def before(vouched, email: str) -> Before:
    org = vouched.connection.organization
    subjects = [s for s in (vouched.subject, vouched.former_subject) if s]
    identity = (
        SSOIdentity.objects.select_related("user").filter(connection=vouched.connection, subject__in=subjects).first()
    )
    person_email = identity.user.email if identity else email
    membership = (
        Membership.objects.select_related("user").filter(organization=org, user__email__iexact=person_email).first()
    )
    linked = None
    if identity is None and email:
        linked = (
            SSOIdentity.objects.filter(connection=vouched.connection, user__email__iexact=email)
            .order_by("-last_login_at", "-pk")
            .first()
        )
    invitation = Invitation.objects.filter(organization=org, email__iexact=person_email, accepted_at__isnull=True)
    return Before(
        identity=identity,
        linked=linked,
        membership=membership,
        invitation=invitation.first(),
        account_exists=membership is not None or get_user_model().objects.filter(email__iexact=person_email).exists(),
    )


def identity_words(vouched, known: Before) -> str:
    subject = described(vouched.subject)
    if known.identity is not None:
        return f"Known: {subject} is already linked to {known.identity.user.email}."
    if known.linked is not None:
        return (
            f"{known.linked.user.email} is linked to this connection by {described(known.linked.subject)}, not by "
            f"{subject}."
        )
    return f"New: nobody signs in through this connection by {subject} yet; it would be linked at this sign-in."


def domain_words(email: str, org) -> str:
    domain = verified_domain_for_email(email) if email else None
    if domain is None or domain.organization_id != org.id:
        return ""
    own = email.rsplit("@", 1)[1].lower()
    how = "" if own == domain.name else f", the most specific verified domain covering {own}"
    return f"{email} is on {domain.name}{how}, verified by {org.name}."


def provisioning_words(known: Before, org, email: str) -> str:
    mode = org.get_provisioning_mode_display()
    if known.membership is not None:
        if known.identity is not None:
            who = known.membership.user.email
            return f"{who} is already a member of {org.name}: the provisioning mode ({mode}) is not asked."
        if known.linked is not None:
            return f"{email} is a member; the open re-link window would move their identity to the new subject."
        return (
            f"{email} is already a member of {org.name}: their account is linked to this identity at this first SSO "
            f"sign-in (the provisioning mode, {mode}, is not asked)."
        )
    if known.invitation is not None:
        return f"{mode}: {email} was invited, and the invitation would be accepted."
    if org.provisioning_mode == ProvisioningMode.JUST_IN_TIME:
        account = "their existing account" if known.account_exists else "a new account"
        return f"{mode}: {email} is neither a member nor invited; {account} would join {org.name}."
    return f"{mode}: {email} is neither a member nor invited."


def role_words(known: Before, role_label: str, signed=None) -> str:
    decision = signed.decision if signed is not None else None
    if decision is not None and decision.role is not None:
        before_role = known.membership.role if known.membership else None
        moved = f" (was {before_role}, changed at this sign-in)" if before_role and before_role != signed.role else ""
        return f"{role_label}{moved}: by the connection's group mapping. {decision.words}"
    if known.membership is not None:
        said = f" {decision.words}" if decision is not None else ""
        return f"{role_label}: their current role, unchanged by sign-ins.{said}"
    if known.invitation is not None:
        return f"{role_label}: the role of their invitation."
    return f"{role_label}: the role every just-in-time member starts with."


def names_label(names) -> str:
    shown = names.full_name or " ".join(n for n in (names.first_name, names.last_name) if n)
    return shown or "none sent"


def names_words(signed) -> str:
    names = signed.names
    if not names.given():
        return "The IdP sent no name (given_name, family_name, name or the SAML name attributes): names are kept."
    parts = f"first name {names.first_name or '(none)'}, last name {names.last_name or '(none)'}"
    if signed.names_kept:
        return f"Sent: {parts}. Not written: this person belongs to other organizations too, whose names stay theirs."
    return f"Sent: {parts}. Written to the account at each sign-in and shown on the Members page."


def fallback_warnings(vouched, received: dict | None) -> list[str]:
    """Each way this sign-in works only by a fallback, in words that say what to set at the IdP."""
    connection = vouched.connection
    if not vouched.email:
        return []
    if connection.kind == "saml":
        return _saml_warnings(connection.saml, vouched)
    return _oidc_warnings(connection.oidc, vouched, (received or {}).get(RECEIVED_KEY) or {})


def _saml_warnings(saml, vouched) -> list[str]:
    warnings = []
    source, attributes, kind = vouched.email_note, vouched.claims, kind_of(vouched.subject)
    configured = saml.email_attribute
    if configured and source != f"the {configured} attribute":
        if configured not in attributes:
            warnings.append(
                f"The connection's Email attribute {configured} is not in the IdP's answer: the email came from "
                f"{source} instead. Send {configured} from the IdP, or change the connection's Email attribute."
            )
        elif source != "the NameID":
            warnings.append(
                f"The connection's Email attribute {configured} holds no email address: the email came from "
                f"{source} instead."
            )
    elif not configured and source.endswith(" attribute"):
        warnings.append(
            f"The email came from {source}, one of the attributes KloudSSO tries when none is named: name it in "
            "the connection's Email attribute so a change at the IdP cannot pick another one."
        )
    if kind is TRANSIENT:
        warnings.append(
            "The IdP sent a transient NameID, which changes at every sign-in by design: this person is known by "
            "their email attribute alone. Set the IdP (and the connection's NameID format) to an email or "
            "persistent NameID."
        )
    expected = NAMEID_FORMATS.get(saml.nameid_format)
    if expected and kind not in expected and not vouched.subject.startswith("entra:"):
        warnings.append(
            f"The connection asks for {expected[0].words} (NameID format {saml.nameid_format}); the IdP sent "
            f"{kind.words}. Check the IdP's NameID format."
        )
    return warnings


def _oidc_warnings(oidc, vouched, info: dict) -> list[str]:
    source, claims = vouched.email_note, vouched.claims
    if source in ENTRA_FALLBACK_CLAIMS:
        return [
            f"The ID token has no usable email claim: the email came from {source}, the user's principal name, "
            "which is not always their mailbox. Add the optional email claim (Entra ID: Token configuration → "
            "Add optional claim → ID → email)."
        ]
    if USERINFO in source:
        warnings = [
            "The ID token carries no email: it came from the UserInfo endpoint, one more request at every sign-in "
            "that fails when that endpoint does. Have the IdP put the email claim in the ID token (the email scope)."
        ]
        if "email_verified" not in info:
            warnings.append(_unverified_warning(vouched.email, "the UserInfo response"))
        return warnings
    if "email_verified" not in claims and not (oidc.entra_tenant_id or oidc.entra_multi_tenant):
        return [_unverified_warning(vouched.email, "the ID token")]
    return []


def _unverified_warning(email: str, where: str) -> str:
    return (
        f"{where[0].upper()}{where[1:]} does not say whether {email} is verified (no email_verified claim): it is "
        "accepted, as an absent claim is. Make sure the IdP only gives people addresses it has verified, or have "
        "it send email_verified."
    )


def group_notes(vouched) -> list[str]:
    """What the groups in this answer mean for groups → roles, when the role check does not say it already."""
    mapping = role_mapping_of(vouched.connection)
    active = mapping is not None and mapping.active
    groups = groups_of(vouched, claim=mapping.groups_claim if mapping else "")
    if groups.overage and not active:
        return [
            f"Entra ID left this person's groups out of the token ({groups.overage}): were groups mapped to roles, "
            "their sign-in would be refused (groups_overage). Send only the groups assigned to the application "
            "(Token configuration → Edit groups claim) before mapping groups."
        ]
    if active and not groups.found and mapping.unmatched == Unmatched.MEMBER:
        return [
            f"Groups are mapped to roles, but the IdP sent no {groups.claim}: everyone signs in as a member. Make the "
            "IdP send the groups (see the connection's Groups page), or name the claim that carries them there."
        ]
    return []
