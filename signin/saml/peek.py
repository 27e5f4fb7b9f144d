"""Read a SAML response's fields before it is verified: only to pick the connection and to word errors.

Nothing read here is trusted: the decision is pysaml2's, with the chosen connection's certificates, and the checks of
the verified assertion in signin/saml/profile. What is read here can only make a refusal earlier or clearer, never
let a response through. Each field is read where SAML puts it (an Audience only inside Assertion/Conditions/
AudienceRestriction), never wherever it appears: the Response's Extensions, for one, are covered by no signature.
"""

import base64
import binascii
from dataclasses import dataclass, field

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from signin.saml.quoting import quote

SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
MAX_RESPONSE_BYTES = 1_000_000
MAX_DEPTH = 32  # a real response nests about ten deep; pysaml2 and xmlsec recurse on what is deeper
ENCRYPTED = ("EncryptedAssertion", "EncryptedID", "EncryptedAttribute")
CONFIRMATION_DATA = f"{SAML}Subject/{SAML}SubjectConfirmation/{SAML}SubjectConfirmationData"


class Unreadable(ValueError):
    pass


@dataclass(frozen=True)
class Peek:
    in_response_to: str
    issuer: str
    destination: str
    status: str
    status_message: str
    sub_status: str = ""
    version: str = ""  # the Response's
    issue_instant: str = ""  # the Response's
    audience_restrictions: tuple[tuple[str, ...], ...] = field(default=())  # each one's Audiences, in the assertions
    recipients: tuple[str, ...] = field(default=())
    not_before: tuple[str, ...] = field(default=())
    not_on_or_after: tuple[str, ...] = field(default=())
    session_not_on_or_after: tuple[str, ...] = field(default=())  # each AuthnStatement's
    confirmation_in_response_to: tuple[str, ...] = field(default=())  # each SubjectConfirmationData's
    issuers: tuple[str, ...] = field(default=())  # the Response's and each Assertion's, as given
    assertions: int = 0
    encrypted: tuple[str, ...] = field(default=())  # EncryptedAssertion, EncryptedID, EncryptedAttribute seen
    response_signed: bool = False
    assertion_signed: bool = False  # every Assertion carries its own Signature
    signature_algorithms: tuple[str, ...] = field(default=())
    digest_algorithms: tuple[str, ...] = field(default=())

    @property
    def audiences(self) -> tuple[str, ...]:
        return tuple(a for restriction in self.audience_restrictions for a in restriction)


def peek(saml_response_b64: str) -> Peek:
    return _read(_parse(saml_response_b64))


def peek_xml(xml: bytes) -> Peek:
    """The same, of a response's XML (signin/saml/encryption: a response with what it encrypts decrypted)."""
    return _read(_parse_xml(xml))


def _read(root) -> Peek:
    status = root.find(f"{SAMLP}Status/{SAMLP}StatusCode")
    sub_status = status.find(f"{SAMLP}StatusCode") if status is not None else None
    message = root.findtext(f"{SAMLP}Status/{SAMLP}StatusMessage") or ""
    assertions = root.findall(f"{SAML}Assertion")
    issuers = [root.find(f"{SAML}Issuer"), *(a.find(f"{SAML}Issuer") for a in assertions)]
    issuers = tuple((i.text or "").strip() for i in issuers if i is not None)
    return Peek(
        in_response_to=root.get("InResponseTo", ""),
        issuer=issuers[0] if issuers else "",
        destination=root.get("Destination", ""),
        status=status.get("Value", "") if status is not None else "",
        status_message=message.strip(),
        sub_status=sub_status.get("Value", "") if sub_status is not None else "",
        version=root.get("Version", ""),
        issue_instant=root.get("IssueInstant", ""),
        issuers=issuers,
        assertions=len(assertions),
        encrypted=tuple(name for name in ENCRYPTED if next(root.iter(f"{SAML}{name}"), None) is not None),
        response_signed=root.find(f"{DS}Signature") is not None,
        assertion_signed=bool(assertions) and all(a.find(f"{DS}Signature") is not None for a in assertions),
        # every algorithm declared anywhere: xmlsec is never handed one outside the allow-list (signin/saml/algorithms)
        signature_algorithms=tuple(m.get("Algorithm", "") for m in root.iter(f"{DS}SignatureMethod")),
        digest_algorithms=tuple(m.get("Algorithm", "") for m in root.iter(f"{DS}DigestMethod")),
        **_in_assertions(assertions),
    )


def _in_assertions(assertions) -> dict:
    restrictions = [r for a in assertions for r in a.findall(f"{SAML}Conditions/{SAML}AudienceRestriction")]
    conditions = [c for a in assertions for c in a.findall(f"{SAML}Conditions")]
    confirmations = [d for a in assertions for d in a.findall(CONFIRMATION_DATA)]
    statements = [s for a in assertions for s in a.findall(f"{SAML}AuthnStatement")]
    timed = conditions + confirmations
    return {
        "audience_restrictions": tuple(
            tuple((a.text or "").strip() for a in r.findall(f"{SAML}Audience") if (a.text or "").strip())
            for r in restrictions
        ),
        "recipients": tuple(d.get("Recipient", "") for d in confirmations),
        "not_before": tuple(e.get("NotBefore") for e in timed if e.get("NotBefore")),
        "not_on_or_after": tuple(e.get("NotOnOrAfter") for e in timed if e.get("NotOnOrAfter")),
        "session_not_on_or_after": tuple(
            s.get("SessionNotOnOrAfter") for s in statements if s.get("SessionNotOnOrAfter")
        ),
        "confirmation_in_response_to": tuple(d.get("InResponseTo", "") for d in confirmations),
    }


def _parse(saml_response_b64: str):
    # Each reason names what was found, for the owners: an empty POST, a page's HTML, a SAMLRequest posted back.
    if not saml_response_b64:
        raise Unreadable("nothing was posted")
    if len(saml_response_b64) > MAX_RESPONSE_BYTES * 4 // 3 + 4:
        raise Unreadable(f"{len(saml_response_b64)} characters, more than {MAX_RESPONSE_BYTES // 1000} kB decoded")
    try:
        xml = base64.b64decode(saml_response_b64, validate=False)
    except (binascii.Error, ValueError):
        raise Unreadable(f"not base64 ({len(saml_response_b64)} characters)") from None
    return _parse_xml(xml)


def _parse_xml(xml: bytes):
    # no size check of its own: decrypted, a response is shorter than its base64 ciphertext was
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    # expat looks a declared encoding up among Python's codecs: an unknown or non-text one raises LookupError.
    except (ValueError, LookupError, DefusedXmlException, SafeET.ParseError) as exc:
        raise Unreadable(f"not XML once base64-decoded ({type(exc).__name__}: {quote(exc)})") from None
    if root.tag != f"{SAMLP}Response":
        raise Unreadable(f"its root element is {quote(root.tag)}, not {SAMLP}Response")
    if _depth(root) > MAX_DEPTH:
        raise Unreadable(f"its elements nest deeper than {MAX_DEPTH} levels")
    return root


def _depth(root) -> int:
    deepest, level = 0, [root]
    while level and deepest <= MAX_DEPTH:
        deepest += 1
        level = [child for element in level for child in element]
    return deepest
