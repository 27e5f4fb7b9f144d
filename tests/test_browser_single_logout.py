"""Sign-out that reaches the IdP, in a real browser (Debian's Chromium): the owner turns it on on the connection's
page, then a person signs in and signs out, against SimpleSAMLphp and oidc-provider; screenshots in
test-artifacts/single-logout-*.png."""

import pytest

from domains.models import Domain
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.test_browser_forgiving import at_oidc_idp, at_saml_idp, new_page, sso_sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()


@pytest.fixture(scope="module", autouse=True)
def _fresh_screenshots():
    clean_artifacts("single-logout")


@pytest.fixture
def people(acme):
    acme.provisioning_mode = "jit"
    acme.save()
    Domain.objects.create(organization=acme, name="acme.test", status="verified")


def turn_on(owner, base_url, connection, name):
    owner.goto(f"{base_url}/orgs/acme/connections/{connection.public_id}/edit/")
    owner.check("#id_single_logout")
    screenshot(owner, f"single-logout-{name}-1-switch")
    owner.click("button:has-text('Save connection')")
    owner.wait_for_selector("text=updated")


def test_saml_the_owner_turns_it_on_and_ada_signs_out_at_simplesamlphp(browser, owner_page, live_server, people, acme):
    from connections.saml.metadata import parse_idp_metadata
    from connections.saml.services import saml_connection_save
    from connections.sp import service_provider_get_or_create
    from tests.support.saml_idp import SimpleSAMLphpIdP
    from tests.support.saml_idp import available as saml_available

    if reason := saml_available():
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    base_url = live_server.url
    sp = service_provider_get_or_create(org=acme)
    with SimpleSAMLphpIdP(
        sp_entity_id=sp.entity_id,
        acs_url=f"{base_url}/sso/saml",
        sp_certificate_pem=sp.certificate_pem,
        slo_url=f"{base_url}/sso/saml/slo",
    ) as idp:
        connection = saml_connection_save(
            org=acme, display_name="SimpleSAMLphp", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
        )
        turn_on(owner_page, base_url, connection, "saml")
        connection.saml.refresh_from_db()
        assert connection.saml.single_logout
        owner_page.goto(f"{base_url}/orgs/acme/audit-log/")
        assert "Connection edited" in owner_page.inner_text("main")
        assert "single logout" in owner_page.inner_text("main")  # the switch, from no to yes
        screenshot(owner_page, "single-logout-saml-audit-log")

        ada = new_page(browser)
        sso_sign_in(ada, base_url, "ada@acme.test", at_saml_idp("ada"))
        ada.click("header form button:has-text('Sign out')")
        ada.wait_for_url(f"{base_url}/sso/saml/slo?**")
        ada.wait_for_selector("#signed-out-idp")
        assert "signed out of KloudSSO and of SimpleSAMLphp" in ada.inner_text("#signed-out")
        screenshot(ada, "single-logout-saml-2-signed-out")
        ada.click("#sign-in-again")
        ada.fill("#id_email", "ada@acme.test")
        ada.click("main button.primary")
        ada.wait_for_selector("input[name=username]")  # signed out at the IdP: it asks again


def test_oidc_the_owner_turns_it_on_and_bea_signs_out_at_the_provider(browser, owner_page, live_server, people, acme):
    from connections.oidc.discovery import discover
    from connections.oidc.services import oidc_connection_save
    from tests.support.oidc_idp import OIDCIdP, available

    if reason := available():
        pytest.skip(f"the OIDC test IdP cannot run: {reason}")
    base_url = live_server.url
    with OIDCIdP(
        client_id="kloudsso-test",
        client_secret="idp-client-secret-1",
        redirect_uris=[f"{base_url}/sso/oidc"],
        post_logout_redirect_uris=[f"{base_url}/sso/logout/done"],
    ) as idp:
        connection = oidc_connection_save(
            org=acme,
            display_name="Entra ID",
            discovery=discover(idp.discovery_url),
            client_id=idp.client_id,
            client_secret=idp.client_secret,
            scopes="openid email profile",
        )
        turn_on(owner_page, base_url, connection, "oidc")
        connection.oidc.refresh_from_db()
        assert connection.oidc.single_logout

        bea = new_page(browser)
        sso_sign_in(bea, base_url, "bea@acme.test", at_oidc_idp("bea"))
        bea.click("header form button:has-text('Sign out')")
        bea.wait_for_selector("text=Yes, sign me out")  # the provider's own question
        screenshot(bea, "single-logout-oidc-2-provider-asks")
        bea.click("text=Yes, sign me out")
        bea.wait_for_url(f"{base_url}/sso/logout/done?**")
        assert "signed out of KloudSSO and of Entra ID" in bea.inner_text("#signed-out")
        screenshot(bea, "single-logout-oidc-3-signed-out")
        bea.click("#sign-in-again")
        bea.fill("#id_email", "bea@acme.test")
        bea.click("main button.primary")
        bea.wait_for_selector("input[name=login]")  # signed out at the provider: it asks again


def test_a_return_this_browser_did_not_start_is_a_clear_page(browser, live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    page = new_page(browser)
    page.goto(f"{live_server.url}/sso/logout/done?state=made-up")
    assert "You are signed out of KloudSSO" in page.inner_text("#signed-out")
    assert "logout_state_mismatch" in page.inner_text("#signed-out")
    screenshot(page, "single-logout-refused-return")
