"""Directory sync on the Free plan only deprovisions: the IdP can still find people, deactivate and delete them, and
nothing else it sends applies (no new people, no updates leaving someone active, no reactivation, no group writes),
until the plan is paid again."""

import pytest
from django.test import Client
from django.urls import reverse

from directory.models import SCIMGroup, SCIMGroupMember, SCIMRequest, SCIMUser
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Membership, Organization, Plan, Role
from tests.support.scim import SCIMClient, assert_no_content, scim_directory, verified_domain

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
PASSWORD = "correct-horse-battery"
REFUSED = "Acme is on the Free plan: directory sync only deprovisions people until the plan is paid again; "


def user(name: str, **extra) -> dict:
    return {"schemas": [CORE], "userName": name, "emails": [{"value": name, "type": "work", "primary": True}], **extra}


def patch(*operations) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def active(value: bool) -> dict:
    return patch({"op": "replace", "path": "active", "value": value})


def plan_set(org, plan: str) -> None:
    Organization.objects.filter(pk=org.pk).update(plan=plan)


@pytest.fixture
def scim(acme):
    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme)
    return SCIMClient(Client(), directory, token)  # its own client: the person's browser is another


@pytest.fixture
def dave(acme):
    """A member of Acme with a password, at acmecorp.com."""
    person = User.objects.create_user("dave@acmecorp.com", PASSWORD)
    Membership.objects.create(user=person, organization=acme, role=Role.MEMBER)
    return person


@pytest.fixture
def synced(scim, acme, dave):
    """Dave and Erin provisioned while Acme paid, Dave in the group Engineering; then Acme moved to the Free plan."""
    ids = {
        "dave": scim.post("/Users", user("dave@acmecorp.com", displayName="Dave")).json()["id"],
        "erin": scim.post("/Users", user("erin@acmecorp.com")).json()["id"],
    }
    body = {"schemas": [GROUP], "displayName": "Engineering", "members": [{"value": ids["dave"]}]}
    ids["group"] = scim.post("/Groups", body).json()["id"]
    plan_set(acme, Plan.FREE)
    return ids


def assert_refused(response, refused: str) -> None:
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"] and body["status"] == "403"
    assert "scimType" not in body  # RFC 7644 §3.12 gives a 403 none
    assert body["detail"] == f"{REFUSED}{refused} was not applied."
    logged = SCIMRequest.objects.order_by("-pk").first()
    assert logged.status == 403 and logged.error == body["detail"]


def test_it_still_answers_reads_filters_and_searches(scim, synced):
    assert scim.get(f"/Users/{synced['dave']}").json()["userName"] == "dave@acmecorp.com"
    found = scim.get('/Users?filter=userName eq "dave@acmecorp.com"').json()
    assert [r["id"] for r in found["Resources"]] == [synced["dave"]]
    searched = scim.post("/Users/.search", {"filter": 'userName eq "erin@acmecorp.com"'}).json()
    assert [r["id"] for r in searched["Resources"]] == [synced["erin"]]
    assert scim.get(f"/Groups/{synced['group']}").json()["displayName"] == "Engineering"
    assert scim.post("/.search", {"filter": 'displayName eq "Engineering"'}).json()["totalResults"] == 1


def test_it_refuses_to_create_a_user_and_creates_nothing(scim, synced):
    response = scim.post("/Users", user("fred@acmecorp.com"))
    assert_refused(response, "creating the user fred@acmecorp.com")
    assert not SCIMUser.objects.filter(user_name="fred@acmecorp.com").exists()
    assert not User.objects.filter(email="fred@acmecorp.com").exists()


def test_it_refuses_an_inactive_creation_too(scim, synced):
    response = scim.post("/Users", user("fred@acmecorp.com", active=False))
    assert_refused(response, "creating the user fred@acmecorp.com")
    assert not SCIMUser.objects.filter(user_name="fred@acmecorp.com").exists()


def test_a_deactivation_applies_and_locks_the_person_out(scim, synced, dave, client):
    client.force_login(dave)
    assert client.get("/orgs/acme/").status_code == 200
    response = scim.patch(f"/Users/{synced['dave']}", active(False))
    assert response.status_code == 200 and response.json()["active"] is False
    dave.refresh_from_db()
    assert dave.session_generation == 1
    assert client.get("/orgs/acme/").status_code == 302  # the session ended
    refused = client.post("/login/", {"username": "dave@acmecorp.com", "password": PASSWORD})
    assert refused.status_code == 200
    assert "Your access to Acme has been removed by its identity provider" in refused.content.decode()


def test_a_put_leaving_the_user_inactive_applies(scim, synced):
    response = scim.put(f"/Users/{synced['erin']}", user("erin@acmecorp.com", displayName="Erin", active=False))
    assert response.status_code == 200 and response.json()["active"] is False
    # An inactive record stays inactive: changing its other attributes is no provisioning.
    response = scim.patch(f"/Users/{synced['erin']}", patch({"op": "replace", "path": "displayName", "value": "E"}))
    assert response.status_code == 200 and response.json()["displayName"] == "E"
    assert SCIMUser.objects.get(public_id=synced["erin"]).active is False


