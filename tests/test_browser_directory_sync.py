"""Directory sync in a real browser (Debian's Chromium): the owner adds a directory and copies its values; a person
signed in on two app servers is signed out on both by one SCIM request. Screenshots land in test-artifacts/."""

import json

import pytest
import requests

from directory.models import SCIMDirectory
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Membership, Role
from tests.support.browser import ARTIFACTS, allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.support.scim import scim_directory, verified_domain
from tests.support.second_server import SecondServer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()
PASSWORD = "correct-horse-battery"
HEADERS = {"Content-Type": "application/scim+json"}


def test_the_owner_adds_a_directory_and_sees_its_values_once(owner_page, live_server, acme):
    clean_artifacts("directory")
    page = owner_page
    page.goto(f"{live_server.url}/orgs/acme/directories/")
    screenshot(page, "directory-list-empty")
    page.fill("#id_display_name", "Entra ID (employees)")
    page.select_option("#id_idp_kind", "entra")
    with page.expect_navigation():
        page.click("main button:has-text('Add directory')")
    directory = SCIMDirectory.objects.get(organization=acme)
    token = page.locator("#scim-token").inner_text()
    assert page.locator("#tenant-url").inner_text() == f"{live_server.url}/scim/v2/{directory.public_id}"
    assert token.startswith("kscim_") and page.get_by_text("shown only this once").is_visible()
    screenshot(page, "directory-detail-token")

    # The IdP calls: a user and a refusal show in the last requests and the people.
    verified_domain(acme, "acmecorp.com")
    base = f"{live_server.url}/scim/v2/{directory.public_id}"
    auth = {**HEADERS, "Authorization": f"Bearer {token}"}
    for name in ("dave@acmecorp.com", "mallory@elsewhere.com"):
        body = {"userName": name, "emails": [{"value": name, "primary": True}]}
        requests.post(f"{base}/Users", data=json.dumps(body), headers=auth, timeout=30)
    page.goto(f"{live_server.url}/orgs/acme/directories/{directory.public_id}/")
    assert token not in page.content()
    assert page.get_by_role("cell", name="dave@acmecorp.com").first.is_visible()
    assert page.get_by_text("outside Acme's verified domains").is_visible()
    screenshot(page, "directory-detail-requests")
    page.goto(f"{live_server.url}/orgs/acme/directories/")
    screenshot(page, "directory-list")


