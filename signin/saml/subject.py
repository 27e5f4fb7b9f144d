"""Who a verified SAML assertion is about: the stable subject and the email."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT

from signin.errors import SignInError

ENTRA_OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
ENTRA_TENANT_ID = "http://schemas.microsoft.com/identity/claims/tenantid"
# Entra ID's SAML IdP Entity ID (the "Microsoft Entra Identifier") names its tenant.
ENTRA_ENTITY_ID = re.compile(
    r"https://sts\.windows\.net/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/", re.IGNORECASE
)
WELL_KNOWN_EMAIL_ATTRIBUTES = (
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "mail",
    "email",
    "urn:oid:0.9.2342.19200300.100.1.3",
)


def _first(attributes: dict, name: str) -> str | None:
    values = attributes.get(name) or []
    return values[0] if values and isinstance(values[0], str) else None


def _is_email(value: str | None) -> bool:
    if not value:
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def subject_of(name_id, attributes: dict, *, email: str | None, idp_entity_id: str) -> str:
    """Entra's objectidentifier, else a persistent NameID, else the NameID as given.

    For an Entra IdP the tenant in the key is the one its Entity ID names, and a tenantid attribute must agree:
    the identity key holds nothing the connection did not fix. A transient NameID changes at every sign-in and
    identifies nobody: the email stands in for it then.
    """
    object_id = _first(attributes, ENTRA_OBJECT_ID)
    if object_id:
        return f"entra:{_entra_tenant(attributes, idp_entity_id)}:{object_id}"
    if name_id.format == NAMEID_FORMAT_TRANSIENT:
        return f"email:{(email or '').lower()}"
    kind = "persistent" if name_id.format == NAMEID_FORMAT_PERSISTENT else "nameid"
    return f"{kind}:{name_id.text.strip()}"


def _entra_tenant(attributes: dict, idp_entity_id: str) -> str:
    stated = _first(attributes, ENTRA_TENANT_ID) or ""
    match = ENTRA_ENTITY_ID.fullmatch(idp_entity_id)
    if match is None:
        return stated  # another IdP's objectidentifier, signed by the connection's own IdP
    tenant = match.group(1).lower()
    if stated and stated.lower() != tenant:
        raise SignInError(
            "saml_entra_tenant_mismatch",
            detail=f"The assertion's tenantid attribute is {stated[:60]!r}; the IdP Entity ID {idp_entity_id} names "
            f"the tenant {tenant}.",
        )
    return tenant


def email_of(name_id, attributes: dict, *, email_attribute: str) -> tuple[str | None, str]:
    """The NameID when it is an email, else the connection's Email attribute, else the well-known ones; with where
    it came from, or what was looked for."""
    if name_id is not None and _is_email(name_id.text):  # whatever its declared format
        return name_id.text.strip(), "the NameID"
    names = ((email_attribute,) if email_attribute else ()) + WELL_KNOWN_EMAIL_ATTRIBUTES
    for name in names:
        value = _first(attributes, name)
        if _is_email(value):
            return value, f"the {name} attribute"
    return None, "looked for: an email NameID, then the attributes " + ", ".join(names)
