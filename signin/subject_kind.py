"""What kind of key an identity's subject is, in the owners' words, and how much of it a page or a log may show.

The kinds follow how subjects are built (signin/saml/subject.py, signin/oidc/claims.py): an IdP that changes how
it names people (its NameID format, Entra's Unique User Identifier) gives every member a subject of another kind.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

SHOWN_PREFIX = 8  # of an opaque identifier: enough to compare with the IdP, not the whole pairwise key


@dataclass(frozen=True)
class SubjectKind:
    code: str  # stored on an identity's re-link window (SSOIdentity.relink_kind)
    words: str


ENTRA = SubjectKind("entra", "an Entra ID object ID")
PERSISTENT = SubjectKind("persistent", "a persistent NameID")
EMAIL_NAMEID = SubjectKind("email_nameid", "an email NameID")
NAMEID = SubjectKind("nameid", "a NameID of unspecified format")
TRANSIENT = SubjectKind("transient", "a transient NameID with an email attribute")
OIDC_SUB = SubjectKind("oidc_sub", "the OIDC sub claim")
KINDS = {kind.code: kind for kind in (ENTRA, PERSISTENT, EMAIL_NAMEID, NAMEID, TRANSIENT, OIDC_SUB)}


def kind_of(subject: str) -> SubjectKind:
    prefix, _, value = subject.partition(":")
    if prefix == "entra":
        return ENTRA
    if prefix == "persistent":
        return PERSISTENT
    if prefix == "email":  # a transient NameID: the email stands in for it (signin/saml/subject.py)
        return TRANSIENT
    if prefix == "nameid":
        return EMAIL_NAMEID if _is_email(value) else NAMEID
    return OIDC_SUB  # iss|sub


def shown(subject: str) -> str:
    """An email as it is (the event holds it anyway); an opaque identifier cut short, as pages and logs quote it."""
    kind = kind_of(subject)
    value = subject.partition(":")[2] if kind is not OIDC_SUB else subject.rpartition("|")[2]
    if kind in (EMAIL_NAMEID, TRANSIENT):
        return value
    return value if len(value) <= SHOWN_PREFIX else value[:SHOWN_PREFIX] + "…"


def described(subject: str) -> str:
    """E.g. "a persistent NameID (4f0c9a1e…)"."""
    return f"{kind_of(subject).words} ({shown(subject)})"


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True
