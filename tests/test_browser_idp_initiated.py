"""IdP-initiated sign-in walked in a real browser (Debian's Chromium) against a real IdP (SimpleSAMLphp): Ada opens
the IdP's link for us (its portal tile) and is refused while the switch is off; Alice, the owner, finds the refusal
under Sign-in events with the switch as the fix, turns the switch on on the connection's page, where its warning
says what it gives up; Ada's next try from the portal signs her in and lands on the path the RelayState named.
Screenshots land in test-artifacts/."""

import pytest

from connections.events import SignInEvent
from connections.saml.metadata import parse_idp_metadata
from connections.saml.models import SAMLSettings
from connections.saml.services import saml_connection_save
from kloudsso.audit.models import AuditEvent
from tests.support.browser import ARTIFACTS, allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.test_browser_certificate_rollover import idp  # noqa: F401 -- SimpleSAMLphp for Acme's SP, JIT on

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()
SHOTS = "idp-initiated"
LANDING = "/orgs/acme/?from=portal"


def from_the_portal(browser, idp, base_url: str, relay_state: str, shot: str):  # noqa: F811
    """Ada, in a browser of her own, opens the IdP's link for this SP and signs in at SimpleSAMLphp's form; its
    page posts the answer to our ACS by itself. Returns her page where that lands."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(idp.idp_initiated_url(relay_state=relay_state))
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "pass")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(lambda url: url.startswith(base_url))  # through our ACS and its finish step
    screenshot(page, f"{SHOTS}-{shot}")
    return page


def test_the_owner_turns_idp_initiated_sign_in_on_and_the_portal_then_signs_in(
    browser,
    owner_page,
    live_server,
    idp,  # noqa: F811
    acme,
):
    clean_artifacts(SHOTS)
    base_url = live_server.url
    connection = saml_connection_save(
        org=acme, display_name="SimpleSAMLphp", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
    )

    # Off, as every connection starts: the portal's sign-in is refused, and the owners are told.
    ada = from_the_portal(browser, idp, base_url, LANDING, "1-refused")
    assert "/orgs/acme/" not in ada.url
    assert "unsolicited_response" in ada.inner_text("main")
    assert "not from your identity provider's portal" in ada.inner_text("main")
    ada.context.close()

    page = owner_page
    page.goto(f"{base_url}/orgs/acme/connections/sign-in-events/")
    row = page.locator("tbody tr", has_text="Unsolicited (IdP-initiated) response")
    assert row.count() == 1 and "SimpleSAMLphp" in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_selector("text=How to fix it")
    detail = page.inner_text("main")
    assert "allow IdP-initiated sign-in" in detail and "Connections → edit the connection" in detail
    assert "ada@acme.test" in detail  # who the IdP signed in
    screenshot(page, f"{SHOTS}-2-event-for-the-owner")

    # The switch, on the connection's page (the event links to it), with its warning.
    page.click("#idp-initiated-switch")
    page.wait_for_url(f"**/connections/{connection.public_id}/edit/#idp-initiated")
    card = page.locator("#idp-initiated")
    assert card.locator("#idp-initiated-state").inner_text() == "Off"
    warning = card.locator("#idp-initiated-warning").inner_text()
    assert "InResponseTo" in warning and "replay is refused by its assertion ID" in warning
    assert "path on this site" in warning
    assert not card.locator("input[name=allow_idp_initiated]").is_checked()
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(ARTIFACTS / f"{SHOTS}-3-switch-off.png"))
    card.locator("input[name=allow_idp_initiated]").check()
    card.locator("#idp-initiated-save").click()
    page.wait_for_url("**/edit/#idp-initiated")
    assert "IdP-initiated sign-in allowed" in page.inner_text(".messages")
    assert page.locator("#idp-initiated-state").inner_text() == "On"
    assert page.locator("#idp-initiated input[name=allow_idp_initiated]").is_checked()
    preflight = page.locator("#preflight tr", has_text="IdP-initiated sign-in").inner_text()
    assert "On: answers to no request are accepted" in preflight
    screenshot(page, f"{SHOTS}-4-connection-page-switch-on")
    page.locator("#idp-initiated").screenshot(path=str(ARTIFACTS / f"{SHOTS}-4-switch-on.png"))
    page.locator("#preflight").screenshot(path=str(ARTIFACTS / f"{SHOTS}-4-preflight.png"))
    assert SAMLSettings.objects.get(connection=connection).allow_idp_initiated
    audit = AuditEvent.objects.get(action="connection.idp_initiated_allowed")
    assert audit.actor.email == "alice@acme.test"

    # On: the same portal link signs Ada in and lands where its RelayState said.
    ada = from_the_portal(browser, idp, base_url, LANDING, "5-signed-in")
    assert ada.url == f"{base_url}{LANDING}"
    assert "ada@acme.test" in ada.content()
    assert SignInEvent.objects.filter(outcome="success", connection=connection).count() == 1
    ada.context.close()

    # A RelayState off this site is not followed: the organization's page instead.
    ada = from_the_portal(browser, idp, base_url, "//evil.test/phish", "6-hostile-relay-state")
    assert ada.url == f"{base_url}/orgs/acme/"
    ada.context.close()
