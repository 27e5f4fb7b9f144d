"""What Okta sends, in the order it sends it, with the bodies of Okta's SCIM 2.0 reference and test specification
(Okta and SCIM Version 2.0: create, retrieve, update with PUT, deactivate, Push Groups).

Okta's examples use test.user@okta.local; .local is a special-use name that email addresses may not end in (RFC
6762, refused by the email validation scim2-models applies), so the domain here is okta-example.com.
"""

import pytest

from directory.models import SCIMGroup, SCIMGroupMember, SCIMUser
from tests.support.scim import SCIMClient, assert_no_content, patch, scim_directory, verified_domain

CREATE_USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "test.user@okta-example.com",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta-example.com", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}


@pytest.fixture
def okta(client, acme):
    verified_domain(acme, "okta-example.com")
    directory, token = scim_directory(acme, name="Okta", idp_kind="okta")
    return SCIMClient(client, directory, token)


def test_okta_pages_users_and_groups_when_it_imports(okta):
    users = okta.get("/Users?startIndex=1&count=2").json()
    groups = okta.get("/Groups?startIndex=1&count=100").json()
    assert (users["totalResults"], users["startIndex"], groups["totalResults"]) == (0, 1, 0)


def test_oktas_sequence_assign_update_push_rename_deactivate_reactivate_delete(okta, acme):
    # Assign: a lookup by userName, then the creation (its read-only groups and write-only password ignored).
    lookup = okta.get('/Users?filter=userName eq "test.user@okta-example.com"&startIndex=1&count=100').json()
    assert lookup["totalResults"] == 0
    created = okta.post("/Users", CREATE_USER)
    assert created.status_code == 201, created.content
    user = created.json()
    assert "password" not in user and "password" not in SCIMUser.objects.get(public_id=user["id"]).attributes
    person = SCIMUser.objects.get(public_id=user["id"]).user
    assert person.email == "test.user@okta-example.com" and not person.has_usable_password()

    # Profile update: PUT of the whole resource, as Okta read it (id, meta and all).
    user["name"]["familyName"] = "Userson"
    response = okta.put(f"/Users/{user['id']}", user)
    assert response.status_code == 200, response.content
    assert response.json()["name"]["familyName"] == "Userson"

    # Push Groups: create the group with no members, add the user, rename with a value that carries the id.
    group = okta.post(
        "/Groups",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Test SCIMv2", "members": []},
    )
    assert group.status_code == 201, group.content
    group_id = group.json()["id"]
    response = okta.patch(
        f"/Groups/{group_id}",
        patch(
            {"op": "add", "path": "members", "value": [{"value": user["id"], "display": "test.user@okta-example.com"}]}
        ),
    )
    # A group PATCH answers 204 No Content (Okta's SCIM 2.0 reference: "can also be a HTTP 204 response").
    assert_no_content(response)
    assert okta.get(f"/Groups/{group_id}").json()["members"][0]["value"] == user["id"]
    response = okta.patch(
        f"/Groups/{group_id}", patch({"op": "replace", "value": {"id": group_id, "displayName": "Test SCIMv2 renamed"}})
    )
    assert_no_content(response)
    assert SCIMGroup.objects.get(public_id=group_id).display_name == "Test SCIMv2 renamed"
    response = okta.patch(f"/Groups/{group_id}", patch({"op": "remove", "path": f'members[value eq "{user["id"]}"]'}))
    assert_no_content(response)
    assert not SCIMGroupMember.objects.filter(group__public_id=group_id).exists()

    # Deactivate: a no-path replace with active false; GET still answers, inactive.
    response = okta.patch(f"/Users/{user['id']}", patch({"op": "replace", "value": {"active": False}}))
    assert response.status_code == 200 and response.json()["active"] is False
    assert okta.get(f"/Users/{user['id']}").json()["active"] is False
    person.refresh_from_db()
    assert person.session_generation == 1

    # Reactivate: Okta's PUT with active true.
    user["active"] = True
    response = okta.put(f"/Users/{user['id']}", user)
    assert response.status_code == 200 and response.json()["active"] is True
    assert not SCIMUser.objects.filter(user=person, active=False).exists()

    # Push Groups' unlink and delete.
    assert okta.delete(f"/Groups/{group_id}").status_code == 204
    assert okta.get(f"/Groups/{group_id}").status_code == 404


def test_a_put_of_a_group_replaces_its_members(okta):
    ids = [
        okta.post(
            "/Users", {**CREATE_USER, "userName": f"u{i}@okta-example.com", "emails": [], "externalId": f"x{i}"}
        ).json()["id"]
        for i in range(3)
    ]
    group_id = okta.post("/Groups", {"displayName": "Eng", "members": [{"value": i} for i in ids[:2]]}).json()["id"]
    response = okta.put(f"/Groups/{group_id}", {"displayName": "Eng", "members": [{"value": ids[2]}]})
    assert response.status_code == 200, response.content
    assert [m["value"] for m in response.json()["members"]] == [ids[2]]
