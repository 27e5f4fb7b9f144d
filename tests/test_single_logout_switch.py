"""The owner's switch for signing out at the IdP, on the connection pages: offered where the IdP supports it (an
OIDC discovery document's end_session_endpoint, SAML metadata's SingleLogoutService), refused with a clear error
where it does not, recorded in the audit log, and another organization's connection is a 404."""

import pytest
from django.test import Client
from django.urls import reverse

from connections.models import Connection, SAMLSettings
from connections.oidc.models import OIDCSettings
from connections.sp import sp_metadata_xml
from kloudsso.audit.models import AuditEvent
from tests.support.factories import oidc_connection, saml_connection
from tests.support.metadata import sample
from tests.support.oidc import discovery_document, jwks_document

KEYCLOAK_SLO = "https://keycloak.stars.wire.link/auth/realms/sven-matthias-anta/protocol/saml"


def edit_url(connection, org_slug="acme"):
    return reverse("connections:edit", kwargs={"org_slug": org_slug, "public_id": connection.public_id})


def saml_form(metadata: str, **overrides):
    return {"display_name": "Keycloak", "source": "xml", "metadata_xml": sample(metadata), **overrides}


def test_saml_metadata_with_a_single_logout_service_can_turn_it_on(as_alice, acme):
    response = as_alice.post(
        reverse("connections:add_saml", kwargs={"org_slug": "acme"}),
        saml_form("keycloak_idp_metadata.xml", single_logout="on"),
    )
    assert response.status_code == 302
    saml = SAMLSettings.objects.get()
    assert saml.single_logout and saml.slo_redirect_url.startswith(KEYCLOAK_SLO)
    added = AuditEvent.objects.get(action="connection.added")
    assert added.changes["single_logout"] == [None, True]


def test_saml_metadata_without_one_refuses_the_switch_and_saves_nothing(as_alice):
    response = as_alice.post(
        reverse("connections:add_saml", kwargs={"org_slug": "acme"}),
        saml_form("okta_metadata.xml", single_logout="on"),
    )
    assert response.status_code == 200
    assert "lists no SingleLogoutService" in response.content.decode()
    assert not Connection.objects.exists()


def test_turning_it_on_and_off_is_in_the_audit_log(as_alice, acme):
    connection = saml_connection(acme, display_name="Keycloak", metadata="keycloak_idp_metadata.xml")
    assert not connection.saml.single_logout
    as_alice.post(edit_url(connection), saml_form("keycloak_idp_metadata.xml", single_logout="on"))
    as_alice.post(edit_url(connection), saml_form("keycloak_idp_metadata.xml"))
    edits = AuditEvent.objects.filter(action="connection.edited").order_by("pk")
    switched = [e.changes["single_logout"] for e in edits]
    assert switched == [[False, True], [True, False]]


def test_the_edit_page_says_when_the_idp_cannot_do_it(as_alice, acme):
    connection = saml_connection(acme)  # Okta's sample metadata: no SingleLogoutService
    page = as_alice.get(edit_url(connection)).content.decode()
    assert "Not available: the IdP&#x27;s metadata lists no SingleLogoutService" in page


def test_another_organizations_owner_gets_a_404(acme, charlie):
    connection = saml_connection(acme, display_name="Keycloak", metadata="keycloak_idp_metadata.xml")
    outsider = Client()
    outsider.force_login(charlie)
    response = outsider.post(
        edit_url(connection, org_slug="globex"), saml_form("keycloak_idp_metadata.xml", single_logout="on")
    )
    assert response.status_code == 404
    connection.saml.refresh_from_db()
    assert not connection.saml.single_logout


@pytest.fixture
def provider(http_server):
    def serve(**document):
        issuer = http_server.url("/t9/v2.0")
        http_server.serve("/t9/v2.0/.well-known/openid-configuration", discovery_document(issuer, **document))
        http_server.serve("/t9/v2.0/discovery/v2.0/keys", jwks_document())
        return http_server.url("/t9/v2.0/.well-known/openid-configuration")

    return serve


def oidc_form(discovery_url, **overrides):
    return {
        "display_name": "Entra ID",
        "discovery_url": discovery_url,
        "client_id": "client-2",
        "client_secret": "",
        "scopes": "openid email profile",
        **overrides,
    }


