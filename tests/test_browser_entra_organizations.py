"""The owner edits an /organizations/ connection's allowed Entra tenants in a real browser (Debian's Chromium),
against the test IdP's tenants: the list is saved and checked at Entra, shown with the checklist's line for it, a
bad line is refused with nothing saved, and Test connection signs in through a listed tenant. Screenshots land in
test-artifacts/entra-organizations-*.png."""

import pytest

from connections.models import Connection
from domains.models import Domain
from kloudsso.audit.models import AuditEvent
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.test_browser_preflight import statuses
from tests.test_oidc_entra_organizations import ACME, ACME_EU, NOWHERE, entra  # noqa: F401 -- the IdP fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()
SAVE = "main .formactions button.primary"  # not the checklist's Test connection, also primary


def tenant_rows(page) -> list[str]:
    rows = page.locator("#allowed-tenants tbody tr")
    return [" | ".join(rows.nth(i).locator("td").all_inner_texts()) for i in range(rows.count())]


def test_the_owner_lists_edits_and_tests_the_allowed_tenants(owner_page, live_server, entra, acme):  # noqa: F811
    clean_artifacts("entra-organizations")
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    page, base_url = owner_page, live_server.url
    page.goto(f"{base_url}/orgs/acme/connections/add/oidc/")
    page.fill("#id_display_name", "Entra ID (partners)")
    page.fill("#id_discovery_url", entra.organizations_discovery_url)
    page.fill("#id_client_id", entra.client_id)
    page.fill("#id_client_secret", entra.client_secret)
    page.click("main button.primary")
    error = page.locator("#id_entra_allowed_tenants").locator("xpath=..").inner_text()
    assert "list the Directory (tenant) IDs allowed" in error  # /organizations/ without a list: refused
    screenshot(page, "entra-organizations-1-list-required")
    assert not Connection.objects.exists()

    page.fill("#id_client_secret", entra.client_secret)  # write-only: typed again
    page.fill("#id_entra_allowed_tenants", f"{ACME} Acme HQ")
    page.click("main button.primary")
    page.wait_for_selector("#preflight")
    assert statuses(page)["Allowed Entra ID tenants"] == "pass"
    assert statuses(page)["Issuer matches the discovery URL"] == "pass"
    assert tenant_rows(page) == [f"Acme HQ | {ACME} | Found at Entra ID ({_today()})"]
    screenshot(page, "entra-organizations-2-saved")

    page.fill("#id_entra_allowed_tenants", f"{ACME} Acme HQ\n{NOWHERE} Typo Ltd")
    page.click(SAVE)
    assert f"Entra ID knows no tenant {NOWHERE}" in page.inner_text("main")
    screenshot(page, "entra-organizations-3-unknown-tenant")
    connection = Connection.objects.get()
    assert [str(t.tenant_id) for t in connection.oidc.allowed_tenants.all()] == [ACME]  # nothing half-saved

    page.fill("#id_entra_allowed_tenants", f"{ACME} Acme HQ\n{ACME_EU} Acme EU")
    page.click(SAVE)
    page.wait_for_selector("#preflight")
    assert tenant_rows(page) == [
        f"Acme EU | {ACME_EU} | Found at Entra ID ({_today()})",
        f"Acme HQ | {ACME} | Found at Entra ID ({_today()})",
    ]
    assert page.input_value("#id_entra_allowed_tenants") == f"{ACME_EU} Acme EU\n{ACME} Acme HQ"
    screenshot(page, "entra-organizations-4-two-tenants")
    edited = AuditEvent.objects.get(action="connection.edited")
    assert edited.changes["entra_allowed_tenants"][1] == [f"{ACME} (Acme HQ)", f"{ACME_EU} (Acme EU)"]

    page.click("#preflight-test")  # no login_hint in a test: the IdP's first tenant, ACME, signs in
    page.wait_for_selector("input[name=login]")
    assert f"/{ACME}/v2.0/" in page.url
    page.fill("input[name=login]", "bea")
    page.fill("input[name=password]", "pass")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/**")
    screenshot(page, "entra-organizations-5-test-result")
    report = page.inner_text("main")
    assert "Test of Entra ID (partners): it works" in report
    assert "Identity: an Entra ID object ID" in report and ACME in report


def _today() -> str:
    from django.utils import timezone

    return f"{timezone.now():%Y-%m-%d}"
