"""The Connections page: the service provider card, the list, enable/disable and delete."""

import pytest
from django.urls import reverse
from saml2.mdstore import InMemoryMetaData

from connections.models import Connection, ServiceProvider
from connections.saml.idp_config import IdPConfig
from tests.support.factories import oidc_connection, saml_connection

LIST = reverse("connections:list", kwargs={"org_slug": "acme"})


def test_the_service_provider_card_shows_the_values_to_copy_before_any_connection(as_alice, acme, settings):
    html = as_alice.get(LIST).content.decode()
    sp = ServiceProvider.objects.get(organization=acme)
    assert "Service provider details" in html
    assert '<code id="sp-redirect-uri">http://testserver/sso/oidc</code>' in html
    assert '<code id="sp-acs-url">http://testserver/sso/saml</code>' in html
    assert f'<code id="sp-entity-id">{sp.entity_id}</code>' in html
    assert sp.entity_id == f"http://testserver/sso/saml/metadata/{acme.public_id}"
    assert '<code id="sp-slo-url">http://testserver/sso/saml/slo</code>' in html
    assert '<code id="sp-logout-done-url">http://testserver/sso/logout/done</code>' in html
    assert html.count("data-copy=") == 6
    assert "No connection yet" in html


def test_every_url_shown_is_built_from_public_base_url(as_alice, acme, settings):
    settings.PUBLIC_BASE_URL = "https://sso.example.com"
    html = as_alice.get(LIST).content.decode()
    assert "https://sso.example.com/sso/oidc" in html
    assert "https://sso.example.com/sso/saml<" in html


def test_the_sp_entity_id_is_stable_and_one_per_organization(as_alice, client, charlie, acme, globex, settings):
    as_alice.get(LIST)
    first = ServiceProvider.objects.get(organization=acme).entity_id
    settings.PUBLIC_BASE_URL = "https://moved.example.com"
    as_alice.get(LIST)
    assert ServiceProvider.objects.get(organization=acme).entity_id == first
    client.force_login(charlie)
    client.get(reverse("connections:list", kwargs={"org_slug": "globex"}))
    assert ServiceProvider.objects.get(organization=globex).entity_id != first


def test_the_sp_metadata_download_is_saml_metadata_that_pysaml2_reads(as_alice, acme):
    response = as_alice.get(reverse("connections:sp_metadata", kwargs={"org_slug": "acme"}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/samlmetadata+xml"
    assert "attachment" in response["Content-Disposition"]
    sp = ServiceProvider.objects.get(organization=acme)
    store = InMemoryMetaData(None)
    store.parse(response.content.decode())
    acs = store.service(sp.entity_id, "spsso_descriptor", "assertion_consumer_service")
    assert acs["urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"][0]["location"] == "http://testserver/sso/saml"
    certs = store.certs(sp.entity_id, "spsso", "signing")
    assert len(certs) == 1
    assert certs[0][1].replace("\n", "") in sp.certificate_pem.replace("\n", "")


def test_the_sp_metadata_is_also_served_publicly_at_the_entity_id(client, as_alice, acme):
    as_alice.get(LIST)
    sp = ServiceProvider.objects.get(organization=acme)
    client.logout()
    response = client.get(sp.entity_id.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert sp.entity_id in response.content.decode()
    assert "PRIVATE KEY" not in response.content.decode()


def test_the_sp_private_key_is_encrypted_at_rest(as_alice, acme):
    as_alice.get(LIST)
    sp = ServiceProvider.objects.get(organization=acme)
    assert "PRIVATE KEY" not in sp.private_key_encrypted
    assert sp.get_private_key_pem().startswith("-----BEGIN PRIVATE KEY-----")


def test_the_list_shows_type_name_idp_status_and_certificate_expiry(as_alice, acme):
    oidc_connection(acme, display_name="Entra ID (OIDC)")
    saml_connection(acme, display_name="Okta")
    html = as_alice.get(LIST).content.decode()
    assert "Entra ID (OIDC)" in html and "Okta" in html
    assert "https://login.microsoftonline.com/tid-1/v2.0" in html
    assert "http://www.okta.com/exkh52ytxrJeMH5140h7" in html
    assert html.count("Enabled</span>") == 2
    assert "2028-11-01" in html  # Okta's signing certificate expiry


def test_the_list_warns_of_an_expired_certificate_and_soon_expiring_metadata(as_alice, acme):
    saml_connection(acme, display_name="ADFS", metadata="adfs_federation_metadata.xml")
    html = as_alice.get(LIST).content.decode()
    assert "expired on 2024-05-08" in html


def test_the_list_warns_when_the_metadata_expires_soon_or_has_expired(as_alice, acme):
    from datetime import timedelta

    from django.utils import timezone

    connection = saml_connection(acme)
    connection.saml.metadata_valid_until = timezone.now() + timedelta(days=5)
    connection.saml.save()
    assert "Download fresh metadata from the IdP before then" in as_alice.get(LIST).content.decode()
    connection.saml.metadata_valid_until = timezone.now() - timedelta(days=1)
    connection.saml.save()
    assert "SAML sign-ins ignore it" in as_alice.get(LIST).content.decode()


def test_soon_expiring_certificates_are_warned_about():
    from datetime import timedelta

    from django.utils import timezone

    from connections.saml.certificates import CertificateInfo

    soon = timezone.now() + timedelta(days=10)
    cert = CertificateInfo("pem", "CN=IdP", "AA", timezone.now() - timedelta(days=300), soon)
    config = IdPConfig("e", "https://idp/sso", "", (cert,))
    assert any("expires on" in w and "Add the IdP's new certificate" in w for w in config.warnings)


@pytest.mark.parametrize("count", [1, 50])
def test_the_list_takes_a_constant_number_of_queries(as_alice, acme, django_assert_num_queries, count):
    for i in range(count):
        (oidc_connection if i % 2 else saml_connection)(acme, display_name=f"Connection {i}")
    as_alice.get(LIST)  # creates the service provider once
    # session, user, membership+organization, service provider, connections with their settings,
    # SAML certificates, the header's membership list
    with django_assert_num_queries(7):
        response = as_alice.get(LIST)
    assert response.content.decode().count("Connection ") >= count


def test_disable_and_enable(as_alice, acme):
    connection = oidc_connection(acme)
    url = reverse("connections:toggle", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    assert as_alice.get(url).status_code == 405
    as_alice.post(url)
    connection.refresh_from_db()
    assert not connection.enabled
    assert "Disabled</span>" in as_alice.get(LIST).content.decode()
    as_alice.post(url)
    connection.refresh_from_db()
    assert connection.enabled


def test_delete_asks_for_confirmation_first(as_alice, acme):
    connection = saml_connection(acme)
    url = reverse("connections:delete", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    page = as_alice.get(url).content.decode()
    assert "Delete the connection Okta?" in page
    assert Connection.objects.filter(pk=connection.pk).exists()
    response = as_alice.post(url)
    assert response.status_code == 302
    assert not Connection.objects.exists()