def test_it_refuses_an_update_leaving_the_user_active_and_changes_nothing(scim, synced):
    stored = SCIMUser.objects.get(public_id=synced["dave"])
    response = scim.patch(f"/Users/{synced['dave']}", patch({"op": "replace", "path": "displayName", "value": "D"}))
    assert_refused(response, "this change to dave@acmecorp.com, which leaves them active,")
    response = scim.put(f"/Users/{synced['dave']}", user("dave@acmecorp.com", displayName="D"))
    assert_refused(response, "this change to dave@acmecorp.com, which leaves them active,")
    after = SCIMUser.objects.get(public_id=synced["dave"])
    assert (after.display_name, after.attributes, after.updated_at) == ("Dave", stored.attributes, stored.updated_at)


def test_it_refuses_a_reactivation(scim, synced, dave):
    assert scim.patch(f"/Users/{synced['dave']}", active(False)).status_code == 200
    assert_refused(scim.patch(f"/Users/{synced['dave']}", active(True)), "reactivating dave@acmecorp.com")
    response = scim.put(f"/Users/{synced['dave']}", user("dave@acmecorp.com", active=True))
    assert_refused(response, "reactivating dave@acmecorp.com")
    assert SCIMUser.objects.get(public_id=synced["dave"]).active is False
    dave.refresh_from_db()
    assert dave.session_generation == 1


def test_a_delete_applies(scim, synced, dave):
    assert_no_content(scim.delete(f"/Users/{synced['dave']}"))
    assert scim.get(f"/Users/{synced['dave']}").status_code == 404
    assert not SCIMGroupMember.objects.filter(user__public_id=synced["dave"]).exists()
    dave.refresh_from_db()
    assert dave.session_generation == 1


def group_state(public_id) -> tuple:
    group = SCIMGroup.objects.get(public_id=public_id)
    return (
        group.display_name,
        group.updated_at,
        sorted(SCIMGroupMember.objects.filter(group=group).values_list("user_id", flat=True)),
    )


def test_it_refuses_every_group_write_and_changes_nothing(scim, synced):
    before, groups = group_state(synced["group"]), SCIMGroup.objects.count()
    body = {"schemas": [GROUP], "displayName": "Admins", "members": [{"value": synced["erin"]}]}
    assert_refused(scim.post("/Groups", body), "creating the group Admins")
    rename = patch({"op": "replace", "path": "displayName", "value": "Eng"})
    assert_refused(scim.patch(f"/Groups/{synced['group']}", rename), "this change to the group Engineering")
    add = patch({"op": "add", "path": "members", "value": [{"value": synced["erin"]}]})
    assert_refused(scim.patch(f"/Groups/{synced['group']}", add), "this change to the group Engineering")
    replace = {"schemas": [GROUP], "displayName": "Eng", "members": []}
    assert_refused(scim.put(f"/Groups/{synced['group']}", replace), "this change to the group Engineering")
    assert_refused(scim.delete(f"/Groups/{synced['group']}"), "deleting the group Engineering")
    assert group_state(synced["group"]) == before and SCIMGroup.objects.count() == groups


def test_everything_works_again_once_the_plan_is_paid(scim, synced, acme, dave):
    assert scim.patch(f"/Users/{synced['dave']}", active(False)).status_code == 200
    plan_set(acme, Plan.PAID)
    assert scim.post("/Users", user("fred@acmecorp.com")).status_code == 201
    assert scim.patch(f"/Users/{synced['dave']}", active(True)).json()["active"] is True
    rename = patch({"op": "replace", "path": "displayName", "value": "Ed"})
    assert scim.patch(f"/Users/{synced['erin']}", rename).json()["displayName"] == "Ed"
    assert scim.post("/Groups", {"schemas": [GROUP], "displayName": "Admins"}).status_code == 201
    assert_no_content(
        scim.patch(f"/Groups/{synced['group']}", patch({"op": "replace", "path": "displayName", "value": "Eng"}))
    )
    assert scim.put(f"/Groups/{synced['group']}", {"schemas": [GROUP], "displayName": "Eng2"}).status_code == 200
    assert_no_content(scim.delete(f"/Groups/{synced['group']}"))
    assert client_signs_in(dave)


def client_signs_in(person) -> bool:
    response = Client().post("/login/", {"username": person.email, "password": PASSWORD})
    return response.status_code == 302


def test_the_plan_page_says_directory_sync_only_deprovisions(client, alice, synced):
    client.force_login(alice)
    page = client.get(reverse("directory:list", kwargs={"org_slug": "acme"})).content.decode()
    assert "Single sign-on needs a paid plan" in page
    assert "can still deactivate and remove people" in page and "no longer adds, updates or" in page