def test_oidc_with_an_end_session_endpoint_can_turn_it_on(as_alice, acme, provider):
    connection = oidc_connection(acme)
    url = provider(end_session_endpoint="https://login.example.test/logout")
    assert as_alice.post(edit_url(connection), oidc_form(url, single_logout="on")).status_code == 302
    oidc = OIDCSettings.objects.get()
    assert oidc.single_logout and oidc.end_session_endpoint == "https://login.example.test/logout"
    assert AuditEvent.objects.get(action="connection.edited").changes["single_logout"] == [False, True]


def test_oidc_without_one_refuses_the_switch(as_alice, acme, provider):
    connection = oidc_connection(acme)
    response = as_alice.post(edit_url(connection), oidc_form(provider(), single_logout="on"))
    assert response.status_code == 200
    assert "has no end_session_endpoint" in response.content.decode()
    assert not OIDCSettings.objects.get().single_logout


def test_the_oidc_page_shows_the_post_logout_redirect_uri(as_alice, acme, settings):
    settings.PUBLIC_BASE_URL = "https://sso.example.test"
    page = as_alice.get(edit_url(oidc_connection(acme))).content.decode()
    assert "https://sso.example.test/sso/logout/done" in page


def test_sp_metadata_lists_the_single_logout_service(acme, settings):
    from saml2.mdstore import InMemoryMetaData

    from connections.sp import service_provider_get_or_create

    settings.PUBLIC_BASE_URL = "https://sso.example.test"
    sp = service_provider_get_or_create(org=acme)
    store = InMemoryMetaData(None, check_validity=False)
    store.parse(sp_metadata_xml(sp))
    services = store.service(sp.entity_id, "spsso_descriptor", "single_logout_service")
    assert sorted(services) == [
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
    ]
    assert {s[0]["location"] for s in services.values()} == {"https://sso.example.test/sso/saml/slo"}


def test_saml_metadata_without_slo_saved_without_the_switch_keeps_the_owners_choice(acme):
    from connections.saml.metadata import parse_idp_metadata
    from connections.saml.services import saml_connection_save
    from signin.logout import _connection_signing_out

    connection = saml_connection(acme, display_name="Keycloak", metadata="keycloak_idp_metadata.xml")
    connection.saml.single_logout = True
    connection.saml.save()
    remembered = {"kind": "saml", "connection": str(connection.public_id)}

    def save(metadata):
        # as a setup link's IT admin, or a refresh, saves it: no switch passed
        idp = parse_idp_metadata(sample(metadata))
        saml_connection_save(org=acme, connection=connection, display_name="Keycloak", source="xml", idp=idp)
        connection.saml.refresh_from_db()

    save("okta_metadata.xml")  # no SingleLogoutService: off in effect, still the owner's choice
    assert connection.saml.single_logout and _connection_signing_out(remembered) is None
    save("keycloak_idp_metadata.xml")
    assert _connection_signing_out(remembered) == connection


def test_oidc_without_an_end_session_endpoint_saved_without_the_switch_keeps_the_owners_choice(acme):
    from connections.oidc.services import oidc_connection_save

    connection = oidc_connection(acme)
    oidc = connection.oidc
    oidc.single_logout = True
    oidc.save()
    oidc_connection_save(
        org=acme,
        connection=connection,
        display_name="Entra ID",
        discovery=_discovery_of(oidc),  # the same provider, which has no end_session_endpoint
        client_id="client-1",
        client_secret="",
        scopes="openid email profile",
    )
    oidc.refresh_from_db()
    assert oidc.single_logout and not oidc.end_session_endpoint


def _discovery_of(oidc):
    from connections.oidc.discovery import Discovery

    return Discovery(
        discovery_url=oidc.discovery_url,
        issuer=oidc.issuer,
        authorization_endpoint=oidc.authorization_endpoint,
        token_endpoint=oidc.token_endpoint,
        jwks_uri=oidc.jwks_uri,
        userinfo_endpoint=oidc.userinfo_endpoint,
        document=oidc.discovery_document,
    )
