"""Encrypted assertions, NameIDs and attributes decrypted in process, with the xmlsec binding that checks signatures.

Each xenc:EncryptedData is decrypted in two steps, so that a refusal can say which step failed: the AES key is
unwrapped from its xenc:EncryptedKey with one of the SP's encryption keys (RSA-OAEP), then the data is decrypted with
that AES key (AES-GCM or AES-CBC). Before xmlsec is handed anything, every algorithm the element declares is held to
the allow-list our SP metadata publishes (connections.sp): RSA PKCS#1 v1.5 key transport and Triple DES are refused
as weak, whatever else as not accepted. Each context gets its key from here and has no keys manager, so xmlsec
follows no KeyInfo of the response's (no RetrievalMethod, no KeyName lookup).

Nothing decrypted here is trusted for being decrypted: anyone can encrypt to our public certificate. The assertion
inside must still carry the IdP's signature, which pysaml2 checks as for a clear one.
"""

import functools

import xmlsec
from lxml import etree
from saml2.sigver import DecryptError

from connections.saml.certificates import CertificateError, load_certificate
from connections.sp import DATA_ENCRYPTION_ALGORITHMS, KEY_TRANSPORT_ALGORITHMS
from signin.errors import SignInError
from signin.saml.quoting import NOT_VERIFIED, quote_all
from signin.saml.xmlsec_backend import parse

T = xmlsec.constants
XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DS = "http://www.w3.org/2000/09/xmldsig#"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
ENCRYPTED_DATA = f"{{{XENC}}}EncryptedData"
ENCRYPTED_KEY = f"{{{XENC}}}EncryptedKey"
WRAPPERS = tuple(f"{{{SAML}}}{name}" for name in ("EncryptedAssertion", "EncryptedID", "EncryptedAttribute"))
ELEMENT_TYPE = f"{XENC}Element"
# One assertion, its NameID and a few attributes, each key wrapped for a recipient or two: the bounds keep what one
# posted response can cost (an RSA private-key operation per wrapped key and SP key tried) small.
MAX_ENCRYPTED = 10
MAX_WRAPPED_KEYS = 3

DATA = frozenset(DATA_ENCRYPTION_ALGORITHMS)
TRANSPORT = frozenset(KEY_TRANSPORT_ALGORITHMS)
# OAEP's hash and mask function: SHA-1 is sound there (OAEP does not rest on collision resistance) and is
# rsa-oaep-mgf1p's only choice, so it stays accepted.
OAEP_DIGESTS = frozenset(
    {
        "http://www.w3.org/2000/09/xmldsig#sha1",
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2001/04/xmldsig-more#sha384",
        "http://www.w3.org/2001/04/xmlenc#sha512",
    }
)
MGFS = frozenset(f"{XENC11}mgf1sha{bits}" for bits in (1, 224, 256, 384, 512))
WEAK = {
    f"{XENC}rsa-1_5": "RSA PKCS#1 v1.5 key transport (open to Bleichenbacher's padding-oracle attack)",
    f"{XENC}tripledes-cbc": "Triple DES",
    f"{XENC}kw-tripledes": "Triple DES key wrap",
    "http://www.w3.org/2001/04/xmldsig-more#md5": "MD5",
}
ACCEPTED_IN_WORDS = (
    "KloudSSO accepts AES-GCM or AES-CBC (128, 192 or 256 bits) with the key wrapped by RSA-OAEP, as its SP "
    "metadata says."
)


class Undecryptable(DecryptError):
    """Raised to pysaml2 (its SecurityContext tries the next key on a DecryptError)."""


