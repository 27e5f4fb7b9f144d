"""The Notifications page and the domain mails in Debian's Chromium: the page works under the CSP, and each mail's
HTML renders on its own, fetching nothing, at desktop and phone widths. Screenshots land in
test-artifacts/notify-*.png."""

import pytest
from django.utils import timezone

from domains.models import Domain
from domains.services import domain_recheck
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.support.csp_watch import CSPViolations
from tests.support.smtp_server import html_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()


def test_the_owner_sets_the_notification_address_in_the_browser(browser, live_server, settings, alice, bob):
    clean_artifacts("notify-page")
    settings.PUBLIC_BASE_URL = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    csp = CSPViolations(context, live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice@acme.test")
    page.fill("#id_password", "correct-horse-battery")
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/orgs/acme/sso-settings/")
    screenshot(page, "notify-page-0-sso-settings")
    page.click("text=Notification settings")
    page.wait_for_url("**/orgs/acme/notifications/")
    page.fill("#id_notification_email", "it-team")
    page.click("text=Save notification settings")
    assert page.locator("#field-notification_email .error").inner_text() == (
        "Enter a whole email address, such as it-team@acme.com."
    )
    screenshot(page, "notify-page-error")
    page.fill("#id_notification_email", "it-team@acme.com")
    page.uncheck("#id_receives_reminders")
    page.click("text=Save notification settings")
    assert "Notification settings saved." in page.inner_text(".messages")
    assert "it-team@acme.com (notification address)" in page.inner_text("table.list")
    screenshot(page, "notify-page")
    assert csp.seen == []


def test_each_domain_mail_renders_fetching_nothing(browser, dns, smtp, acme, alice):
    clean_artifacts("notify-mail")
    domain = Domain.objects.create(organization=acme, name="acme.com", status="verified", verified_at=timezone.now())
    domain_recheck(domain=domain)  # missing
    domain.refresh_from_db()
    dns.add_txt(domain.record_name, domain.record_value)
    domain_recheck(domain=domain)  # back
    domain.refresh_from_db()
    dns.clear(domain.record_name)
    Domain.objects.filter(pk=domain.pk).update(failing_since=timezone.now() - timezone.timedelta(days=8))
    domain.refresh_from_db()
    domain_recheck(domain=domain)  # stops counting
    names = ["record-missing", "record-restored", "unverified"]
    assert len(smtp.messages) == len(names)
    for name, message in zip(names, smtp.messages, strict=True):
        for width, label in ((800, "desktop"), (375, "phone")):
            page = browser.new_page(viewport={"width": width, "height": 700})
            requests = []
            page.on("request", lambda request, seen=requests: seen.append(request.url))
            page.set_content(html_of(message))
            assert requests == [], name  # no image, font or stylesheet for a mail client to block
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, label)
            screenshot(page, f"notify-mail-{name}-{label}")
            page.close()
