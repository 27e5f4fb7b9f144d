"""Signatures checked and made in process (signin/saml/xmlsec_backend): each rule the xmlsec1 command line had, or
a stricter one, and no process launched on a sign-in."""
# ruff: noqa: F811 -- the fixtures of tests.test_saml_acs are taken as arguments

import base64
import re
import subprocess

import pytest
import saml2.sigver
import xmlsec
from django.urls import reverse
from lxml import etree
from saml2 import samlp
from saml2.sigver import CryptoBackendXmlSec1, pre_signature_part
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import saml_acs_url, sp_metadata_xml
from signin.saml.xmlsec_backend import InProcessXmlSec
from tests.support.saml_craft import PREFIX, CraftingIdP
from tests.test_saml_acs import connection, idp, post, refused, signed_in, sp, start  # noqa: F401 -- fixtures and helpers

ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
RESPONSE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
AUTHN_REQUEST = "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest"
needs_xmlsec1 = pytest.mark.skipif(
    not __import__("shutil").which("xmlsec1"), reason="xmlsec1 is not installed (apt-get install xmlsec1)"
)
pytestmark = needs_xmlsec1  # the crafting IdP signs with xmlsec1: an independent signer


@pytest.fixture
def certificate(tmp_path, idp) -> str:
    return str(tmp_path / "idp.crt")


def signed_xml(idp, sp, **options) -> str:
    encoded = idp.response(in_response_to="id-1", destination=saml_acs_url(), audience=sp.entity_id, **options)
    return base64.b64decode(encoded).decode()


def assertion_of(xml: str) -> tuple[str, str]:
    """The assertion's whole element and its ID."""
    element = re.search(rf"<{PREFIX}Assertion\b.*?</{PREFIX}Assertion>", xml, re.DOTALL).group(0)
    return element, re.search(r' ID="([^"]+)"', element).group(1)


def test_a_signed_assertion_checks_out(idp, sp, certificate):
    xml = signed_xml(idp, sp)
    _, assertion_id = assertion_of(xml)
    assert InProcessXmlSec().validate_signature(xml, certificate, "pem", ASSERTION, assertion_id)


def test_a_changed_assertion_fails(idp, sp, certificate):
    xml = signed_xml(idp, sp).replace("ada@acme.test", "eve@acme.test")
    _, assertion_id = assertion_of(xml)
    assert not InProcessXmlSec().validate_signature(xml, certificate, "pem", ASSERTION, assertion_id)


def test_a_second_element_with_the_signed_id_is_refused(idp, sp, certificate):
    """Signature wrapping: a forged copy carrying the signed assertion's ID, before it or after it."""
    xml = signed_xml(idp, sp)
    element, assertion_id = assertion_of(xml)
    forged = element.replace("ada@acme.test", "eve@acme.test")
    for wrapped in (xml.replace(element, forged + element), xml.replace(element, element + forged)):
        assert not InProcessXmlSec().validate_signature(wrapped, certificate, "pem", ASSERTION, assertion_id)


def test_an_xml_id_holding_the_signed_id_elsewhere_is_refused(idp, sp, certificate):
    """libxml2 takes xml:id for an ID by itself: the Reference could resolve to that element instead."""
    xml = signed_xml(idp, sp)
    _, assertion_id = assertion_of(xml)
    marked = re.sub(rf"<({PREFIX}Response)\b", rf'<\1 xml:id="{assertion_id}"', xml, count=1)
    assert marked != xml
    assert not InProcessXmlSec().validate_signature(marked, certificate, "pem", ASSERTION, assertion_id)


def test_an_element_of_another_name_is_not_taken_for_the_signed_one(idp, sp, certificate):
    xml = signed_xml(idp, sp)
    _, assertion_id = assertion_of(xml)
    assert not InProcessXmlSec().validate_signature(xml, certificate, "pem", RESPONSE, assertion_id)


def test_sha1_is_refused_by_xmlsec_itself(idp, sp, certificate):
    """A second line behind signin/saml/algorithms: the signature is valid, but SHA-1 is not enabled."""
    xml = signed_xml(idp, sp, algorithms=(SIG_RSA_SHA1, DIGEST_SHA1))
    _, assertion_id = assertion_of(xml)
    assert CryptoBackendXmlSec1("/usr/bin/xmlsec1").validate_signature(xml, certificate, "pem", ASSERTION, assertion_id)
    assert not InProcessXmlSec().validate_signature(xml, certificate, "pem", ASSERTION, assertion_id)


def test_the_certificate_in_key_info_is_never_used(tmp_path, sp, certificate):
    """An impostor signs with its own key and puts its certificate in KeyInfo: only the one on file counts."""
    impostor = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), stem="impostor")
    xml = signed_xml(impostor, sp)
    assert "<ds:X509Certificate>" in xml or "X509Certificate>" in xml
    _, assertion_id = assertion_of(xml)
    assert not InProcessXmlSec().validate_signature(xml, certificate, "pem", ASSERTION, assertion_id)
    assert InProcessXmlSec().validate_signature(xml, str(tmp_path / "impostor.crt"), "pem", ASSERTION, assertion_id)