def test_a_deprovisioned_person_is_signed_out_on_both_app_servers(browser, live_server, settings, acme):
    settings.PUBLIC_BASE_URL = live_server.url
    verified_domain(acme, "acmecorp.com")
    dave = User.objects.create_user("dave@acmecorp.com", PASSWORD)
    Membership.objects.create(user=dave, organization=acme, role=Role.MEMBER)
    directory, token = scim_directory(acme)
    base = f"{live_server.url}/scim/v2/{directory.public_id}"
    auth = {**HEADERS, "Authorization": f"Bearer {token}"}
    body = {"userName": "dave@acmecorp.com", "emails": [{"value": "dave@acmecorp.com", "primary": True}]}
    scim_id = requests.post(f"{base}/Users", data=json.dumps(body), headers=auth, timeout=30).json()["id"]
    second = SecondServer(public_base_url=live_server.url)
    try:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "dave@acmecorp.com")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/orgs/acme/")
        page.goto(f"{second.url}/orgs/acme/")  # the other app server: the same session cookie, signed in
        assert "dave@acmecorp.com" in page.content()

        patch = {"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
        answer = requests.patch(f"{base}/Users/{scim_id}", data=json.dumps(patch), headers=auth, timeout=30)
        assert answer.status_code == 200

        for server in (live_server.url, second.url):
            page.goto(f"{server}/orgs/acme/")
            assert "/login/" in page.url, server
        screenshot(page, "directory-deprovisioned-signed-out")
        page.fill("#id_username", "dave@acmecorp.com")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        assert page.get_by_text("Your access to Acme has been removed by its identity provider").is_visible()
        screenshot(page, "directory-deprovisioned-password-refused")
    finally:
        second.close()


def test_the_owner_revokes_and_deletes_only_after_a_page_that_says_what_happens(owner_page, live_server, acme):
    from django.test import Client

    from tests.support.scim import SCIMClient

    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme, name="Entra ID (employees)")
    scim = SCIMClient(Client(), directory, token)
    dave = User.objects.create_user("dave@acmecorp.com", PASSWORD)
    Membership.objects.create(user=dave, organization=acme, role=Role.MEMBER)
    ids = [scim.post("/Users", {"userName": f"{n}@acmecorp.com"}).json()["id"] for n in ("dave", "erin")]
    deactivate = {"Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert scim.patch(f"/Users/{ids[0]}", deactivate).status_code == 200
    page = owner_page
    page.goto(f"{live_server.url}/orgs/acme/directories/{directory.public_id}/")
    page.locator(".pagehead").screenshot(path=str(ARTIFACTS / "directory-detail-buttons.png"))

    page.click("main a:has-text('Revoke token')")
    assert page.get_by_role("heading", name="Revoke every token of Entra ID (employees)?").is_visible()
    screenshot(page, "directory-revoke-confirm")
    page.click("main a:has-text('Cancel')")
    directory.refresh_from_db()
    assert directory.revoked_at is None and page.url.endswith(f"/directories/{directory.public_id}/")

    page.click("main a:has-text('Delete directory')")
    assert page.get_by_text("1 person it deprovisioned loses their membership of Acme.").is_visible()
    assert page.get_by_text("dave@acmecorp.com.").is_visible()
    screenshot(page, "directory-delete-confirm")
    page.fill("#id_name", "entra id (employees)")
    page.click("main button:has-text('Delete directory')")
    assert page.get_by_text("letters' case counts").is_visible()
    screenshot(page, "directory-delete-wrong-name")
    assert SCIMDirectory.objects.filter(pk=directory.pk).exists()
    page.fill("#id_name", "Entra ID (employees)")
    with page.expect_navigation():
        page.click("main button:has-text('Delete directory')")
    assert page.url.endswith("/orgs/acme/directories/")
    assert page.get_by_text("1 person it had deprovisioned is no longer a member of Acme.").is_visible()
    screenshot(page, "directory-deleted")
    assert not SCIMDirectory.objects.exists()
    assert set(Membership.objects.filter(organization=acme).values_list("user__email", flat=True)) == {
        "alice@acme.test",
        "erin@acmecorp.com",
    }


def test_the_owner_chooses_where_roles_come_from_and_sees_each_persons_role(owner_page, live_server, acme):
    from connections.role_mapping import RoleMapping
    from connections.role_mapping_services import role_rule_add
    from tests.support.factories import oidc_connection

    connection = oidc_connection(acme)
    role_rule_add(org=acme, mapping=RoleMapping(connection=connection), group="KloudSSO admins", role=Role.ADMIN)
    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme)
    base = f"{live_server.url}/scim/v2/{directory.public_id}"
    auth = {**HEADERS, "Authorization": f"Bearer {token}"}
    ids = []
    for name in ("dave@acmecorp.com", "erin@acmecorp.com"):
        body = {"userName": name, "emails": [{"value": name, "primary": True}]}
        ids.append(requests.post(f"{base}/Users", data=json.dumps(body), headers=auth, timeout=30).json()["id"])
    group = {"displayName": "KloudSSO admins", "members": [{"value": ids[0]}]}
    assert requests.post(f"{base}/Groups", data=json.dumps(group), headers=auth, timeout=30).status_code == 201

    page = owner_page
    page.goto(f"{live_server.url}/orgs/acme/directories/{directory.public_id}/")
    assert page.get_by_text("Groups change no role: people this directory provisions").is_visible()
    page.select_option("#id_role_connection", label="Entra ID (OIDC)")
    with page.expect_navigation():
        page.click("#roles-form button[type=submit]")
    assert page.get_by_text("Applied now: 1 made admin.").is_visible()
    assert page.locator("#roles p").first.inner_text().startswith("Roles follow the group → role mapping of Entra ID")
    row = page.locator("tr", has=page.get_by_role("cell", name="dave@acmecorp.com").first)
    assert row.get_by_role("cell", name="Admin", exact=True).is_visible()
    screenshot(page, "directory-detail-roles")
