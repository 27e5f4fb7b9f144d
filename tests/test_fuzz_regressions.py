"""500s the property-based tests (tests/test_fuzz_*.py) found, each pinned as one explicit example.

They fail until the fix lands; they are not marked xfail, so the fix is what turns them green.
"""

import base64
import json
import shutil
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import saml_acs_url, service_provider_get_or_create, sp_metadata_xml
from domains.models import Domain, Status
from tests.support.factories import oidc_connection
from tests.support.oidc import serve_idp
from tests.support.saml_craft import CraftingIdP

DEEP_JSON = b"[" * 100_000  # deeper than Python's recursion limit: json.loads raises RecursionError, not ValueError


@pytest.fixture
def oidc(acme, http_server):
    Domain.objects.create(organization=acme, name="acme.test", status=Status.VERIFIED)
    return oidc_connection(acme, issuer=serve_idp(http_server, "/tenant/v2.0"))


def oidc_callback(client, connection):
    start = client.post(reverse("sso_start", kwargs={"public_id": connection.public_id}))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    return client.get(reverse("oidc_authentication_callback"), {"state": state, "code": "abc"})


def test_a_token_endpoint_answering_deeply_nested_json_is_a_refusal(client, oidc, http_server):
    http_server.serve("/tenant/v2.0/oauth2/v2.0/token", DEEP_JSON)
    response = oidc_callback(client, oidc)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_signing_keys_of_deeply_nested_json_are_a_refusal(client, oidc, http_server):
    header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": "k1"}).encode()).decode().rstrip("=")
    id_token = f"{header}.e30.c2ln"  # names a key, so the callback fetches the JWKS
    http_server.serve("/tenant/v2.0/oauth2/v2.0/token", json.dumps({"id_token": id_token, "access_token": "a"}))
    http_server.serve("/tenant/v2.0/discovery/v2.0/keys", DEEP_JSON)
    response = oidc_callback(client, oidc)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.skipif(not shutil.which("xmlsec1"), reason="xmlsec1 is not installed")
def test_a_signed_assertion_with_an_empty_nameid_is_a_refusal(client, acme, tmp_path):
    """A variant of the known missing-NameID 500: here the <NameID/> element is present but empty (text None)."""
    Domain.objects.create(organization=acme, name="acme.test", status=Status.VERIFIED)
    sp = service_provider_get_or_create(org=acme)
    idp = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp))
    connection = saml_connection_save(
        org=acme, display_name="Crafted", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
    )
    start = client.post(reverse("sso_start", kwargs={"public_id": connection.public_id}))
    request = zlib.decompress(base64.b64decode(parse_qs(urlsplit(start["Location"]).query)["SAMLRequest"][0]), -15)
    request_id = request.decode().split(' ID="', 1)[1].split('"', 1)[0]
    saml_response = idp.response(
        in_response_to=request_id,
        destination=saml_acs_url(),
        audience=sp.entity_id,
        name_id="",
        attributes={"mail": ["ada@acme.test"]},
    )
    assert "NameID" in base64.b64decode(saml_response).decode()
    stashed = client.post(reverse("saml_acs"), {"SAMLResponse": saml_response})
    response = client.get(stashed["Location"])
    assert response.status_code in (302, 400)


@pytest.mark.parametrize("encoding", ["bogus", "rot13"])
def test_a_saml_response_declaring_an_unknown_encoding_is_unreadable(client, encoding):
    """Anyone can post this to the ACS: expat raises LookupError for the declared encoding."""
    root = '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'
    xml = f'<?xml version="1.0" encoding="{encoding}"?>{root}'
    response = client.post(reverse("saml_acs"), {"SAMLResponse": base64.b64encode(xml.encode()).decode()})
    assert response.status_code == 400
