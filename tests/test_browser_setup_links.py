"""Setup links and guides walked in a real browser (Debian's Chromium): the owner creates a link, the IT admin (no
account, another browser) opens it, follows the guide, pastes what the IdP gave, tests against the real IdP
(oidc-provider, SimpleSAMLphp) and finishes; the owner sees it completed and is mailed. Each guide is drawn once
for the owners. Screenshots land in test-artifacts/."""

import pytest

from connections.connection import Connection
from connections.guides import GUIDES
from connections.sp import service_provider_get_or_create
from setup_links.models import SetupLink, Status
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()


def create_link(page, base_url, *, protocol, guide, note, shot):
    page.goto(f"{base_url}/orgs/acme/connections/")
    page.click("text=Setup links")
    page.select_option("#id_protocol", protocol)
    page.select_option("#id_guide", guide)
    page.fill("#id_note", note)
    page.click("main button.primary")
    url = page.locator("#new-link-url").inner_text()
    assert url.startswith(f"{base_url}/setup/#")
    screenshot(page, f"{shot}-1-link-created")
    return url


def it_admin_follows(browser, url, *, guide, shot):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url)
    page.wait_for_url("**/setup/start")
    assert "#" not in page.url  # the token left the address bar
    screenshot(page, f"{shot}-2-choose")
    page.click(f"#choose-{guide}")
    page.wait_for_selector("ol.guide-steps")
    screenshot(page, f"{shot}-3-guide")
    return page


def finish(page, shot, idp_login):
    page.wait_for_url("**/setup/check")
    screenshot(page, f"{shot}-5-check")
    page.click("button:has-text('Test connection')")
    idp_login(page)
    page.wait_for_selector("#setup-next")
    assert "Your identity provider's part works" in page.inner_text("#setup-next")
    screenshot(page, f"{shot}-6-test-report")
    page.click("text=Back to the setup")
    page.click("button:has-text('Finish the setup')")
    page.wait_for_url("**/setup/done")
    screenshot(page, f"{shot}-7-done")


def owner_sees_it(page, base_url, smtp, name, shot):
    page.goto(f"{base_url}/orgs/acme/setup-links/")
    assert "Completed" in page.inner_text("table.list") and name in page.inner_text("table.list")
    screenshot(page, f"{shot}-8-owner-list")
    smtp.wait_for(1)
    assert name in smtp.messages[0]["Subject"]
    link = SetupLink.objects.get()
    assert link.status() == Status.COMPLETED and not link.connection.enabled


def test_an_oidc_setup_link_in_a_browser(browser, owner_page, live_server, oidc_idp, smtp):
    clean_artifacts("setup-link-oidc")
    base_url, shot = live_server.url, "setup-link-oidc"
    url = create_link(owner_page, base_url, protocol="oidc", guide="entra-oidc", note="For Dana in IT", shot=shot)
    page = it_admin_follows(browser, url, guide="entra-oidc", shot=shot)
    assert page.locator("#guide-redirect-uri-redirect_uri").inner_text() == f"{base_url}/sso/oidc"
    page.click("text=Next: paste what Microsoft Entra ID gives you")
    page.fill("#id_display_name", "Entra ID")
    page.fill("#id_discovery_url", oidc_idp.discovery_url)
    page.fill("#id_client_id", oidc_idp.client_id)
    page.fill("#id_client_secret", oidc_idp.client_secret)
    screenshot(page, f"{shot}-4-paste")
    page.click("main button.primary")

    def at_idp(idp_page):
        idp_page.fill("input[name=login]", "ada")
        idp_page.fill("input[name=password]", "pass")
        idp_page.click("button[type=submit]")

    finish(page, shot, at_idp)
    owner_sees_it(owner_page, base_url, smtp, "Entra ID", shot)
    # The IT admin's browser holds nothing any more.
    page.goto(f"{base_url}/setup/check")
    assert "does not exist" in page.inner_text("main")
    page.goto(url)
    page.wait_for_selector("text=This setup link has been used")
    screenshot(page, f"{shot}-9-used-link")


def test_a_saml_setup_link_in_a_browser(browser, owner_page, live_server, smtp, acme):
    from tests.support.saml_idp import SimpleSAMLphpIdP
    from tests.support.saml_idp import available as saml_available

    if reason := saml_available():
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    clean_artifacts("setup-link-saml")
    base_url, shot = live_server.url, "setup-link-saml"
    url = create_link(owner_page, base_url, protocol="", guide="", note="Okta team", shot=shot)
    page = it_admin_follows(browser, url, guide="generic-saml", shot=shot)
    entity_id = page.locator("#guide-service-provider-entity_id").inner_text()
    acs_url = page.locator("#guide-service-provider-acs_url").inner_text()
    assert acs_url == f"{base_url}/sso/saml"
    certificate = service_provider_get_or_create(org=acme).certificate_pem
    with SimpleSAMLphpIdP(sp_entity_id=entity_id, acs_url=acs_url, sp_certificate_pem=certificate) as idp:
        page.click("text=Next: paste what Any SAML 2.0 identity provider gives you")
        page.fill("#id_display_name", "Our SAML IdP")
        page.fill("#id_metadata_xml", idp.metadata_xml())
        screenshot(page, f"{shot}-4-paste")
        page.click("main button.primary")

        def at_idp(idp_page):
            idp_page.fill("input[name=username]", "ada")
            idp_page.fill("input[name=password]", "pass")
            idp_page.click("button[type=submit], input[type=submit]")

        finish(page, shot, at_idp)
    owner_sees_it(owner_page, base_url, smtp, "Our SAML IdP", shot)
    assert Connection.objects.get().kind == "saml"


def test_a_revoked_link_in_a_browser_opens_nothing(browser, owner_page, live_server):
    clean_artifacts("setup-link-revoked")
    base_url = live_server.url
    url = create_link(owner_page, base_url, protocol="saml", guide="", note="Gone", shot="setup-link-revoked")
    owner_page.click("button:has-text('Revoke')")
    owner_page.wait_for_selector("text=Setup link revoked")
    page = browser.new_context().new_page()
    page.goto(url)
    page.wait_for_selector("text=This setup link was revoked.")
    assert "Acme" not in page.content()
    screenshot(page, "setup-link-revoked-2-page")


def test_every_guide_in_a_browser(owner_page, live_server):
    clean_artifacts("guide-")
    base_url = live_server.url
    owner_page.goto(f"{base_url}/orgs/acme/connections/guides/")
    screenshot(owner_page, "guide-0-index")
    for guide in GUIDES:
        owner_page.goto(f"{base_url}/orgs/acme/connections/guides/{guide.slug}/")
        assert owner_page.locator("ol.guide-steps > li").count() == len(guide.steps)
        copies = sum(len(step.values) for step in guide.steps)
        assert owner_page.locator("ol.guide-steps [data-copy]").count() == copies
        screenshot(owner_page, f"guide-{guide.slug}")
