"""The owner chooses how ID tokens are signed, in a real browser (Debian's Chromium), against the test IdP set to
HS256 with the client secret (as LemonLDAP::NG is by default): a secret too short is refused on the form, the
choice saved, the checklist agrees with the discovery document, and Test connection signs uma in (her email only in
UserInfo). Left on the IdP's public keys, the test fails with the fix that names the IdP's setting. Screenshots land
in test-artifacts/."""

import pytest

from domains.models import Domain
from tests.support.browser import ARTIFACTS, allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()


def fill_form(page, idp, *, secret: str, alg: str):
    page.fill("#id_display_name", "LemonLDAP::NG")
    page.fill("#id_discovery_url", idp.discovery_url)
    page.fill("#id_client_id", idp.client_id)
    page.fill("#id_client_secret", secret)
    page.select_option("#id_id_token_signing_alg", alg)
    page.click("main button.primary")


def test_at_the_idp(page, login: str) -> None:
    page.click("#preflight-test")
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[type=password]", "pass")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Test of')")


test_at_the_idp.__test__ = False  # a helper, not a test


def test_the_owner_chooses_hs256_and_the_test_sign_in_works(owner_page, live_server, hs_oidc_idp, acme):
    clean_artifacts("id-token-signing-hs")
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    page = owner_page
    page.goto(f"{live_server.url}/orgs/acme/connections/add/oidc/")
    fill_form(page, hs_oidc_idp, secret="too-short-for-hs256", alg="HS256")
    error = page.inner_text("#field-client_secret")
    assert "19 bytes long; HS256 needs one of at least 32 bytes (RFC 7518 §3.2)" in error
    assert page.input_value("#id_id_token_signing_alg") == "HS256"  # the choice kept, the secret not shown again
    assert page.input_value("#id_client_secret") == ""
    screenshot(page, "id-token-signing-hs-1-secret-too-short")

    fill_form(page, hs_oidc_idp, secret=hs_oidc_idp.client_secret, alg="HS256")
    page.wait_for_selector("#preflight")
    row = page.locator("#preflight tr", has_text="ID token signing algorithm")
    assert row.get_attribute("data-status") == "pass"
    assert "HS256, checked with the client secret" in row.inner_text()
    screenshot(page, "id-token-signing-hs-2-saved")

    test_at_the_idp(page, "uma")
    assert "it works" in page.inner_text("h1")
    assert "uma@acme.test" in page.inner_text("main")
    screenshot(page, "id-token-signing-hs-3-test-works")


def test_left_on_the_idps_public_keys_the_test_names_the_idps_setting(owner_page, live_server, hs_oidc_idp, acme):
    clean_artifacts("id-token-signing-default")
    page = owner_page
    page.goto(f"{live_server.url}/orgs/acme/connections/add/oidc/")
    fill_form(page, hs_oidc_idp, secret=hs_oidc_idp.client_secret, alg="jwks")
    page.wait_for_selector("#preflight")
    test_at_the_idp(page, "uma")
    main = page.inner_text("main")
    assert "it would fail" in page.inner_text("h1")
    assert "hs_alg_not_chosen" in main
    assert "OpenID Connect Relying Parties → your RP → Options → Security → ID Token signature algorithm" in main
    assert "Entra ID:" not in main  # this connection's IdP's words only
    screenshot(page, "id-token-signing-default-1-test-fails")

    # Without a connection, the troubleshooting page names the setting in every preset's words, and links the step.
    page.goto(f"{live_server.url}/orgs/acme/connections/troubleshooting/")
    entry = page.inner_text("#hs_alg_not_chosen")
    for preset in ("Microsoft Entra ID: it signs", "Okta: it signs", "Google Workspace: it signs", "ADFS: it signs"):
        assert preset in entry
    assert "other providers: the client's ID token signature algorithm; LemonLDAP::NG:" in entry
    page.locator("#hs_alg_not_chosen").screenshot(
        path=str(ARTIFACTS / "id-token-signing-default-2-troubleshooting.png")
    )
    page.click("#hs_alg_not_chosen >> text=Any OpenID Connect provider (OIDC): Check how ID tokens are signed")
    page.wait_for_selector("#step-signing")
    assert "ID Token signature algorithm" in page.inner_text("#step-signing")
    screenshot(page, "id-token-signing-default-3-guide-step")