def readable(xml: bytes, keys: list[xmlsec.Key], *, certificates: tuple[str, ...]) -> bytes:
    """The response with each EncryptedAssertion, EncryptedID and EncryptedAttribute replaced by what it holds:
    what the checks before pysaml2 read (signin/saml/precheck). Refusals are SignInErrors; `certificates` are the
    SP's encryption certificates, named in them."""
    try:
        document = parse(xml)
    except (etree.XMLSyntaxError, xmlsec.Error):
        raise SignInError("saml_unreadable", detail="The response is not XML that can be decrypted.") from None
    for _ in range(MAX_ENCRYPTED):
        wrapper = next((e for e in document.iter(*WRAPPERS)), None)
        if wrapper is None:
            return etree.tostring(document)
        revealed = _reveal(wrapper, keys, certificates)
        wrapper.getparent().replace(wrapper, revealed)
    raise SignInError(
        "saml_decryption_failed", detail=f"The response holds more than {MAX_ENCRYPTED} encrypted elements."
    )


def decrypt_first(text, key: xmlsec.Key) -> str:
    """As `xmlsec1 --decrypt`, which pysaml2 calls for each encrypted part: the document with its first
    EncryptedData (in document order, the root included) decrypted with `key`. Anything amiss: Undecryptable."""
    try:
        document = parse(text if isinstance(text, str | bytes) else str(text))
        encrypted = next(document.iter(ENCRYPTED_DATA), None)
        if encrypted is None:
            raise Undecryptable("nothing encrypted")
        refuse_unaccepted_algorithms(encrypted)
        session = _session_key(encrypted, [key])
        if session is None:
            raise Undecryptable("not encrypted to this key")
        revealed = _decrypt_data(encrypted, session)
    except (SignInError, etree.XMLSyntaxError, xmlsec.Error) as exc:
        raise Undecryptable(str(exc)) from None
    return etree.tostring(revealed.getroottree(), encoding="unicode")


def _reveal(wrapper, keys, certificates):
    name = etree.QName(wrapper).localname
    encrypted = wrapper.find(ENCRYPTED_DATA)
    if encrypted is None:
        raise SignInError("saml_decryption_failed", detail=f"The {name} holds no xenc:EncryptedData {NOT_VERIFIED}.")
    refuse_unaccepted_algorithms(encrypted)
    session = _session_key(encrypted, keys)
    if session is None:
        raise _for_another_key(name, encrypted, certificates)
    try:
        return _decrypt_data(encrypted, session)
    except xmlsec.Error:
        # One refusal for a bad padding, a bad tag and plaintext that is not XML alike: telling them apart is what
        # a padding-oracle attack on AES-CBC needs.
        raise SignInError(
            "saml_decryption_failed",
            detail=f"The {name}'s key was unwrapped with our encryption key, but its data does not decrypt to XML "
            "(changed after encryption, or a wrong key length for its algorithm).",
        ) from None


def _decrypt_data(encrypted, session: bytes):
    if encrypted.get("Type") != ELEMENT_TYPE:
        raise xmlsec.Error(f"EncryptedData of Type {encrypted.get('Type')!r}, not an element")
    context = xmlsec.EncryptionContext()
    context.key = xmlsec.Key.from_binary_data(T.KeyDataAes, session)
    revealed = context.decrypt(encrypted)
    if not isinstance(revealed, etree._Element):
        raise xmlsec.Error("the EncryptedData did not decrypt to an element")
    return revealed


def _session_key(encrypted, keys) -> bytes | None:
    """The AES key, unwrapped from the first EncryptedKey that one of `keys` opens (OAEP tells a wrong key)."""
    for wrapped in _encrypted_keys(encrypted):
        for key in keys:
            context = xmlsec.EncryptionContext()
            context.key = key
            try:
                session = context.decrypt(wrapped)
            except xmlsec.Error:
                continue
            if isinstance(session, bytes) and session:
                return session
    return None


