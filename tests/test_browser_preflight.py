"""The pre-flight checklist walked in a real browser (Debian's Chromium): an OIDC connection added against the
oidc-provider test IdP lands on its checklist, whose Test connection button leads to the IdP; a SAML connection's
page shows each certificate's validity and the values the IdP must hold. Screenshots land in test-artifacts/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from connections.saml.models import SAMLCertificate
from tests.support.browser import ARTIFACTS, allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.support.certificates import certificate_b64
from tests.support.factories import saml_connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()


def statuses(page) -> dict[str, str]:
    rows = page.locator("#preflight tbody tr")
    return {
        rows.nth(i).locator("td").nth(1).inner_text(): rows.nth(i).get_attribute("data-status")
        for i in range(rows.count())
    }


def test_an_oidc_connection_lands_on_its_checklist_and_tests_from_there(owner_page, live_server, oidc_idp):
    clean_artifacts("preflight-oidc")
    page, base_url = owner_page, live_server.url
    page.goto(f"{base_url}/orgs/acme/connections/add/oidc/")
    page.fill("#id_display_name", "Entra ID")
    page.fill("#id_discovery_url", oidc_idp.discovery_url)
    page.fill("#id_client_id", oidc_idp.client_id)
    page.fill("#id_client_secret", oidc_idp.client_secret)
    page.click("main button.primary")
    page.wait_for_selector("#preflight")
    assert page.url.endswith("/edit/#preflight")
    assert "Connection 'Entra ID' added" in page.inner_text("main")
    assert statuses(page) == {
        "Discovery document reachable": "pass",
        "Issuer matches the discovery URL": "pass",
        "Signing keys present": "pass",
        "Token endpoint authentication": "pass",
        "ID token signing algorithm": "pass",
        "Scopes that carry an email": "pass",
        "Redirect URI registered at the IdP": "idp",
    }
    keys = page.locator("#preflight tr", has_text="Signing keys present").inner_text()
    assert "signing key" in keys and "RSA" in keys
    assert f"{base_url}/sso/oidc" in page.inner_text("#preflight")
    screenshot(page, "preflight-oidc-1-page")
    page.locator("#preflight").screenshot(path=str(ARTIFACTS / "preflight-oidc-2-card.png"))
    page.click("#preflight-test")
    page.wait_for_selector("input[name=login]")  # the IdP's sign-in page: the test sign-in has started
    assert page.url.startswith(oidc_idp.issuer)
    screenshot(page, "preflight-oidc-3-test-started-at-idp")


def test_a_saml_connection_page_shows_each_certificate_and_the_idp_side(owner_page, live_server, acme):
    clean_artifacts("preflight-saml")
    connection = saml_connection(acme, display_name="Okta")
    now = timezone.now()
    b64 = certificate_b64(not_before=now - timedelta(days=300), not_after=now + timedelta(days=12))
    SAMLCertificate.objects.create(
        saml_settings=connection.saml,
        certificate_pem=f"-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n",
        subject="CN=expiring.idp.test",
        sha256_fingerprint="12:" * 31 + "12",
        not_before=now - timedelta(days=300),
        not_after=now + timedelta(days=12),
    )
    page = owner_page
    page.goto(f"{live_server.url}/orgs/acme/connections/{connection.public_id}/edit/")
    found = statuses(page)
    assert found["IdP entity ID"] == "pass" and found["SSO binding"] == "pass"
    assert found["Signing certificate CN=expiring.idp.test"] == "warn"
    assert found["SP Entity ID at the IdP"] == found["ACS URL at the IdP"] == "idp"
    assert found["NameID format the IdP sends"] == "idp"
    text = page.inner_text("#preflight")
    assert "expires in 11 days" in text or "expires in 12 days" in text
    assert f"{live_server.url}/sso/saml" in text and "1 warning" in text
    screenshot(page, "preflight-saml-1-page")
    page.locator("#preflight").screenshot(path=str(ARTIFACTS / "preflight-saml-2-card.png"))
