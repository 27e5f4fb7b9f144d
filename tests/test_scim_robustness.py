"""The SCIM API as a careless or hostile IdP hits it: text no column holds, and requests racing each other.

PostgreSQL refuses NUL in text and jsonb where SQLite stores it; a lone surrogate has no UTF-8 at all. The races
(row locks, waits on unique keys) are PostgreSQL's; SQLite's IMMEDIATE transactions run writers one after the other.
"""

import json

import pytest
from django.conf import settings

from directory.models import SCIMGroup, SCIMRequest, SCIMUser, SCIMUserEmail
from kloudsso.accounts.models import User
from tests.support.scim import SCIMClient, scim_directory, verified_domain

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]
postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason="a race of row locks: PostgreSQL only")


def user(user_name: str, **extra) -> dict:
    emails = [{"value": user_name, "type": "work", "primary": True}]
    return {"schemas": [CORE], "userName": user_name, "emails": emails, **extra}


def patch(*operations):
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(operations)}


@pytest.fixture
def scim(client, acme):
    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme)
    return SCIMClient(client, directory, token)


def error(response) -> tuple[int, str | None, str]:
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    return response.status_code, body.get("scimType"), body["detail"]


def last_logged() -> SCIMRequest:
    return SCIMRequest.objects.order_by("-pk").first()


# Text no column holds.

NUL_BODIES = {
    "userName": user("ada\u0000@acmecorp.com"),
    "displayName": user("ada@acmecorp.com", displayName="Ada\u0000"),
    "externalId": user("ada@acmecorp.com", externalId="id\u0000"),
    "name.givenName": user("ada@acmecorp.com", name={"givenName": "A\u0000da"}),
    "an email's type": user("ada@acmecorp.com", emails=[{"value": "ada@acmecorp.com", "type": "w\u0000rk"}]),
    "an extension attribute": user("ada@acmecorp.com", **{ENTERPRISE: {"department": "R\u0000D"}}),
    "an attribute no schema has": user("ada@acmecorp.com", nickname2="x\u0000"),
    "a key": user("ada@acmecorp.com", **{"x\u0000": "y"}),
}


@pytest.mark.parametrize("where", NUL_BODIES)
def test_a_nul_character_anywhere_in_a_new_user_is_a_400_that_says_so_and_nothing_is_stored(scim, where):
    response = scim.post("/Users", NUL_BODIES[where])
    status, scim_type, detail = error(response)
    assert (status, scim_type) == (400, "invalidValue")
    assert "NUL character (\\u0000)" in detail
    assert not SCIMUser.objects.exists() and not User.objects.filter(email="ada@acmecorp.com").exists()
    assert last_logged().status == 400 and "NUL" in last_logged().error


def test_a_lone_surrogate_in_a_body_is_a_400_not_a_500(scim):
    body = json.dumps(user("ada@acmecorp.com")).replace('"userName"', '"displayName": "Ada \\ud800", "userName"')
    status, scim_type, detail = error(scim.post("/Users", body))
    assert (status, scim_type) == (400, "invalidValue") and "lone surrogate" in detail
    assert not SCIMUser.objects.exists()


def test_a_nul_character_in_a_group_or_a_member_id_is_a_400(scim):
    assert error(scim.post("/Groups", {"schemas": [GROUP], "displayName": "Eng\u0000"}))[:2] == (400, "invalidValue")
    members = [{"value": "00000000-0000-0000-0000-000000000000\u0000"}]
    response = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Eng", "members": members})
    assert error(response)[:2] == (400, "invalidValue")
    assert not SCIMGroup.objects.exists()


def test_a_patch_adding_a_nul_character_changes_nothing(scim):
    created = scim.post("/Users", user("ada@acmecorp.com")).json()
    response = scim.patch(f"/Users/{created['id']}", patch({"op": "replace", "path": "displayName", "value": "\u0000"}))
    assert error(response)[:2] == (400, "invalidValue")
    assert SCIMUser.objects.get().display_name == ""


def test_a_nul_character_spelled_in_a_patch_paths_filter_is_a_400_and_changes_nothing(scim):
    # The body is clean JSON; the filter's own escape makes the NUL, and the library would create that email.
    created = scim.post("/Users", user("ada@acmecorp.com")).json()
    operation = {"op": "replace", "path": 'emails[type eq "\\u0000"].value', "value": "ada2@acmecorp.com"}
    status, scim_type, detail = error(scim.patch(f"/Users/{created['id']}", patch(operation)))
    assert (status, scim_type) == (400, "invalidValue") and "NUL character" in detail
    assert SCIMUser.objects.get().attributes["emails"] == created["emails"]
    assert list(SCIMUserEmail.objects.values_list("value_key", flat=True)) == ["ada@acmecorp.com"]


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
@pytest.mark.parametrize("path", ["/Users/.search", "/Groups/.search", "/.search"])
def test_a_filter_value_spelling_text_no_column_holds_is_an_invalid_filter(scim, escape, path):
    attribute = "displayName" if path.startswith("/Groups") else "userName"
    status, scim_type, detail = error(scim.post(path, {"filter": f'{attribute} eq "a{escape}"'}))
    assert (status, scim_type) == (400, "invalidFilter")
    assert "NUL character" in detail or "lone surrogate" in detail


def test_an_emails_filter_spelling_a_nul_character_is_an_invalid_filter(scim):
    response = scim.get("/Users", data={"filter": 'emails[value eq "\\u0000"]'})
    assert error(response)[:2] == (400, "invalidFilter")


@pytest.mark.parametrize("resource", ["Users", "Groups"])
def test_an_id_with_a_nul_character_is_a_404_and_its_log_line_is_written(scim, resource):
    response = scim.get(f"/{resource}/abc%00def")
    assert error(response)[0] == 404
    logged = last_logged()
    assert (logged.status, logged.path) == (404, f"/{resource}/abc%00def")
    assert "abc\\u0000def" in logged.error