def _encrypted_keys(encrypted) -> list:
    """Where SAML puts them: inside the EncryptedData's KeyInfo, or beside it in the Encrypted* wrapper."""
    inline = encrypted.findall(f"{{{DS}}}KeyInfo/{ENCRYPTED_KEY}")
    parent = encrypted.getparent()
    beside = parent.findall(ENCRYPTED_KEY) if parent is not None else []
    found = [*inline, *beside]
    if len(found) > MAX_WRAPPED_KEYS:
        raise SignInError(
            "saml_decryption_failed",
            detail=f"An encrypted element carries {len(found)} xenc:EncryptedKey {NOT_VERIFIED}; at most "
            f"{MAX_WRAPPED_KEYS} are read.",
        )
    return found


def refuse_unaccepted_algorithms(encrypted) -> None:
    declared = _declared(encrypted, kind="data")
    wrapped_keys = _encrypted_keys(encrypted)
    for wrapped in wrapped_keys:
        declared += _declared(wrapped, kind="transport")
    weak = [a for a, _ in declared if a in WEAK]
    if weak:
        named = " and ".join(dict.fromkeys(WEAK[a] for a in weak))
        raise SignInError(
            "saml_encryption_weak",
            detail=f"The response is encrypted with {quote_all(weak)} {NOT_VERIFIED}: {named}, too weak. "
            + ACCEPTED_IN_WORDS,
        )
    if not wrapped_keys:
        raise SignInError(
            "saml_encryption_unsupported",
            detail="The response is encrypted with no xenc:EncryptedKey: with a key the IdP shares with us, not "
            "to our encryption certificate. " + ACCEPTED_IN_WORDS,
        )
    unknown = [a for a, accepted in declared if a not in accepted]
    if unknown:
        raise SignInError(
            "saml_encryption_unsupported",
            detail=f"The response is encrypted with {quote_all(unknown)} {NOT_VERIFIED}, not an algorithm KloudSSO "
            "accepts. " + ACCEPTED_IN_WORDS,
        )


def _declared(element, *, kind: str) -> list[tuple[str, frozenset]]:
    """(algorithm, what it may be) for the element's own EncryptionMethod and, for a key, its OAEP parameters. No
    EncryptionMethod at all is refused too: xmlsec would not know what to do, and we would not know what it did."""
    method = element.find(f"{{{XENC}}}EncryptionMethod")
    if method is None:
        return [("(no EncryptionMethod)", frozenset())]
    found = [(method.get("Algorithm", ""), DATA if kind == "data" else TRANSPORT)]
    found += [(d.get("Algorithm", ""), OAEP_DIGESTS) for d in method.findall(f"{{{DS}}}DigestMethod")]
    found += [(m.get("Algorithm", ""), MGFS) for m in method.findall(f"{{{XENC11}}}MGF")]
    return found


def _for_another_key(name: str, encrypted, certificates) -> SignInError:
    ours = "; ".join(
        f"{'current' if n == 0 else 'next'} SHA-256 {load_certificate(pem).sha256_fingerprint}"
        for n, pem in enumerate(certificates)
    )
    carried = _carried_certificate(encrypted)
    said = f" It names the certificate SHA-256 {carried} {NOT_VERIFIED}." if carried else ""
    return SignInError(
        "saml_encrypted_for_another_key",
        detail=f"The {name}'s key is not encrypted to an encryption certificate of this organization (ours: "
        f"{ours or 'none'}).{said}",
    )


def _carried_certificate(encrypted) -> str:
    for wrapped in _encrypted_keys(encrypted):
        text = wrapped.findtext(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
        if text:
            try:
                return load_certificate(text).sha256_fingerprint
            except CertificateError:
                return ""
    return ""


def private_keys(pairs: list[tuple[str, str]]) -> list[xmlsec.Key]:
    return [_private_key(key_pem.encode()) for _certificate, key_pem in pairs]


@functools.lru_cache(maxsize=64)
def _private_key(pem: bytes) -> xmlsec.Key:
    # the encryption context takes a copy of the key: one parsed key serves every decryption
    return xmlsec.Key.from_memory(pem, T.KeyDataFormatPem)
