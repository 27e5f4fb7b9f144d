"""Signed SAML responses built with pysaml2's own IdP classes, for unit tests of the ACS (refusals included).

Responses are signed with RSA-SHA256 and SHA-256 digests unless a test asks otherwise (pysaml2's own default is
SHA-1). `edited()` changes a response's XML before it is signed, so that a response breaking a rule still carries
a valid signature of the IdP.
"""

import base64
import re
from collections.abc import Callable
from pathlib import Path

from saml2 import BINDING_HTTP_REDIRECT, class_name, samlp
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.sigver import get_xmlsec_binary, pre_signature_part, signed_instance_factory
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from connections.sp import generate_key_pair

ENTRA_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
SHA256 = (SIG_RSA_SHA256, DIGEST_SHA256)
PREFIX = r"(?:\w+:)?"  # whatever prefix pysaml2 gave the element: ns1 in one test, saml in a later one


def substitute(pattern: str, replacement: str, *, flags: int = re.DOTALL) -> Callable[[str], str]:
    """An edit for `edited()` (or for a response's XML): the first match of `pattern` replaced, and a pattern that
    matches nothing fails the test instead of leaving the response as it was.

    pysaml2 registers XML prefixes globally when it serialises some of its classes, so the same response reads
    ns1:Assertion early in a test run and saml:Assertion later: patterns use PREFIX, never a prefix.
    """

    def edit(xml: str) -> str:
        edited, count = re.subn(pattern, replacement, xml, count=1, flags=flags)
        assert count == 1, f"{pattern!r} matches nothing in the response"
        return edited

    return edit


def _key_pair(folder: Path, stem: str) -> tuple[Path, Path]:
    certificate_pem, key_pem = generate_key_pair(common_name=stem, days=30)
    key_file, cert_file = folder / f"{stem}.key", folder / f"{stem}.crt"
    key_file.write_text(key_pem)
    cert_file.write_text(certificate_pem)
    return key_file, cert_file


class CraftingIdP:
    def __init__(
        self,
        folder: Path,
        *,
        sp_metadata: str,
        entity_id="https://idp.crafted.test/metadata",
        lifetime_minutes=5,
        stem="idp",
    ):
        key_file, cert_file = _key_pair(folder, stem)
        self.entity_id = entity_id
        self.certificate_pem = cert_file.read_text()
        self.config = IdPConfig()
        self.config.load(
            {
                "entityid": entity_id,
                "xmlsec_binary": get_xmlsec_binary(["/usr/bin", "/usr/local/bin"]),
                "key_file": str(key_file),
                "cert_file": str(cert_file),
                "metadata": {"inline": [sp_metadata]},
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [("https://idp.crafted.test/sso", BINDING_HTTP_REDIRECT)]
                        },
                        "policy": {
                            "default": {"lifetime": {"minutes": lifetime_minutes}, "attribute_restrictions": None}
                        },
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    }
                },
            }
        )
        self.server = Server(config=self.config)

    def metadata_xml(self) -> str:
        return str(entity_descriptor(self.config))

    def response(
        self,
        *,
        in_response_to: str | None,
        destination: str,
        audience: str,
        name_id: str = "ada@acme.test",
        name_id_format: str = NAMEID_FORMAT_EMAILADDRESS,
        attributes: dict | None = None,
        sign_assertion: bool = True,
        sign_response: bool = False,
        algorithms: tuple[str, str] = SHA256,
    ) -> str:
        xml = self.server.create_authn_response(
            identity=attributes if attributes is not None else {ENTRA_EMAIL: [name_id]},
            in_response_to=in_response_to,
            destination=destination,
            sp_entity_id=audience,
            name_id=NameID(format=name_id_format, text=name_id),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_assertion=sign_assertion,
            sign_response=sign_response,
            sign_alg=algorithms[0],
            digest_alg=algorithms[1],
        )
        return base64.b64encode(str(xml).encode()).decode()

    def edited(
        self,
        edit: Callable[[str], str],
        *,
        sign_assertion: bool = True,
        sign_response: bool = False,
        assertion_algorithms: tuple[str, str] = SHA256,
        response_algorithms: tuple[str, str] = SHA256,
        **response,
    ) -> str:
        """A response (the arguments of `response()`) whose XML `edit` changes before it is signed; each signature
        with its own (signature, digest) algorithms."""
        unsigned = base64.b64decode(self.response(sign_assertion=False, **response)).decode()
        message = samlp.response_from_string(edit(unsigned))
        to_sign = []
        if sign_assertion:
            for assertion in message.assertion:
                assertion.signature = self._template(assertion.id, assertion_algorithms, len(to_sign) + 1)
                to_sign.append((class_name(assertion), assertion.id))
        if sign_response:
            message.signature = self._template(message.id, response_algorithms, len(to_sign) + 1)
            to_sign.append((class_name(message), message.id))
        xml = signed_instance_factory(message, self.server.sec, to_sign) if to_sign else str(message)
        return base64.b64encode(str(xml).encode()).decode()

    def _template(self, element_id: str, algorithms: tuple[str, str], number: int):
        sign_alg, digest_alg = algorithms
        cert = self.server.sec.my_cert
        return pre_signature_part(element_id, cert, number, digest_alg=digest_alg, sign_alg=sign_alg)

    def error_response(self, *, in_response_to: str, destination: str, status: str, message: str) -> str:
        xml = self.server.create_error_response(in_response_to, destination, (status, message))
        return base64.b64encode(str(xml).encode()).decode()
