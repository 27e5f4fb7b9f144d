"""The audit log in a real browser (Debian's Chromium): the owner disables a connection, switches to just-in-time
provisioning and invites someone, then reads each change on the audit log page, and a bad date is explained.
Screenshots land in test-artifacts/."""

import pytest

from kloudsso.audit.models import AuditEvent
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.support.factories import oidc_connection, saml_connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()


def test_the_owner_reads_their_changes_on_the_audit_log(browser, live_server, alice, acme):
    clean_artifacts("audit-log")
    oidc_connection(acme)
    saml_connection(acme)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice@acme.test")
    page.fill("#id_password", "correct-horse-battery")
    page.click("main button[type=submit]")
    page.wait_for_url("**/orgs/acme/")

    page.goto(f"{live_server.url}/orgs/acme/connections/")
    with page.expect_navigation():
        page.locator("tr", has_text="Entra ID").get_by_role("button", name="Disable").click()
    page.goto(f"{live_server.url}/orgs/acme/sso-settings/")
    page.check("input[name=provisioning_mode][value=jit]")
    with page.expect_navigation():
        page.click("text=Save SSO settings")
    page.goto(f"{live_server.url}/orgs/acme/members/")
    page.fill("#id_email", "dana@acme.test")
    with page.expect_navigation():
        page.click("main button:has-text('Invite')")

    page.click("nav.mainnav >> text=Audit log")
    page.wait_for_url("**/orgs/acme/audit-log/")
    screenshot(page, "audit-log-1-changes")
    table = page.locator("table.list.audit").inner_text()
    for words in ["Invitation sent", "SSO settings changed", "Connection disabled", "Connection added", "127.0.0.1"]:
        assert words in table
    assert "invite_only" in table and "jit" in table
    assert AuditEvent.objects.filter(actor=alice).count() == 3

    page.select_option("#id_what", "connection")
    page.fill("#id_since", "2026-01-01")
    with page.expect_navigation():
        page.click("text=Filter")
    filtered = page.locator("table.list.audit").inner_text()
    assert "Connection disabled" in filtered and "Invitation sent" not in filtered
    page.goto(f"{live_server.url}/orgs/acme/audit-log/?since=2026-02-30&who=alice")
    screenshot(page, "audit-log-2-bad-date")
    assert "From: Enter a valid date. This filter was not applied." in page.locator("main").inner_text()
