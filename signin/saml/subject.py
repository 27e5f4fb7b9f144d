"""Who a verified SAML assertion is about: the stable subject and the email."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT

ENTRA_OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
ENTRA_TENANT_ID = "http://schemas.microsoft.com/identity/claims/tenantid"
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


def subject_of(name_id, attributes: dict, *, email: str | None) -> str:
    """Entra's objectidentifier, else a persistent NameID, else the NameID as given.

    A transient NameID changes at every sign-in and identifies nobody: the email stands in for it then.
    """
    object_id = _first(attributes, ENTRA_OBJECT_ID)
    if object_id:
        return f"entra:{_first(attributes, ENTRA_TENANT_ID) or ''}:{object_id}"
    if name_id.format == NAMEID_FORMAT_TRANSIENT:
        return f"email:{(email or '').lower()}"
    kind = "persistent" if name_id.format == NAMEID_FORMAT_PERSISTENT else "nameid"
    return f"{kind}:{name_id.text.strip()}"


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
