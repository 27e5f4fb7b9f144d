"""The re-link and Test connection's report in a real browser (Debian's Chromium), against the real SimpleSAMLphp
switching from email to persistent NameIDs; screenshots in test-artifacts/relink-*.png."""

import pytest
from django.urls import reverse

from connections.models import SignInEvent, SSOIdentity
from domains.models import Domain
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.test_browser_forgiving import at_saml_idp, new_page, sso_sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()

PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


@pytest.fixture(scope="module", autouse=True)
def _fresh_screenshots():
    clean_artifacts("relink")


@pytest.fixture
def simplesamlphp(live_server, settings, acme):
    from connections.saml.metadata import parse_idp_metadata
    from connections.saml.services import saml_connection_save
    from connections.sp import service_provider_get_or_create
    from tests.support.saml_idp import SimpleSAMLphpIdP
    from tests.support.saml_idp import available as saml_available

    if reason := saml_available():
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    acme.provisioning_mode = "jit"
    acme.save()
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    settings.PUBLIC_BASE_URL = live_server.url
    sp = service_provider_get_or_create(org=acme)
    with SimpleSAMLphpIdP(
        sp_entity_id=sp.entity_id, acs_url=f"{live_server.url}/sso/saml", sp_certificate_pem=sp.certificate_pem
    ) as idp:
        yield (
            live_server.url,
            saml_connection_save(
                org=acme, display_name="SimpleSAMLphp", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
            ),
        )


def owner_page(browser, base_url):
    page = new_page(browser)
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", "alice@acme.test")
    page.fill("#id_password", "correct-horse-battery")
    page.click("main button[type=submit]")
    page.wait_for_url("**/orgs/acme/")
    return page


def test_the_owner_relinks_ada_after_the_idp_switched_to_persistent_nameids(browser, simplesamlphp, alice):
    base_url, connection = simplesamlphp
    sso_sign_in(new_page(browser), base_url, "ada@acme.test", at_saml_idp("ada"))
    connection.saml.nameid_format = PERSISTENT
    connection.saml.save()
    ada = new_page(browser)
    ada.goto(f"{base_url}/sso/login")
    ada.fill("#id_email", "ada@acme.test")
    ada.click("main button.primary")
    at_saml_idp("ada")(ada)
    ada.wait_for_selector("text=Your identity provider now identifies you differently")
    screenshot(ada, "relink-1-refused")

    owner = owner_page(browser, base_url)
    event = SignInEvent.objects.get(code="subject_format_changed")
    owner.goto(base_url + reverse("connections:event", kwargs={"org_slug": "acme", "public_id": event.public_id}))
    screenshot(owner, "relink-2-event")
    owner.click("#relink a.btn:not(.primary)")
    owner.wait_for_selector("text=1 member covered")
    screenshot(owner, "relink-3-everyone-confirm")
    owner.click("text=Re-link ada@acme.test alone")
    owner.wait_for_selector("h1:has-text('Re-link ada@acme.test?')")
    screenshot(owner, "relink-4-confirm")
    owner.click("main button.primary")
    owner.wait_for_selector("text=ada@acme.test is re-linked")

    sso_sign_in(new_page(browser), base_url, "ada@acme.test", at_saml_idp("ada"))
    assert SSOIdentity.objects.get(connection=connection).subject.startswith("persistent:")


def test_a_test_connection_report_explains_each_decision_and_the_fallback(browser, simplesamlphp, alice):
    base_url, connection = simplesamlphp
    connection.saml.email_attribute = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
    connection.saml.save()
    owner = owner_page(browser, base_url)
    owner.goto(f"{base_url}/orgs/acme/connections/")
    owner.click(f"form[action$='/{connection.public_id}/test/'] button")
    at_saml_idp("ada")(owner)
    owner.wait_for_selector("h1:has-text('it works, by a fallback')")
    assert "is not in the IdP's answer: the email came from the NameID instead" in owner.inner_text("#fallbacks")
    text = owner.inner_text("ul.checks")
    assert "Domain rule" in text and "Provisioning: Just-in-time" in text and "Role: member" in text
    screenshot(owner, "relink-5-test-report")


def test_the_owner_opens_and_closes_a_relink_of_everyone(browser, simplesamlphp, alice):
    base_url, connection = simplesamlphp
    sso_sign_in(new_page(browser), base_url, "ada@acme.test", at_saml_idp("ada"))
    connection.saml.nameid_format = PERSISTENT
    connection.saml.save()
    refused = new_page(browser)
    refused.goto(f"{base_url}/sso/login")
    refused.fill("#id_email", "ada@acme.test")
    refused.click("main button.primary")
    at_saml_idp("ada")(refused)
    refused.wait_for_selector("text=Your identity provider now identifies you differently")
    owner = owner_page(browser, base_url)
    event = SignInEvent.objects.get(code="subject_format_changed")
    url = reverse("connections:relink_everyone", kwargs={"org_slug": "acme", "public_id": event.public_id})
    owner.goto(base_url + url)
    owner.click("main form button.primary")
    owner.wait_for_selector("text=1 member re-linked at their next sign-in")
    owner.goto(base_url + url)
    owner.wait_for_selector("#open-window")
    screenshot(owner, "relink-6-everyone-open")
    owner.click("#open-window button")
    owner.wait_for_selector("text=Re-link closed")
    assert not SSOIdentity.objects.exclude(relink_until=None).exists()
