"""pysaml2's crypto backend in process: libxmlsec1 through the xmlsec binding, instead of an xmlsec1 process (and two
`xmlsec1 --version` runs) per signature.

pysaml2 still does everything around the signature as it does with xmlsec1: it validates the schema, holds the
signature to SAML's profile of XML Signature (one Reference, to the enclosing element's ID; enveloped and exclusive
c14n transforms only; no ds:Object), takes the certificates from the connection's metadata only, and afterwards uses
only the element whose ID it handed here. Where the xmlsec1 command line had rules of its own, this keeps them or is
stricter:
- the element is found by that ID, which no other attribute libxml2 or xmlsec could take for an ID may hold: a second
  element with it could be the one the Reference resolves to while pysaml2 uses the first (signature wrapping);
- the signature checked is that element's own ds:Signature child, never one found deeper, with one Reference, to
  "#" + that ID, enveloped and exclusive c14n transforms only, and no ds:Object (pysaml2 checks the same before it
  calls here; the backend does not rest on it);
- the key is the certificate pysaml2 passed, and nothing from KeyInfo: the context has a key and no keys manager,
  so xmlsec reads no KeyInfo at all;
- only our allow-list of algorithms is enabled in xmlsec itself, a second line behind signin/saml/algorithms;
- a document with a DTD is refused (a DTD can declare more ID attributes, and entities).
Decryption (an EncryptedAssertion, EncryptedID or EncryptedAttribute) goes through the same binding, with its own
allow-list: signin/saml/decryption.
"""

import functools
import threading

import xmlsec
from lxml import etree
from saml2.sigver import CryptoBackend

from connections.sp import DIGEST_ALGORITHMS, SIGNATURE_ALGORITHMS
from signin.saml import signer

T = xmlsec.constants
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
ID_NAMES = ("ID", "Id", "id")  # with xml:id, every attribute name the libraries may treat as an ID
CANONICALIZATIONS = (T.TransformExclC14N, T.TransformExclC14NWithComments)
ALLOWED_TRANSFORMS = frozenset(t.href for t in (T.TransformEnveloped, *CANONICALIZATIONS))
_BY_HREF = {
    t.href: t
    for t in (
        T.TransformSha256,
        T.TransformSha384,
        T.TransformSha512,
        T.TransformRsaSha256,
        T.TransformRsaSha384,
        T.TransformRsaSha512,
        T.TransformEcdsaSha256,
        T.TransformEcdsaSha384,
        T.TransformEcdsaSha512,
    )
}
DIGESTS = tuple(_BY_HREF[href] for href in DIGEST_ALGORITHMS)
SIGNATURES = tuple(_BY_HREF[href] for href in SIGNATURE_ALGORITHMS)
_PARSER = threading.local()  # an lxml parser is not to be shared between threads


class InProcessXmlSec(CryptoBackend):
    @property
    def version(self):
        return ".".join(str(n) for n in xmlsec.get_libxmlsec_version())

    def validate_signature(self, signedtext, cert_file, cert_type, node_name, node_id):
        """True when the element node_name with ID node_id carries a valid signature by cert_file's key."""
        if cert_type != "pem":
            return False
        pem = _read(cert_file)
        if not signature_holds(_parse(signedtext), node_name, node_id, pem):
            return False
        signer.note(pem)
        return True

    def decrypt(self, enctext, key_file):
        """The document with its first EncryptedData decrypted by key_file's key (signin/saml/decryption), as
        `xmlsec1 --decrypt` does; pysaml2 tries each of the SP's encryption keys until one does."""
        from signin.saml.decryption import decrypt_first  # it builds on this module's parser

        return decrypt_first(enctext, _private_key(key_file))

    def sign_statement(self, statement, node_name, key_file, node_id):
        """The statement with the signature template pysaml2 put in node_id's element filled in by key_file's key."""
        document = _parse(statement if isinstance(statement, str | bytes) else str(statement))
        node = _unique_element(document, node_name, node_id)
        signature = _own_signature(node) if node is not None else None
        if signature is None:
            raise xmlsec.Error(f"no signature template in the element with ID {node_id!r}")
        context = _context(_private_key(key_file))
        context.register_id(node, "ID")
        context.sign(signature)
        return etree.tostring(document, encoding="unicode")


