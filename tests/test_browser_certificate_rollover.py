"""A certificate rollover walked in a real browser (Debian's Chromium) against a real IdP (SimpleSAMLphp) that
re-keys mid-test: the reminder mail's link, the IdP's new certificate pasted, a sign-in signed by it, the old
certificate retired, and not one failed sign-in on the way. Screenshots land in test-artifacts/."""

import re

import pytest

from connections.events import Outcome, SignInEvent
from connections.models import SAMLCertificate
from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import service_provider_get_or_create
from connections.tasks import send_expiry_reminders
from domains.models import Domain
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.support.smtp_server import html_of, text_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()
SHOTS = "cert-rollover"


@pytest.fixture
def idp(live_server, settings, acme, alice):
    from tests.support.saml_idp import SimpleSAMLphpIdP, available

    if reason := available():
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    settings.PUBLIC_BASE_URL = live_server.url
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    sp = service_provider_get_or_create(org=acme)
    with SimpleSAMLphpIdP(
        sp_entity_id=sp.entity_id, acs_url=f"{live_server.url}/sso/saml", sp_certificate_pem=sp.certificate_pem
    ) as server:
        yield server


def sign_in(browser, base_url, shot: str):
    """Ada signs in with SSO in a browser of her own, through SimpleSAMLphp's login form."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.click("text=Sign in with SSO")
    page.fill("#id_email", "ada@acme.test")
    page.click("main button.primary")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "pass")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base_url}/orgs/acme/")
    assert "ada@acme.test" in page.content()
    screenshot(page, f"{SHOTS}-{shot}")
    context.close()


def owner_signs_in(browser, base_url, then: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base_url}/login/?next={then}")
    page.fill("#id_username", "alice@acme.test")
    page.fill("#id_password", "correct-horse-battery")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return page


def on_file(connection):
    return list(SAMLCertificate.objects.filter(saml_settings__connection=connection).order_by("added_at", "pk"))


def test_a_certificate_rollover_from_the_reminder_to_the_retired_certificate(browser, live_server, idp, smtp, acme):
    clean_artifacts(SHOTS)
    base_url = live_server.url
    connection = saml_connection_save(
        org=acme, display_name="SimpleSAMLphp", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
    )
    (old,) = on_file(connection)
    sign_in(browser, base_url, "1-signed-in-with-the-old-key")

    # The IdP's certificate lives 30 days: the daily job's 30-day reminder is due now.
    assert send_expiry_reminders.call() == {"saml": 1, "oidc": 0}
    (mail,) = smtp.wait_for(1)
    html = html_of(mail)
    assert old.sha256_fingerprint in text_of(mail) and old.sha256_fingerprint in html
    link = re.search(r'href="([^"]+#next-certificate)"', html).group(1)
    assert link == f"{base_url}/orgs/acme/connections/{connection.public_id}/edit/#next-certificate"
    mail_view = browser.new_context(viewport={"width": 760, "height": 900}).new_page()
    mail_view.set_content(html)
    screenshot(mail_view, f"{SHOTS}-2-reminder-mail")

    page = owner_signs_in(browser, base_url, then=link.removeprefix(base_url).split("#")[0])
    page.goto(link)
    assert page.is_visible("#next-certificate")

    new_pem = idp.rekey()  # the IdP's admin makes a new certificate active: it publishes and signs with it only
    page.fill("#id_certificate", new_pem)
    page.click("#next-certificate button[type=submit]")
    page.wait_for_selector("text=Sign-ins signed by it or by the current certificate are accepted")
    assert page.is_visible("#rollover-banner")
    old, new = on_file(connection)
    assert "OU=idp-2" in new.subject

    sign_in(browser, base_url, "3-signed-in-with-the-new-key")
    page.reload()
    new_row = page.locator(f"#cert-{new.public_id}")
    assert "Signed the last sign-in" in new_row.inner_text()
    assert "Signed the last sign-in" not in page.locator(f"#cert-{old.public_id}").inner_text()
    assert "Rollover in progress" in page.inner_text("main")
    page.locator("#certificates").scroll_into_view_if_needed()
    screenshot(page, f"{SHOTS}-4-connection-page-during-the-rollover")
    page.goto(f"{base_url}/orgs/acme/connections/")
    assert "Rollover in progress" in page.inner_text("main")
    assert f"Last sign-in signed by {new.sha256_fingerprint[:11]}" in page.inner_text("main")
    screenshot(page, f"{SHOTS}-5-list-during-the-rollover")

    page.goto(f"{base_url}/orgs/acme/connections/{connection.public_id}/edit/#certificates")
    page.locator(f"#cert-{old.public_id} >> text=Retire").click()
    page.wait_for_selector("text=Retire this signing certificate?")
    screenshot(page, f"{SHOTS}-6-retire-confirm")
    page.click("main button.danger")
    page.wait_for_selector("text=retired: sign-ins signed by it are no longer accepted")
    assert on_file(connection) == [new]
    assert "Rollover in progress" not in page.inner_text("main")
    screenshot(page, f"{SHOTS}-7-old-certificate-retired")

    sign_in(browser, base_url, "8-signed-in-after-the-retirement")
    assert SignInEvent.objects.filter(outcome=Outcome.FAILURE).count() == 0
    assert SignInEvent.objects.filter(outcome=Outcome.SUCCESS, connection=connection).count() == 3
