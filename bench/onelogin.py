"""python3-saml (OneLogin) checking the same kind of response as KloudSSO: strict, the assertion's signature
required, with the same SP entity ID, ACS URL and IdP certificate. In process, through its public API."""

from urllib.parse import urlsplit

from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings

POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"


def checker(*, sp_entity_id: str, acs: str, idp_entity_id: str, idp_cert_b64: str, sso_url: str):
    settings = OneLogin_Saml2_Settings(
        {
            "strict": True,
            "debug": False,
            "sp": {"entityId": sp_entity_id, "assertionConsumerService": {"url": acs, "binding": POST}},
            "idp": {
                "entityId": idp_entity_id,
                "singleSignOnService": {"url": sso_url, "binding": REDIRECT},
                "x509cert": idp_cert_b64,
            },
            "security": {"wantAssertionsSigned": True, "rejectDeprecatedAlgorithm": True},
        },
        sp_validation_only=True,
    )
    url = urlsplit(acs)
    request_base = {"https": "off", "http_host": url.hostname, "server_port": str(url.port), "script_name": url.path}

    def check(saml_response: str, request_id: str) -> None:
        request = {**request_base, "get_data": {}, "post_data": {"SAMLResponse": saml_response}}
        response = OneLogin_Saml2_Response(settings, saml_response)
        if not response.is_valid(request, request_id=request_id, raise_exceptions=True):
            raise RuntimeError(f"python3-saml refused the response: {response.get_error()}")

    return check