def signature_holds(document, node_name: str, node_id: str, certificate_pem: bytes) -> bool:
    """True when the element node_name with ID node_id of `document` (parsed with parse()) carries a valid signature
    by the certificate's key, under the rules above. Also how a refusal tells which certificate signed what."""
    node = _unique_element(document, node_name, node_id)
    signature = _own_signature(node) if node is not None else None
    if signature is None or not _signs_only(signature, node_id):
        return False
    context = _context(_certificate(certificate_pem))
    context.register_id(node, "ID")
    try:
        context.verify(signature)
    except xmlsec.Error:  # VerificationError included: a wrong key, digest or algorithm all mean "not signed"
        return False
    return True


def parse(text) -> etree._Element:
    """The document as libxml2 reads it for a signature check: no entities, no network, no DTD."""
    return _parse(text)


def _parse(text) -> etree._Element:
    parser = getattr(_PARSER, "parser", None)
    if parser is None:
        parser = _PARSER.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False
        )
    document = etree.fromstring(text.encode() if isinstance(text, str) else text, parser)
    if document.getroottree().docinfo.doctype:
        raise xmlsec.Error("a document with a DTD is not accepted")
    return document


def _unique_element(document, node_name: str, node_id: str):
    """The one element named node_name (pysaml2's "namespace:Local") whose ID is node_id, when no other attribute
    that could be an ID holds that value; else None."""
    if not node_id:
        return None
    holders = document.xpath(
        "//@*[(local-name()='ID' or local-name()='Id' or local-name()='id') and .=$value]", value=node_id
    )
    if len(holders) != 1 or holders[0].attrname != "ID":
        return None
    element = holders[0].getparent()
    namespace, _, local = node_name.rpartition(":")
    return element if element.tag == f"{{{namespace}}}{local}" else None


def _own_signature(node):
    found = [child for child in node if child.tag == f"{{{DS_NS}}}Signature"]
    return found[0] if len(found) == 1 else None


def _signs_only(signature, node_id: str) -> bool:
    """SAML's profile of XML Signature (core 5.4): one Reference, to the element's own ID, nothing else signed."""
    references = signature.findall(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}Reference")
    if len(references) != 1 or references[0].get("URI") != f"#{node_id}":
        return False
    if signature.find(f"{{{DS_NS}}}Object") is not None:
        return False
    transforms = references[0].findall(f"{{{DS_NS}}}Transforms/{{{DS_NS}}}Transform")
    return all(t.get("Algorithm") in ALLOWED_TRANSFORMS for t in transforms)


def _context(key) -> xmlsec.SignatureContext:
    context = xmlsec.SignatureContext()
    context.key = key
    for transform in (T.TransformEnveloped, *CANONICALIZATIONS, *DIGESTS):
        context.enable_reference_transform(transform)
    for transform in (*CANONICALIZATIONS, *SIGNATURES):
        context.enable_signature_transform(transform)
    return context


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


@functools.lru_cache(maxsize=256)
def _certificate(pem: bytes) -> xmlsec.Key:
    # the signature context takes a copy of the key: one parsed certificate serves every check
    return xmlsec.Key.from_memory(pem, T.KeyDataFormatCertPem)


@functools.lru_cache(maxsize=64)
def _private_key(key_file: str) -> xmlsec.Key:
    # By file name: signin/saml/sp_config names each key file after the SP and its certificate, so a name always
    # holds the same key, and a warm client keeps signing if a /tmp cleaner removes the file.
    return xmlsec.Key.from_memory(_read(key_file), T.KeyDataFormatPem)
