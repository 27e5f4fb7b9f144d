"""What a failed SAML sign-in's response held, kept a short while for the owners (connections.answers.SignInAnswer):
the XML pretty-printed, and which certificate signed what.

Only for a response that answers one of our own AuthnRequests (signin/saml/views): anonymous junk leaves nothing.
Attribute values are kept, since they are what an owner needs to see; signature values are left out (they are no
use to read), and each KeyInfo certificate is cut short: the signatures' list describes it.
"""

import base64
import binascii
import copy

import xmlsec
from lxml import etree

from signin.saml.signers import DS, signatures_of
from signin.saml.xmlsec_backend import parse

ELIDED_SIGNATURE = "[signature value left out]"
KEPT_CERTIFICATE_CHARACTERS = 40


def saml_answer(saml_response_b64: str, connection) -> dict | None:
    """{"kind", "body", "signatures"} for SignInAnswer, or None when the response cannot be read again."""
    try:
        document = parse(base64.b64decode(saml_response_b64, validate=False))
    except (xmlsec.Error, etree.XMLSyntaxError, binascii.Error, ValueError):
        return None
    return {
        "kind": "saml_response",
        "body": pretty(document),
        "signatures": signatures_of(document, connection.saml.certificates.all()),
    }


def pretty(document) -> str:
    shown = copy.deepcopy(document)
    for value in shown.iter(f"{DS}SignatureValue"):
        value.text = ELIDED_SIGNATURE
    for certificate in shown.iter(f"{DS}X509Certificate"):
        text = "".join((certificate.text or "").split())
        if len(text) > KEPT_CERTIFICATE_CHARACTERS:
            certificate.text = f"{text[:KEPT_CERTIFICATE_CHARACTERS]}… ({len(text)} characters; see Signatures)"
    etree.indent(shown, space="  ")
    return etree.tostring(shown, encoding="unicode", pretty_print=True)
