"""Forgiving sign-in pages in a real browser (Debian's Chromium) against the real test IdPs: sign in, then press
back or reopen the callback or finish URL, see "already signed in", click Continue and land signed in on the
organization's page; an older tab's sign-in that fails says so under a header that agrees; Sign in as someone
else. Also the overview in each state. Screenshots land in test-artifacts/forgiving-*.png."""

from datetime import timedelta

import pytest
from django.utils import timezone

from domains.models import Domain
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()


@pytest.fixture(scope="module", autouse=True)
def _fresh_screenshots():
    clean_artifacts("forgiving")


@pytest.fixture
def acme_jit(acme):
    acme.provisioning_mode = "jit"
    acme.save()
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    return acme


def new_page(browser):
    return browser.new_context(viewport={"width": 1100, "height": 760}).new_page()


def sso_sign_in(page, base_url, email, at_idp):
    page.goto(f"{base_url}/sso/login")
    page.fill("#id_email", email)
    page.click("main button.primary")
    at_idp(page)
    page.wait_for_url(f"{base_url}/orgs/acme/")


def at_oidc_idp(login):
    def sign_in(page):
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", "pass")
        page.click("button[type=submit]")

    return sign_in


def at_saml_idp(login):
    def sign_in(page):
        page.fill("input[name=username]", login)
        page.fill("input[name=password]", "pass")
        page.click("button[type=submit], input[type=submit]")

    return sign_in


def continue_lands_signed_in(page, base_url, email):
    page.click("#continue")
    page.wait_for_url(f"{base_url}/orgs/acme/")
    assert page.inner_text("header .account span") == email


def test_oidc_a_reopened_callback_says_already_signed_in(browser, live_server, settings, oidc_idp, acme_jit):
    from tests.support.factories import oidc_connection_for_idp

    settings.PUBLIC_BASE_URL = base_url = live_server.url
    oidc_connection_for_idp(acme_jit, oidc_idp)
    page = new_page(browser)
    callbacks = []
    page.on("request", lambda r: callbacks.append(r.url) if r.url.startswith(f"{base_url}/sso/oidc?") else None)
    sso_sign_in(page, base_url, "bea@acme.test", at_oidc_idp("bea"))
    assert len(callbacks) == 1

    page.goto(callbacks[0])  # a bookmark, a second tab, the history
    assert page.inner_text("h1") == "You're already signed in as bea@acme.test"
    assert "could not sign you in" not in page.content()
    screenshot(page, "forgiving-oidc-1-already-signed-in")
    continue_lands_signed_in(page, base_url, "bea@acme.test")

    page.go_back()  # back to the stale page's URL, the callback: the same answer again
    page.wait_for_selector("text=You're already signed in as bea@acme.test")
    continue_lands_signed_in(page, base_url, "bea@acme.test")

    page.goto(f"{base_url}/sso/login")
    assert page.inner_text("h1") == "You're signed in as bea@acme.test"
    screenshot(page, "forgiving-oidc-2-prompt-while-signed-in")
    page.click("text=Sign in as someone else")
    page.wait_for_selector("#id_email")
    assert page.locator("header .account").count() == 0  # signed out first
    screenshot(page, "forgiving-oidc-3-someone-else")


def test_oidc_an_older_tabs_prompt_after_signing_in_reloads_to_signed_in(
    browser, live_server, settings, oidc_idp, acme_jit
):
    from tests.support.factories import oidc_connection_for_idp

    settings.PUBLIC_BASE_URL = base_url = live_server.url
    oidc_connection_for_idp(acme_jit, oidc_idp)
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    older = context.new_page()
    older.goto(f"{base_url}/sso/login")  # opened before signing in: its CSRF token rotates at the sign-in
    sso_sign_in(context.new_page(), base_url, "bea@acme.test", at_oidc_idp("bea"))

    older.fill("#id_email", "bea@acme.test")
    older.click("main button.primary")
    older.wait_for_selector("text=This page was out of date")
    screenshot(older, "forgiving-oidc-4-older-tab")
    older.click("#reload")
    older.wait_for_selector("text=You're signed in as bea@acme.test")
    continue_lands_signed_in(older, base_url, "bea@acme.test")