def test_a_document_with_a_dtd_is_refused(idp, sp, certificate):
    xml = signed_xml(idp, sp)
    _, assertion_id = assertion_of(xml)
    with_dtd = re.sub(r"^(<\?xml[^>]*\?>)?", r"\1<!DOCTYPE Response []>", xml, count=1)
    assert "<!DOCTYPE" in with_dtd
    with pytest.raises(Exception, match="DTD"):
        InProcessXmlSec().validate_signature(with_dtd, certificate, "pem", ASSERTION, assertion_id)


def test_a_statement_signed_in_process_verifies_with_xmlsec1(tmp_path, idp):
    """Signing (AuthnRequests sent with HTTP-POST) goes through the binding too; xmlsec1 checks the result."""
    request = samlp.AuthnRequest(id="request-1", version="2.0", issue_instant="2026-12-02T00:00:00Z")
    request.signature = pre_signature_part("request-1", sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
    signed = InProcessXmlSec().sign_statement(str(request), AUTHN_REQUEST, str(tmp_path / "idp.key"), "request-1")
    certificate = str(tmp_path / "idp.crt")
    assert CryptoBackendXmlSec1("/usr/bin/xmlsec1").validate_signature(
        signed, certificate, "pem", AUTHN_REQUEST, "request-1"
    )
    tampered = signed.replace('Version="2.0"', 'Version="2.1"')
    assert not InProcessXmlSec().validate_signature(tampered, certificate, "pem", AUTHN_REQUEST, "request-1")


def forbid_processes(monkeypatch):
    """From here on, launching a process fails the test (the crafting IdP, which signs with xmlsec1, is done)."""

    def refuse(*args, **kwargs):
        pytest.fail(f"a process was launched: {args[0] if args else kwargs}")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(saml2.sigver, "Popen", refuse)  # pysaml2 holds its own reference


def test_a_whole_sign_in_launches_no_process(client, connection, idp, sp, monkeypatch):
    request_id = start(client, connection)
    response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    forbid_processes(monkeypatch)
    landed = post(client, response)
    assert landed.status_code == 302 and landed["Location"] == "/orgs/acme/"
    assert signed_in(client)


def test_a_forged_response_is_refused_without_a_process(client, connection, idp, sp, monkeypatch):
    request_id = start(client, connection)
    xml = base64.b64decode(
        idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    ).decode()
    forged = base64.b64encode(xml.replace("ada@acme.test", "eve@acme.test").encode()).decode()
    forbid_processes(monkeypatch)
    refused(client, post(client, forged), "saml_bad_signature")


def test_an_authn_request_sent_by_http_post_is_signed_in_process(client, acme, sp, tmp_path, monkeypatch):
    idp = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp))
    metadata = idp.metadata_xml().replace("HTTP-Redirect", "HTTP-POST")
    connection = saml_connection_save(org=acme, display_name="Posted", source="xml", idp=parse_idp_metadata(metadata))
    forbid_processes(monkeypatch)
    page = client.post(reverse("sso_start", kwargs={"public_id": connection.public_id})).content.decode()
    encoded = re.search(r'name="SAMLRequest" value="([^"]+)"', page).group(1)
    request_xml = base64.b64decode(encoded).decode()
    request_id = re.search(r' ID="([^"]+)"', request_xml).group(1)
    sp_certificate = tmp_path / "sp.crt"
    sp_certificate.write_text(sp.certificate_pem)
    assert InProcessXmlSec().validate_signature(request_xml, str(sp_certificate), "pem", AUTHN_REQUEST, request_id)


@pytest.mark.parametrize("uri", ["", "#xpointer(/)"])
def test_a_signature_over_anything_but_the_element_is_refused(idp, sp, tmp_path, uri):
    """A valid signature whose Reference names the whole document, not "#" + the element's ID: the backend refuses
    it itself, whatever pysaml2 checks before."""
    xml = signed_xml(idp, sp, sign_assertion=False)
    document = etree.fromstring(xml.encode())
    assertion = document.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion")
    signature = xmlsec.template.create(
        assertion, xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256
    )
    assertion.insert(1, signature)
    reference = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256, uri=uri)
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_file(str(tmp_path / "idp.key"), xmlsec.constants.KeyDataFormatPem)
    context.sign(signature)
    signed = etree.tostring(document).decode()
    certificate = str(tmp_path / "idp.crt")
    assert not InProcessXmlSec().validate_signature(signed, certificate, "pem", ASSERTION, assertion.get("ID"))


def test_a_removed_key_folder_is_made_again_and_warm_clients_keep_signing(client, connection, idp, sp):
    """A /tmp cleaner removes the SP key files of a long-running process: new clients write them again, and a warm
    client's signing key is already parsed."""
    import shutil

    from signin.saml import clients, sp_config

    clients.forget_all()
    start(client, connection)
    shutil.rmtree(sp_config._key_dir)
    start(client, connection)  # the warm client
    clients.forget_all()
    start(client, connection)  # a new one
    assert any(sp_config._key_dir.glob("*.key"))
