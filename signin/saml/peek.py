"""Read a SAML response's routing fields before it is verified: only to pick the connection and to word errors.

Nothing read here is trusted: the decision is pysaml2's, with the chosen connection's certificates.
"""

import base64
import binascii
from dataclasses import dataclass, field

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
MAX_RESPONSE_BYTES = 1_000_000


class Unreadable(ValueError):
    pass


@dataclass(frozen=True)
class Peek:
    in_response_to: str
    issuer: str
    destination: str
    status: str
    status_message: str
    audiences: tuple[str, ...] = field(default=())
    recipients: tuple[str, ...] = field(default=())
    not_before: tuple[str, ...] = field(default=())
    not_on_or_after: tuple[str, ...] = field(default=())


def peek(saml_response_b64: str) -> Peek:
    if len(saml_response_b64) > MAX_RESPONSE_BYTES * 4 // 3 + 4:
        raise Unreadable("too large")
    try:
        root = SafeET.fromstring(base64.b64decode(saml_response_b64, validate=False), forbid_dtd=True)
    except (binascii.Error, ValueError, DefusedXmlException, SafeET.ParseError):
        raise Unreadable("not a SAML response") from None
    if root.tag != f"{SAMLP}Response":
        raise Unreadable("not a SAML response")
    status = root.find(f"{SAMLP}Status/{SAMLP}StatusCode")
    sub_status = status.find(f"{SAMLP}StatusCode") if status is not None else None
    status_value = (sub_status if sub_status is not None else status).get("Value", "") if status is not None else ""
    message = root.findtext(f"{SAMLP}Status/{SAMLP}StatusMessage") or ""
    issuer = root.findtext(f"{SAML}Issuer") or root.findtext(f"{SAML}Assertion/{SAML}Issuer") or ""
    return Peek(
        in_response_to=root.get("InResponseTo", ""),
        issuer=issuer.strip(),
        destination=root.get("Destination", ""),
        status=status_value,
        status_message=message.strip(),
        audiences=tuple(a.text.strip() for a in root.iter(f"{SAML}Audience") if a.text),
        recipients=tuple(d.get("Recipient", "") for d in root.iter(f"{SAML}SubjectConfirmationData")),
        not_before=_times(root, "NotBefore"),
        not_on_or_after=_times(root, "NotOnOrAfter"),
    )


def _times(root, attribute: str) -> tuple[str, ...]:
    elements = [*root.iter(f"{SAML}Conditions"), *root.iter(f"{SAML}SubjectConfirmationData")]
    return tuple(e.get(attribute) for e in elements if e.get(attribute))
