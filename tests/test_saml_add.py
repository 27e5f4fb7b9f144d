"""Connections → Add connection → SAML 2.0: metadata XML (pasted or uploaded), metadata URL, manual."""

import base64
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from connections.models import Connection, SAMLCertificate, SAMLSettings
from tests.support.metadata import entities_descriptor, sample

ENTRA_ENTITY = "https://sts.windows.net/92b20d54-6bdd-4686-9286-c44865f50277/"
OKTA_ENTITY = "http://www.okta.com/exkh52ytxrJeMH5140h7"
KEYCLOAK_ENTITY = "https://keycloak.stars.wire.link/auth/realms/sven-matthias-anta"


def add_url():
    return reverse("connections:add_saml", kwargs={"org_slug": "acme"})


def post(client, **data):
    data.setdefault("display_name", "Entra ID")
    data.setdefault("source", "xml")
    return client.post(add_url(), data)


def assert_nothing_saved():
    assert not Connection.objects.exists()
    assert not SAMLSettings.objects.exists()
    assert not SAMLCertificate.objects.exists()


def test_paste_metadata_xml_is_selected_by_default(as_alice):
    html = as_alice.get(add_url()).content.decode()
    radios = re.findall(r'<input type="radio" name="source" value="(\w+)"[^>]*?( checked)?>', html)
    assert radios == [("xml", " checked"), ("url", ""), ("manual", "")]
    for label in [
        "IdP metadata XML",
        "Metadata URL",
        "IdP Entity ID",
        "SSO URL",
        "Signing certificate",
        "Email attribute",
    ]:
        assert f">{label}" in html


def test_it_adds_a_connection_from_pasted_entra_federation_metadata(as_alice, acme):
    response = post(as_alice, metadata_xml=sample("entra_federation_metadata.xml"))
    assert response.status_code == 302
    connection = Connection.objects.get(organization=acme)
    saml = connection.saml
    assert (connection.kind, connection.display_name, saml.source) == ("saml", "Entra ID", "xml")
    assert saml.idp_entity_id == ENTRA_ENTITY
    assert saml.sso_redirect_url == "https://login.microsoftonline.com/92b20d54-6bdd-4686-9286-c44865f50277/saml2"
    assert saml.certificates.count() == 1
    assert saml.certificates.get().subject == "CN=Microsoft Azure Federated SSO Certificate"


def test_it_adds_a_connection_from_an_uploaded_file(as_alice):
    upload = SimpleUploadedFile("okta.xml", sample("okta_metadata.xml").encode(), content_type="text/xml")
    response = as_alice.post(add_url(), {"display_name": "Okta", "source": "xml", "metadata_file": upload})
    assert response.status_code == 302
    assert SAMLSettings.objects.get().idp_entity_id == OKTA_ENTITY


def test_it_adds_a_connection_from_a_metadata_url(as_alice, http_server):
    url = http_server.serve("/app/metadata", sample("keycloak_idp_metadata.xml"), content_type="application/xml")
    response = post(as_alice, source="url", metadata_url=url, display_name="Keycloak")
    assert response.status_code == 302
    saml = SAMLSettings.objects.get()
    assert (saml.source, saml.metadata_url, saml.idp_entity_id) == ("url", url, KEYCLOAK_ENTITY)


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (None, "answered HTTP 404"),
        (("<html>Sign in</html>", "text/html"), "web page, not metadata"),
    ],
)
def test_it_reports_metadata_url_problems(as_alice, http_server, route, expected):
    if route:
        url = http_server.serve("/md", route[0], content_type=route[1])
    else:
        url = http_server.url("/missing")
    response = post(as_alice, source="url", metadata_url=url)
    assert expected in response.context["form"].errors["metadata_url"][0]
    assert_nothing_saved()


def test_it_fetches_metadata_urls_through_the_guarded_client(as_alice, http_server, secure_idp_mode):
    url = http_server.serve("/md", sample("okta_metadata.xml"), content_type="application/xml")
    response = post(as_alice, source="url", metadata_url=url)
    assert "uses plain http" in response.context["form"].errors["metadata_url"][0]
    assert http_server.requests == []


