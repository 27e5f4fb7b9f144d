"""The setup guide (../shared/reference/entra-sso-setup-guide.txt) walked in a real browser (Debian's Chromium):
the owner copies the SP values, adds the connection, verifies the domain, chooses the provisioning mode, and a
user signs in with "Sign in with SSO". Screenshots of the key pages land in test-artifacts/."""

import pytest

from domains.models import Domain
from kloudsso.accounts.models import User
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()


def verify_domain(page, base_url, dns, shot_prefix):
    page.goto(f"{base_url}/orgs/acme/domains/")
    page.fill("#id_name", "acme.test")
    page.click("main button.primary")
    domain = Domain.objects.get(name="acme.test")
    assert page.locator(f"#rec-value-{domain.pk}").inner_text() == domain.record_value
    dns.add_txt(domain.record_name, domain.record_value)  # what the owner does at the DNS provider
    page.click(f"#domain-{domain.public_id} button.primary")
    page.wait_for_selector("text=acme.test is verified")
    screenshot(page, f"{shot_prefix}-3-domain-verified")


def choose_just_in_time(page, base_url, shot_prefix):
    page.goto(f"{base_url}/orgs/acme/sso-settings/")
    page.check("input[value=jit]")
    page.click("main button.primary")
    page.wait_for_selector("text=SSO settings saved")
    screenshot(page, f"{shot_prefix}-4-provisioning")


def sign_in_with_sso(browser, base_url, *, email, pick, idp_login, shot_prefix):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base_url}/login/")
    page.click("text=Sign in with SSO")
    page.fill("#id_email", email)
    page.click("main button.primary")
    if pick:
        page.click(f"button:has-text('{pick}')")
    idp_login(page)
    page.wait_for_url(f"{base_url}/orgs/acme/")
    screenshot(page, f"{shot_prefix}-5-signed-in")
    return page


def test_the_oidc_guide_in_a_browser(browser, owner_page, live_server, oidc_idp, dns):
    clean_artifacts("oidc-guide")
    page, base_url = owner_page, live_server.url
    page.click("text=Connections")
    redirect_uri = page.locator("#sp-redirect-uri").inner_text()
    assert redirect_uri == f"{base_url}/sso/oidc"  # what goes into Entra's app registration
    screenshot(page, "oidc-guide-1-sp-details")
    page.click("text=Add connection")
    page.click("text=OIDC")
    page.fill("#id_display_name", "Azure AD")
    page.fill("#id_discovery_url", oidc_idp.discovery_url)
    page.fill("#id_client_id", oidc_idp.client_id)
    page.fill("#id_client_secret", oidc_idp.client_secret)
    assert page.input_value("#id_scopes") == "openid email profile"
    page.click("main button.primary")
    page.wait_for_selector("text=Connection 'Azure AD' added")
    screenshot(page, "oidc-guide-2-connection-added")
    verify_domain(page, base_url, dns, "oidc-guide")
    choose_just_in_time(page, base_url, "oidc-guide")

    def at_idp(idp_page):
        idp_page.fill("input[name=login]", "ada")
        idp_page.fill("input[name=password]", "pass")
        idp_page.click("button[type=submit]")

    signed_in = sign_in_with_sso(
        browser, base_url, email="ada@acme.test", pick=None, idp_login=at_idp, shot_prefix="oidc-guide"
    )
    assert "ada@acme.test" in signed_in.content()
    assert User.objects.filter(email="ada@acme.test").exists()


def test_the_saml_guide_in_a_browser(browser, owner_page, live_server, dns):
    from tests.support.saml_idp import SimpleSAMLphpIdP
    from tests.support.saml_idp import available as saml_available

    if reason := saml_available():
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    clean_artifacts("saml-guide")
    page, base_url = owner_page, live_server.url
    page.click("text=Connections")
    entity_id = page.locator("#sp-entity-id").inner_text()
    acs_url = page.locator("#sp-acs-url").inner_text()
    assert acs_url == f"{base_url}/sso/saml"
    screenshot(page, "saml-guide-1-sp-details")
    from connections.models import ServiceProvider

    certificate = ServiceProvider.objects.get(entity_id=entity_id).certificate_pem
    with SimpleSAMLphpIdP(sp_entity_id=entity_id, acs_url=acs_url, sp_certificate_pem=certificate) as idp:
        page.click("text=Add connection")
        page.click("text=SAML 2.0")
        assert page.is_checked("input[value=xml]")  # "keep Paste metadata XML"
        page.fill("#id_display_name", "Entra ID (SAML)")
        page.fill("#id_metadata_xml", idp.metadata_xml())
        page.click("main button.primary")
        page.wait_for_selector("text=Connection 'Entra ID (SAML)' added")
        screenshot(page, "saml-guide-2-connection-added")
        verify_domain(page, base_url, dns, "saml-guide")
        choose_just_in_time(page, base_url, "saml-guide")

        def at_idp(idp_page):
            idp_page.fill("input[name=username]", "ada")
            idp_page.fill("input[name=password]", "pass")
            idp_page.click("button[type=submit], input[type=submit]")

        sign_in_with_sso(
            browser, base_url, email="ada@acme.test", pick=None, idp_login=at_idp, shot_prefix="saml-guide"
        )
    assert User.objects.filter(email="ada@acme.test").exists()


def test_misconfigurations_show_the_catalogues_fix(browser, owner_page, live_server, oidc_idp, dns):
    clean_artifacts("misconfig")
    page, base_url = owner_page, live_server.url
    page.goto(f"{base_url}/orgs/acme/connections/add/oidc/")
    page.fill("#id_display_name", "Azure AD")
    page.fill("#id_discovery_url", "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration")
    page.fill("#id_client_id", oidc_idp.client_id)
    page.fill("#id_client_secret", oidc_idp.client_secret)
    page.click("main button.primary")
    page.wait_for_selector("text=multi-tenant endpoint")
    assert "<Directory (tenant) ID>/v2.0/.well-known/openid-configuration" in page.inner_text("#field-discovery_url")
    screenshot(page, "misconfig-1-common-discovery-url")
    page.fill("#id_discovery_url", oidc_idp.discovery_url)
    page.fill("#id_client_secret", oidc_idp.client_secret)
    page.click("main button.primary")
    page.wait_for_selector("text=Connection 'Azure AD' added")
    verify_domain(page, base_url, dns, "misconfig")
    choose_just_in_time(page, base_url, "misconfig")

    person = browser.new_context().new_page()
    person.goto(f"{base_url}/sso/login")
    person.fill("#id_email", "nomail@acme.test")
    person.click("main button.primary")
    person.fill("input[name=login]", "nomail")
    person.fill("input[name=password]", "pass")
    person.click("button[type=submit]")
    person.wait_for_selector("text=did not send your email address")
    reference = person.locator("p.help code").first.inner_text()
    screenshot(person, "misconfig-2-person-sees-reference")

    page.goto(f"{base_url}/orgs/acme/connections/sign-in-events/?reference={reference}")
    page.click(f"text={reference}")
    page.click("tbody a")
    page.wait_for_selector("text=How to fix it")
    assert "add the optional email claim under Token configuration" in page.content()
    screenshot(page, "misconfig-5-owner-sees-fix")
