"""Groups → roles in a real browser (Debian's Chromium): the owner maps an Entra group object ID to admin and
refuses people in no mapped group on the connection's Groups page, then Test connection through the oidc-provider
test IdP explains which group made the role, and a refusal names the groups; the Members page shows the names the
IdP sent. Screenshots land in test-artifacts/."""

import re

import pytest
import requests

from connections.role_mapping import RoleMapping
from domains.models import Domain
from kloudsso.audit.models import AuditEvent
from tests.support.browser import ARTIFACTS, allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.support.factories import oidc_connection_for_idp
from tests.support.sso_browser import oidc_sign_in
from tests.test_group_roles_flow import ADMINS, mapping_idp  # noqa: F401 -- a fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()


@pytest.fixture
def connection(acme, mapping_idp):  # noqa: F811
    acme.provisioning_mode = "jit"
    acme.save()
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    return oidc_connection_for_idp(acme, mapping_idp, display_name="Entra ID")


def sign_in_at_idp(page, login: str):
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "pass")
    page.click("button[type=submit]")


def test_the_owner_maps_groups_and_test_connection_explains_the_role(owner_page, live_server, connection):
    clean_artifacts("group-roles")
    page, base_url = owner_page, live_server.url
    page.goto(f"{base_url}/orgs/acme/connections/{connection.public_id}/edit/")
    page.click("#groups-link a")
    page.wait_for_selector("#add-group")
    screenshot(page, "group-roles-1-empty")
    page.fill("#id_group", ADMINS)
    page.select_option("#id_role", "admin")
    page.click("#add-group button[type=submit]")
    page.wait_for_selector("#group-rules")
    assert ADMINS in page.inner_text("#group-rules") and "Admin" in page.inner_text("#group-rules")
    page.check("#group-settings input[value=refuse]")
    page.click("#group-settings button[type=submit]")
    page.wait_for_selector(".messages, .flash, main")
    assert "Saved" in page.inner_text("main")
    screenshot(page, "group-roles-2-mapped")
    mapping = RoleMapping.objects.get(connection=connection)
    assert mapping.rules_data == [{"group": ADMINS, "role": "admin"}] and mapping.unmatched == "refuse"
    assert AuditEvent.objects.filter(action__startswith="group_roles").count() == 2

    page.goto(f"{base_url}/orgs/acme/connections/{connection.public_id}/edit/")
    page.click("#preflight-test")
    sign_in_at_idp(page, "gia")
    page.wait_for_selector("ul.checks")
    checks = page.inner_text("ul.checks")
    assert "Role: admin" in checks and f"groups holds {ADMINS}, mapped to admin" in checks
    assert "Names: Gia Rossi" in checks
    screenshot(page, "group-roles-3-test-admin")

    page.context.clear_cookies(name=re.compile(r"^_session"))  # signed out at the IdP (oidc-provider's cookies)
    page.goto(f"{base_url}/orgs/acme/connections/{connection.public_id}/edit/")
    page.click("#preflight-test")
    sign_in_at_idp(page, "ned")
    page.wait_for_selector("ul.checks")
    main = page.inner_text("main")
    assert "no_matching_group" in main and "groups holds interns" in main and f"{ADMINS} → admin" in main
    screenshot(page, "group-roles-4-test-refused")


def test_the_members_page_shows_the_names_the_idp_sent(owner_page, live_server, connection):
    oidc_sign_in(requests.Session(), live_server.url, "gia@acme.test", "gia")
    page = owner_page
    page.goto(f"{live_server.url}/orgs/acme/members/")
    row = page.locator("tr", has_text="gia@acme.test").inner_text()
    assert "Gia Rossi" in row
    screenshot(page, "group-roles-5-members")
    page.goto(f"{live_server.url}/orgs/acme/connections/guides/entra-oidc/")
    assert "Names and groups." in page.inner_text(".guide-facts")
    page.locator(".guide-facts").screenshot(path=str(ARTIFACTS / "group-roles-6-guide-facts.png"))