def test_oidc_a_failure_after_signing_in_elsewhere_keeps_the_session(
    browser, live_server, settings, oidc_idp, acme_jit, alice
):
    from tests.support.factories import oidc_connection_for_idp

    settings.PUBLIC_BASE_URL = base_url = live_server.url
    oidc_connection_for_idp(acme_jit, oidc_idp)
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    at_idp = context.new_page()
    at_idp.goto(f"{base_url}/sso/login")
    at_idp.fill("#id_email", "eve@acme.test")
    at_idp.click("main button.primary")
    at_idp.wait_for_selector("input[name=login]")  # the IdP's login form, left open
    other = context.new_page()
    other.goto(f"{base_url}/login/")
    other.fill("#id_username", "alice@acme.test")
    other.fill("#id_password", "correct-horse-battery")
    other.click("main button[type=submit]")
    other.wait_for_url("**/orgs/acme/")

    at_oidc_idp("eve")(at_idp)  # eve@evil.test: not on a verified domain
    at_idp.wait_for_selector("text=You are still signed in as")
    assert at_idp.inner_text("h1") == "That sign-in did not work"
    assert "eve@evil.test is not on a domain" in at_idp.inner_text(".errorbox")
    assert at_idp.inner_text("header .account span") == "alice@acme.test"
    screenshot(at_idp, "forgiving-oidc-5-failure-while-signed-in")
    continue_lands_signed_in(at_idp, base_url, "alice@acme.test")


def test_saml_back_to_the_idp_and_a_reopened_finish_say_already_signed_in(browser, live_server, settings, acme_jit):
    from connections.saml.metadata import parse_idp_metadata
    from connections.saml.services import saml_connection_save
    from connections.sp import service_provider_get_or_create
    from tests.support.saml_idp import SimpleSAMLphpIdP
    from tests.support.saml_idp import available as saml_available

    if reason := saml_available():
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    settings.PUBLIC_BASE_URL = base_url = live_server.url
    sp = service_provider_get_or_create(org=acme_jit)
    with SimpleSAMLphpIdP(
        sp_entity_id=sp.entity_id, acs_url=f"{base_url}/sso/saml", sp_certificate_pem=sp.certificate_pem
    ) as idp:
        saml_connection_save(
            org=acme_jit, display_name="SimpleSAMLphp", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
        )
        page = new_page(browser)
        finishes = []
        page.on("request", lambda r: finishes.append(r.url) if "/sso/saml/finish/" in r.url else None)
        sso_sign_in(page, base_url, "ada@acme.test", at_saml_idp("ada"))

        page.go_back()  # to the IdP's page: it answers again, a request no longer open
        page.wait_for_selector("text=You're already signed in as ada@acme.test")
        screenshot(page, "forgiving-saml-1-back-button")
        continue_lands_signed_in(page, base_url, "ada@acme.test")

        page.goto(finishes[0])  # the first finish step, reopened: its stash is used up
        assert page.inner_text("h1") == "You're already signed in as ada@acme.test"
        screenshot(page, "forgiving-saml-2-reopened-finish")
        continue_lands_signed_in(page, base_url, "ada@acme.test")

        stranger = new_page(browser)
        stranger.goto(finishes[0])  # signed out, the same link: a failure with one button that works
        assert stranger.inner_text("h1") == "We could not sign you in"
        screenshot(stranger, "forgiving-saml-3-signed-out-stale-link")
        stranger.click("#try-again")
        stranger.wait_for_selector("#id_email")


def test_the_overview_in_each_state(browser, live_server, alice, acme):
    from connections.saml.models import SAMLCertificate
    from tests.support.factories import oidc_connection, saml_connection

    base_url = live_server.url
    page = new_page(browser)
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", "alice@acme.test")
    page.fill("#id_password", "correct-horse-battery")
    page.click("main button[type=submit]")
    page.wait_for_url("**/orgs/acme/")

    def shot(name, expected):
        page.goto(f"{base_url}/orgs/acme/")
        found = [page.get_attribute(f"#step-{n}", "data-state") for n in range(1, 7)]
        assert found == expected
        screenshot(page, f"forgiving-overview-{name}")

    shot("1-new", ["to do", "to do", "to do", "done", "to do", "optional"])
    Domain.objects.create(organization=acme, name="acme.test")
    saml = saml_connection(acme)
    SAMLCertificate.objects.filter(saml_settings=saml.saml).update(not_after=timezone.now() - timedelta(days=3))
    shot("2-attention", ["done", "needs attention", "needs attention", "done", "to do", "optional"])
    saml.delete()
    Domain.objects.filter(organization=acme).update(status="verified")
    oidc_connection(acme)
    acme.connections.update(last_successful_signin_at=timezone.now())
    acme.enforce_sso = True
    acme.save()
    shot("3-done", ["done"] * 6)
    page.click("#step-3 a")
    page.wait_for_url(f"{base_url}/orgs/acme/domains/")