def test_it_adds_a_manual_connection_with_a_pem_certificate(as_alice, acme):
    pem = "-----BEGIN CERTIFICATE-----\n" + _okta_cert_b64() + "\n-----END CERTIFICATE-----\n"
    response = post(
        as_alice,
        source="manual",
        idp_entity_id=OKTA_ENTITY,
        sso_url="https://acme.okta.com/app/x/sso/saml",
        sso_binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        signing_certificate=pem,
        email_attribute="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        nameid_format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    )
    assert response.status_code == 302
    saml = SAMLSettings.objects.get()
    assert saml.source == "manual"
    assert saml.sso_redirect_url == "https://acme.okta.com/app/x/sso/saml"
    assert saml.email_attribute == "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
    assert saml.nameid_format.endswith(":persistent")
    assert saml.certificates.get().subject.endswith("C=US")


def test_it_accepts_a_bare_base64_certificate_in_the_manual_form(as_alice):
    response = post(
        as_alice,
        source="manual",
        idp_entity_id=OKTA_ENTITY,
        sso_url="https://acme.okta.com/sso",
        sso_binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        signing_certificate=_okta_cert_b64(),
    )
    assert response.status_code == 302
    saml = SAMLSettings.objects.get()
    assert (saml.sso_post_url, saml.sso_redirect_url) == ("https://acme.okta.com/sso", "")


def test_the_manual_form_names_every_missing_field(as_alice):
    response = post(as_alice, source="manual")
    errors = response.context["form"].errors
    assert "entity ID" in errors["idp_entity_id"][0]
    assert "single sign-on URL" in errors["sso_url"][0]
    assert "signing certificate" in errors["signing_certificate"][0]
    assert_nothing_saved()


@pytest.mark.parametrize(
    ("certificate", "expected"),
    [
        ("not base64 !!!", "not valid base64"),
        (base64.b64encode(b"hello world").decode(), "not an X.509 certificate"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not a certificate in PEM form"),
    ],
)
def test_the_manual_form_explains_a_bad_certificate(as_alice, certificate, expected):
    response = post(
        as_alice, source="manual", idp_entity_id="x", sso_url="https://idp.example/sso", signing_certificate=certificate
    )
    assert expected in response.context["form"].errors["signing_certificate"][0]
    assert_nothing_saved()


def test_it_explains_sp_metadata_pasted_by_mistake(as_alice):
    response = post(as_alice, metadata_xml=sample("sp_metadata_sample.xml"))
    assert "service provider metadata" in response.context["form"].errors["metadata_xml"][0]
    assert_nothing_saved()


def test_it_asks_for_metadata_when_none_is_given(as_alice):
    response = post(as_alice)
    assert "Paste the IdP's metadata XML" in response.context["form"].errors["metadata_xml"][0]


def test_it_lets_the_owner_pick_among_several_entities(as_alice):
    xml = entities_descriptor("okta_metadata.xml", "keycloak_idp_metadata.xml")
    response = post(as_alice, metadata_xml=xml)
    html = response.content.decode()
    assert response.status_code == 200
    assert "describes 2 identity providers" in html
    assert f'<option value="{KEYCLOAK_ENTITY}">' in html
    assert_nothing_saved()

    response = post(as_alice, metadata_xml=xml, entity_id=KEYCLOAK_ENTITY)
    assert response.status_code == 302
    assert SAMLSettings.objects.get().idp_entity_id == KEYCLOAK_ENTITY


def test_an_expired_certificate_is_saved_with_a_warning(as_alice):
    response = post(as_alice, metadata_xml=sample("adfs_federation_metadata.xml"), display_name="ADFS")
    assert response.status_code == 302
    page = as_alice.get(response["Location"]).content.decode()
    assert "expired on 2024-05-08" in page


def test_editing_replaces_the_certificates_and_keeps_the_connection(as_alice):
    post(as_alice, metadata_xml=sample("okta_metadata.xml"), display_name="Okta")
    connection = Connection.objects.get()
    edit = reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    form_html = as_alice.get(edit).content.decode()
    assert "exkh52ytxrJeMH5140h7" in form_html  # the stored metadata is shown for editing

    response = as_alice.post(
        edit, {"display_name": "Keycloak", "source": "xml", "metadata_xml": sample("keycloak_idp_metadata.xml")}
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.display_name == "Keycloak"
    assert connection.saml.idp_entity_id == KEYCLOAK_ENTITY
    assert SAMLCertificate.objects.count() == 1
    assert SAMLCertificate.objects.get().subject == "CN=sven-matthias-anta"


def test_a_failed_edit_changes_nothing(as_alice):
    post(as_alice, metadata_xml=sample("okta_metadata.xml"), display_name="Okta")
    connection = Connection.objects.get()
    edit = reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    response = as_alice.post(edit, {"display_name": "Changed", "source": "xml", "metadata_xml": "<oops"})
    assert response.status_code == 200
    connection.refresh_from_db()
    assert connection.display_name == "Okta"
    assert connection.saml.idp_entity_id == OKTA_ENTITY


def _okta_cert_b64() -> str:
    xml = sample("okta_metadata.xml")
    start = xml.index("X509Certificate>") + len("X509Certificate>")
    return xml[start : xml.index("<", start)].strip()


def test_the_manual_form_bounds_the_certificate_field(as_alice):
    response = post(
        as_alice,
        source="manual",
        idp_entity_id=OKTA_ENTITY,
        sso_url="https://acme.okta.com/sso",
        signing_certificate=_okta_cert_b64() + "A" * 100_000,
    )
    assert "at most 100000 characters" in response.context["form"].errors["signing_certificate"][0]
    assert_nothing_saved()
