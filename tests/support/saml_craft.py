"""Signed SAML responses built with pysaml2's own IdP classes, for unit tests of the ACS (refusals included)."""

import base64
from pathlib import Path

from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.sigver import get_xmlsec_binary

from connections.sp import generate_key_pair

ENTRA_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"


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
        self.config = IdPConfig()
        self.config.load(
            {
                "entityid": entity_id,
                "xmlsec_binary": get_xmlsec_binary(["/usr/bin", "/usr/local/bin"]),
                "key_file": str(key_file),
                "cert_file": str(cert_file),
                "metadata": {"inline": [sp_metadata]},
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
        )
        return base64.b64encode(str(xml).encode()).decode()

    def error_response(self, *, in_response_to: str, destination: str, status: str, message: str) -> str:
        xml = self.server.create_error_response(in_response_to, destination, (status, message))
        return base64.b64encode(str(xml).encode()).decode()
