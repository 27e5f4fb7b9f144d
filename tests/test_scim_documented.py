"""Every request Microsoft and Okta document sending, sent as documented, in the documents' order, each answer checked
against the documented response (status, schemas, totalResults, Resources) and each change against what was stored.

Sources (each body below names its section):
- ENTRA_TUTORIAL: Microsoft, "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID",
  https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups
  (its source: github.com/MicrosoftDocs/entra-docs, docs/identity/app-provisioning/use-scim-to-provision-users-and-
  groups.md), sections "SCIM protocol requests and responses" and "Handling provisioning and deprovisioning of users".
- ENTRA_COMPLIANCE: Microsoft, "Known issues and resolutions with SCIM 2.0 protocol compliance of the Microsoft Entra
  user provisioning service", https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-
  config-problem-scim-compatibility (entra-docs, docs/identity/app-provisioning/application-provisioning-config-
  problem-scim-compatibility.md), "Flags to alter the SCIM behavior": each request without and with aadOptscim062020.
- OKTA_REFERENCE: Okta, "SCIM 2.0 Protocol Reference" (Okta and SCIM Version 2.0),
  https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20 (its source: github.com/okta/okta-developer-
  docs, packages/@okta/vuepress-site/docs/reference/scim/scim-20/index.md).
- OKTA_SPEC_TEST: Okta's SCIM 2.0 spec test, https://developer.okta.com/standards/SCIM/SCIMFiles/Okta-SCIM-20-SPEC-
  Test.json (the 2016 export copied in github.com/mwhorse46/node_okta_app, Okta-SCIM-20-SPEC-Test.json), with the
  variables of Okta's "Test your SCIM API" guide (https://developer.okta.com/docs/guides/scim-provisioning-
  integration-prepare/main/#test-your-scim-api).

What is ours rather than theirs: every id (theirs name resources of their example servers), and Okta's
test.user@okta.local, which becomes test.user@okta-example.com (.local is a special-use name no email address may
end in, RFC 6762). Where a document's response differs from ours in a way both IdPs accept, the test says so.
"""

import pytest

from directory.models import SCIMGroup, SCIMGroupMember, SCIMUser
from tests.support.scim import SCIMClient, assert_no_content, scim_directory, verified_domain

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def entra(client, acme):
    for domain in ("testuser.com", "microsoft.com", "contoso.com"):
        verified_domain(acme, domain)
    directory, token = scim_directory(acme)
    return SCIMClient(client, directory, token)


@pytest.fixture
def okta(client, acme):
    for domain in ("okta-example.com", "example.com"):
        verified_domain(acme, domain)
    directory, token = scim_directory(acme, name="Okta", idp_kind="okta")
    return SCIMClient(client, directory, token)


def stored(user_id) -> SCIMUser:
    return SCIMUser.objects.select_related("user").get(public_id=user_id)


def member_ids(group_id) -> set:
    rows = SCIMGroupMember.objects.filter(group__public_id=group_id).values_list("user__public_id", flat=True)
    return {str(i) for i in rows}


def assert_error(response, status: int):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]


def assert_empty_list(response):
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["schemas"], body["totalResults"], body["Resources"], body["startIndex"]) == ([LIST], 0, [], 1)


# ENTRA_TUTORIAL, "Create User" (request).
ENTRA_CREATE_USER = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "active": True,
    "emails": [
        {"primary": True, "type": "work", "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"}
    ],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
    "roles": [],
}
# ENTRA_TUTORIAL, "Create User" (response), without its id and meta dates.
ENTRA_CREATED_USER = {
    "schemas": [USER_SCHEMA],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
    "active": True,
    "emails": [
        {"value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com", "type": "work", "primary": True}
    ],
}
# ENTRA_TUTORIAL, "Create Group" (request).
ENTRA_CREATE_GROUP = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
    ],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {"resourceType": "Group"},
}


def without_server_fields(resource: dict) -> dict:
    return {k: v for k, v in resource.items() if k not in {"id", "meta"}}


def test_entra_tutorial_user_operations_in_order(entra):
    # Get User by query - Zero results.
    assert_empty_list(entra.get('/Users?filter=userName eq "non-existent user"'))

    # Create User: 201 with the documented resource.
    response = entra.post("/Users", ENTRA_CREATE_USER)
    assert response.status_code == 201, response.content
    created = response.json()
    user_id = created["id"]
    assert without_server_fields(created) == ENTRA_CREATED_USER
    assert created["meta"]["resourceType"] == "User" and created["meta"]["created"]
    scim_user = stored(user_id)
    assert (scim_user.user_name, scim_user.external_id, scim_user.active) == (
        "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        True,
    )
    assert scim_user.user.email == "test_user_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"

    # Get User (found), then Get User (not found: "the detail isn't required, only status").
    response = entra.get(f"/Users/{user_id}")
    assert response.status_code == 200 and without_server_fields(response.json()) == ENTRA_CREATED_USER
    assert_error(entra.get("/Users/5171a35d82074e068ce2"), 404)

    # Get User by query.
    response = entra.get('/Users?filter=userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"')
    found = response.json()
    assert (found["schemas"], found["totalResults"], found["startIndex"]) == ([LIST], 1, 1)
    assert found["Resources"][0]["id"] == user_id and found["Resources"][0]["schemas"] == [USER_SCHEMA]

    # Update User [Multi-valued properties].
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updatedEmail@microsoft.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        ],
    }
    response = entra.patch(f"/Users/{user_id}", body)
    assert response.status_code == 200, response.content
    updated = response.json()
    assert updated["emails"] == [{"value": "updatedEmail@microsoft.com", "type": "work", "primary": True}]
    # The document's answer also rewrites name.formatted ("givenName updatedFamilyName"); we keep what was sent.
    assert updated["name"] == {
        "formatted": "givenName familyName",
        "familyName": "updatedFamilyName",
        "givenName": "givenName",
    }
    assert stored(user_id).user.email == "updatedemail@microsoft.com"  # the same person, email changed

    # Update User [Single-valued properties].
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}
        ],
    }
    response = entra.patch(f"/Users/{user_id}", body)
    assert response.status_code == 200 and response.json()["userName"] == body["Operations"][0]["value"]
    assert stored(user_id).user_name == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"

    # Disable User: the boolean form, Operations before schemas. The record stays readable, inactive.
    body = {"Operations": [{"op": "Replace", "path": "active", "value": False}], "schemas": [PATCH_OP]}
    response = entra.patch(f"/Users/{user_id}", body)
    assert response.status_code == 200 and response.json()["active"] is False
    scim_user = stored(user_id)
    assert not scim_user.active and scim_user.deactivated_at is not None
    assert scim_user.user.session_generation == 1
    assert entra.get(f"/Users/{user_id}").json()["active"] is False

    # Restoring (the requirements table: "restoring the user active=true"), the same request with true.
    body = {"Operations": [{"op": "Replace", "path": "active", "value": True}], "schemas": [PATCH_OP]}
    assert entra.patch(f"/Users/{user_id}", body).json()["active"] is True
    assert stored(user_id).active and stored(user_id).deactivated_at is None

    # Delete User: 204, then the user is gone from the API; the person stays, deprovisioned.
    response = entra.delete(f"/Users/{user_id}")
    assert response.status_code == 204 and response.content == b""
    assert_error(entra.get(f"/Users/{user_id}"), 404)
    scim_user = stored(user_id)
    assert scim_user.deleted_at is not None and not scim_user.active


def test_entra_tutorial_group_operations_in_order(entra):
    user_id = entra.post("/Users", ENTRA_CREATE_USER).json()["id"]

    # Create Group: 201; the document's answer shows "members": [], ours leaves the empty list out (RFC 7643 §2.5).
    response = entra.post("/Groups", ENTRA_CREATE_GROUP)
    assert response.status_code == 201, response.content
    created = response.json()
    group_id = created["id"]
    assert without_server_fields(created) == {
        "schemas": [GROUP_SCHEMA],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "displayName",
    }
    assert created["meta"]["resourceType"] == "Group"
    group = SCIMGroup.objects.get(public_id=group_id)
    assert (group.display_name, group.external_id) == ("displayName", "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")

    # Get Group, members excluded.
    response = entra.get(f"/Groups/{group_id}?excludedAttributes=members")
    assert response.status_code == 200 and without_server_fields(response.json())["displayName"] == "displayName"
    assert "members" not in response.json()

    # Get Group by displayName.
    found = entra.get('/Groups?excludedAttributes=members&filter=displayName eq "displayName"').json()
    assert (found["schemas"], found["totalResults"], found["startIndex"]) == ([LIST], 1, 1)
    assert found["Resources"][0]["id"] == group_id and "members" not in found["Resources"][0]

    # The three updates: the document answers each with 204 No Content, and so do we.
    # Update Group [Non-member attributes].
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}
        ],
    }
    assert_no_content(entra.patch(f"/Groups/{group_id}", body))
    assert SCIMGroup.objects.get(public_id=group_id).display_name == body["Operations"][0]["value"]
    assert entra.get(f"/Groups/{group_id}").json()["displayName"] == body["Operations"][0]["value"]

    # Update Group [Add Members].
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": user_id}]}],
    }
    assert_no_content(entra.patch(f"/Groups/{group_id}", body))
    assert member_ids(group_id) == {user_id}

    # Update Group [Remove Members].
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Remove", "path": "members", "value": [{"$ref": None, "value": user_id}]}],
    }
    assert_no_content(entra.patch(f"/Groups/{group_id}", body))
    assert member_ids(group_id) == set()

    # Delete Group.
    response = entra.delete(f"/Groups/{group_id}")
    assert response.status_code == 204 and not SCIMGroup.objects.filter(public_id=group_id).exists()
    assert_error(entra.get(f"/Groups/{group_id}"), 404)


def test_entra_tutorial_provisioning_examples_1_to_6_in_order(entra):
    manager_id = entra.post("/Users", ENTRA_CREATE_USER).json()["id"]

    # Example 1. Query the service for a matching user: the tutorial writes the value unquoted.
    assert_empty_list(entra.get("/Users?filter=externalId eq jyoung"))

    # Example 2. Provision a user: note the enterprise URN missing its colon, the nulls, the top-level manager.
    body = {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0User",
        ],
        "externalId": "jyoung",
        "userName": "jyoung@testuser.com",
        "active": True,
        "addresses": None,
        "displayName": "Joy Young",
        "emails": [{"type": "work", "value": "jyoung@Contoso.com", "primary": True}],
        "meta": {"resourceType": "User"},
        "name": {"familyName": "Young", "givenName": "Joy"},
        "phoneNumbers": None,
        "preferredLanguage": None,
        "title": None,
        "department": None,
        "manager": None,
    }
    response = entra.post("/Users", body)
    assert response.status_code == 201, response.content
    user_id = response.json()["id"]
    assert response.json()["schemas"] == [USER_SCHEMA] and ENTERPRISE not in response.json()
    assert stored(user_id).user.email == "jyoung@contoso.com"
    found = entra.get("/Users?filter=externalId eq jyoung").json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == user_id

    # Example 3. Query the current state of a user.
    assert entra.get(f"/Users/{user_id}").json()["displayName"] == "Joy Young"

    # Example 5. Update a user: the manager, its path unqualified, as a list of one reference.
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "Add",
                "path": "manager",
                "value": [{"$ref": f"http://.../scim/Users/{manager_id}", "value": manager_id}],
            }
        ],
    }
    response = entra.patch(f"/Users/{user_id}", body)
    assert response.status_code == 200, response.content
    manager = {"value": manager_id, "$ref": f"http://.../scim/Users/{manager_id}"}
    assert response.json()[ENTERPRISE] == {"manager": manager}
    assert stored(user_id).attributes[ENTERPRISE]["manager"] == manager

    # Example 6. Deprovision a user.
    assert entra.delete(f"/Users/{user_id}").status_code == 204
    assert_error(entra.get(f"/Users/{user_id}"), 404)


def test_entra_tutorial_uniqueness_query_on_the_work_email(entra):
    # "/Users": a GET with a filter must allow emails[type eq "work"].value eq "user@contoso.com".
    user_id = entra.post("/Users", {**ENTRA_CREATE_USER, "emails": [{"type": "work", "value": "user@contoso.com"}]})
    user_id = user_id.json()["id"]
    found = entra.get('/Users?filter=emails[type eq "work"].value eq "user@contoso.com"').json()
    assert (found["totalResults"], found["Resources"][0]["id"]) == (1, user_id)
    assert_empty_list(entra.get('/Users?filter=emails[type eq "work"].value eq "someone@contoso.com"'))


def test_entra_tutorials_example_schema_posted(entra):
    # "Design your user and group schema": the example resource, manager as a bare string, a custom extension, and
    # read-only id and meta (its stray comma after "tag" taken out, as no client sends invalid JSON).
    body = {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User",
        ],
        "userName": "bjensen@testuser.com",
        "id": "48af03ac28ad4fb88478",
        "externalId": "bjensen",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "123456"},
        "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User": {"tag": "701984"},
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": 'W/"3694e05e9dff591"',
            "location": "https://example.com/v2/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        },
    }
    response = entra.post("/Users", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["id"] != "48af03ac28ad4fb88478" and created["meta"]["location"].endswith(created["id"])
    assert created["schemas"] == [USER_SCHEMA, ENTERPRISE]
    assert created[ENTERPRISE] == {
        "manager": {"value": "123456", "$ref": f"http://testserver{entra.base}/Users/123456"}
    }
    assert "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User" not in created
    assert stored(created["id"]).user.email == "bjensen@testuser.com"


def test_entra_compliance_requests_without_and_with_the_aadoptscim062020_flag(entra):
    user_id = entra.post("/Users", ENTRA_CREATE_USER).json()["id"]
    other_id = entra.post(
        "/Users", {**ENTRA_CREATE_USER, "userName": "other@testuser.com", "externalId": "other", "emails": []}
    ).json()["id"]
    group_id = entra.post("/Groups", ENTRA_CREATE_GROUP).json()["id"]
    flagged = "?aadOptscim062020"

    # Requests made to disable users, without the flag ("False", a string) and with it (false); re-enabled between.
    without = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    response = entra.patch(f"/Users/{user_id}", without)
    assert response.status_code == 200 and response.json()["active"] is False and not stored(user_id).active
    entra.patch(
        f"/Users/{user_id}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "True"}]},
    )
    assert stored(user_id).active
    with_flag = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    response = entra.patch(f"/Users/{user_id}{flagged}", with_flag)
    assert response.status_code == 200 and response.json()["active"] is False and not stored(user_id).active

    # Requests made to add a single-value string attribute.
    for op, suffix in (("Add", ""), ("add", flagged)):
        entra.patch(f"/Users/{user_id}", {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "nickName"}]})
        body = {"schemas": [PATCH_OP], "Operations": [{"op": op, "path": "nickName", "value": "Babs"}]}
        response = entra.patch(f"/Users/{user_id}{suffix}", body)
        assert response.status_code == 200 and response.json()["nickName"] == "Babs"
        assert stored(user_id).attributes["nickName"] == "Babs"

    # Requests to replace multiple attributes: without the flag one operation per attribute...
    body = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Replace", "path": "displayName", "value": "Pvlo"},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "TestBcwqnm@test.microsoft.com"},
            {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
            {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
            {"op": "Replace", "path": "externalId", "value": "Eqpj"},
            {
                "op": "Replace",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                "value": "Eqpj",
            },
        ],
    }
    response = entra.patch(f"/Users/{user_id}", body)
    assert response.status_code == 200, response.content
    got = response.json()
    assert (got["displayName"], got["name"]["givenName"], got["name"]["familyName"], got["externalId"]) == (
        "Pvlo",
        "Gtfd",
        "Pkqf",
        "Eqpj",
    )
    assert got["emails"][0]["value"] == "TestBcwqnm@test.microsoft.com" and got[ENTERPRISE]["employeeNumber"] == "Eqpj"
    scim_user = stored(user_id)
    assert (scim_user.external_id, scim_user.display_name, scim_user.email) == (
        "Eqpj",
        "Pvlo",
        "testbcwqnm@test.microsoft.com",
    )
    # ...with it, a filtered path and one no-path replace of the rest.
    body = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "TestMhvaes@test.microsoft.com"},
            {
                "op": "replace",
                "value": {
                    "displayName": "Bjfe",
                    "name.givenName": "Kkom",
                    "name.familyName": "Unua",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq",
                },
            },
        ],
    }
    response = entra.patch(f"/Users/{user_id}{flagged}", body)
    assert response.status_code == 200, response.content
    got = response.json()
    assert (got["displayName"], got["name"]["givenName"], got["name"]["familyName"]) == ("Bjfe", "Kkom", "Unua")
    assert got["emails"] == [{"value": "TestMhvaes@test.microsoft.com", "type": "work", "primary": True}]
    assert got[ENTERPRISE] == {"employeeNumber": "Aklq"}
    assert stored(user_id).email == "testmhvaes@test.microsoft.com"

    # Requests made to remove a group member: a value list without the flag, a filtered path with it. The page shows
    # only the requests; the tutorial answers a group update with 204 No Content, and so do we, with or without it.
    add = {"schemas": [PATCH_OP], "Operations": [{"op": "Add", "path": "members", "value": [{"value": user_id}]}]}
    assert_no_content(entra.patch(f"/Groups/{group_id}", add))
    assert_no_content(
        entra.patch(
            f"/Groups/{group_id}",
            {**add, "Operations": [{"op": "Add", "path": "members", "value": [{"value": other_id}]}]},
        )
    )
    assert member_ids(group_id) == {user_id, other_id}
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "Remove", "path": "members", "value": [{"value": user_id}]}]}
    assert_no_content(entra.patch(f"/Groups/{group_id}", body))
    assert member_ids(group_id) == {other_id}
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": f'members[value eq "{other_id}"]'}]}
    assert_no_content(entra.patch(f"/Groups/{group_id}{flagged}", body))
    assert member_ids(group_id) == set()

    # The downgrade flag on the tenant URL changes nothing either.
    assert entra.get(f"/Users/{user_id}?AzureAdScimPatch2017").status_code == 200


# OKTA_REFERENCE, "Create the User" (request), okta.local made okta-example.com.
OKTA_CREATE_USER = {
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


def okta_put_user(user_id: str) -> dict:
    """OKTA_REFERENCE, "Update the User" (request)."""
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": user_id,
        "userName": "test.user@okta-example.com",
        "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
        "emails": [
            {
                "primary": True,
                "value": "test.user@okta-example.com",
                "type": "work",
                "display": "test.user@okta-example.com",
            }
        ],
        "active": True,
        "groups": [],
        "meta": {"resourceType": "User"},
    }


def test_okta_reference_user_operations_in_order(okta):
    # Determine if the User already exists: URL-encoded, paged.
    assert_empty_list(
        okta.get("/Users?filter=userName%20eq%20%22test.user%40okta-example.com%22&startIndex=1&count=100")
    )

    # Create the User: 201 with the created resource (no password; the document's "groups": [] left out, empty).
    response = okta.post("/Users", OKTA_CREATE_USER)
    assert response.status_code == 201, response.content
    created = response.json()
    user_id = created["id"]
    expected = {k: v for k, v in OKTA_CREATE_USER.items() if k not in {"password", "groups"}}
    assert without_server_fields(created) == {**expected, "schemas": [USER_SCHEMA]}
    assert created["meta"]["resourceType"] == "User" and created.get("groups", []) == []
    person = stored(user_id).user
    assert person.email == "test.user@okta-example.com" and not person.has_usable_password()
    assert "password" not in stored(user_id).attributes

    # The same user again: 409 with the error schema.
    response = okta.post("/Users", OKTA_CREATE_USER)
    assert_error(response, 409)
    assert response.json()["scimType"] == "uniqueness"
    assert SCIMUser.objects.filter(directory=okta.directory).count() == 1

    # Retrieve Users, then a specific User.
    page = okta.get("/Users?startIndex=1&count=100").json()
    assert (page["schemas"], page["totalResults"], page["startIndex"], page["itemsPerPage"]) == ([LIST], 1, 1, 1)
    assert page["Resources"][0]["id"] == user_id
    response = okta.get(f"/Users/{user_id}")
    assert response.status_code == 200 and response.json()["userName"] == "test.user@okta-example.com"

    # Update a specific User (PUT): retrieve it, then PUT the documented body.
    assert okta.get(f"/Users/{user_id}").status_code == 200
    response = okta.put(f"/Users/{user_id}", okta_put_user(user_id))
    assert response.status_code == 200, response.content
    updated = response.json()
    assert updated["id"] == user_id and updated["schemas"] == [USER_SCHEMA]
    assert updated["name"] == {"givenName": "Another", "middleName": "Excited", "familyName": "User"}
    assert updated["emails"] == okta_put_user(user_id)["emails"] and updated["active"] is True
    assert "displayName" not in updated and "externalId" not in updated  # a PUT replaces the whole resource
    assert stored(user_id).attributes["name"]["middleName"] == "Excited"

    # Update a specific User (PATCH): deactivation.
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    response = okta.patch(f"/Users/{user_id}", body)
    assert response.status_code == 200 and response.json()["active"] is False
    assert response.json()["name"]["middleName"] == "Excited"
    assert not stored(user_id).active and stored(user_id).user.session_generation == 1

    # Activating a user (listed among the PATCH operations; its body mirrors the deactivation's).
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": True}}]}
    response = okta.patch(f"/Users/{user_id}", body)
    assert response.status_code == 200 and response.json()["active"] is True and stored(user_id).active


def test_okta_reference_create_user_without_external_id(okta):
    # "Create the User", the variant for a server with custom attributes: no externalId.
    body = {k: v for k, v in OKTA_CREATE_USER.items() if k != "externalId"}
    response = okta.post("/Users", body)
    assert response.status_code == 201, response.content
    assert "externalId" not in response.json() and stored(response.json()["id"]).external_id == ""


def test_okta_reference_group_operations_in_order(okta):
    user_id = okta.post("/Users", OKTA_CREATE_USER).json()["id"]  # 23a35c27-... in the document
    other = {**OKTA_CREATE_USER, "userName": "other.user@okta-example.com", "externalId": "00uother", "emails": []}
    other_id = okta.post("/Users", other).json()["id"]  # 89bb1940-... in the document

    # Create Groups: 201 with the group; the document's "members": [] left out, empty.
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Test SCIMv2", "members": []}
    response = okta.post("/Groups", body)
    assert response.status_code == 201, response.content
    group_id = response.json()["id"]
    assert without_server_fields(response.json()) == {"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2"}
    assert response.json()["meta"]["resourceType"] == "Group"

    # Retrieve Groups, then a specific Group.
    page = okta.get("/Groups?startIndex=1&count=100").json()
    assert (page["schemas"], page["totalResults"], page["Resources"][0]["id"]) == ([LIST], 1, group_id)
    assert okta.get(f"/Groups/{group_id}").json()["displayName"] == "Test SCIMv2"

    # Update a specific Group name: a no-path replace whose value carries the group's id (the name unchanged here,
    # as in the document; Okta sends it with every membership update).
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"id": group_id, "displayName": "Test SCIMv2"}}],
    }
    # The document answers 200 with the updated group, and notes that "the SCIM server response to PATCH method
    # requests can also be a HTTP 204 response, with no body returned": we answer 204, and a GET reads the group.
    assert_no_content(okta.patch(f"/Groups/{group_id}", body))
    group = okta.get(f"/Groups/{group_id}").json()
    assert group["id"] == group_id
    assert group["displayName"] == "Test SCIMv2" and group["schemas"] == [GROUP_SCHEMA]
    assert SCIMGroup.objects.get(public_id=group_id).display_name == "Test SCIMv2"

    # Update specific Group membership: one request removing a member by filter and adding another.
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "remove", "path": f'members[value eq "{other_id}"]'},
            {"op": "add", "path": "members", "value": [{"value": user_id, "display": "test.user@okta-example.com"}]},
        ],
    }
    # The document answers 200 with the group ("members": null); the same note allows our 204.
    assert_no_content(okta.patch(f"/Groups/{group_id}", body))
    assert [m["value"] for m in okta.get(f"/Groups/{group_id}").json()["members"]] == [user_id]
    assert member_ids(group_id) == {user_id}

    # The full push of the membership: a replace of members (the document shows no answer, only the 204 note).
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "replace",
                "path": "members",
                "value": [
                    {"value": user_id, "display": "test.user@okta-example.com"},
                    {"value": other_id, "display": "test.user@okta-example.com"},
                ],
            }
        ],
    }
    assert_no_content(okta.patch(f"/Groups/{group_id}", body))
    assert member_ids(group_id) == {user_id, other_id}
    displays = SCIMGroupMember.objects.filter(group__public_id=group_id).values_list("display", flat=True)
    assert set(displays) == {"test.user@okta-example.com"}

    # Custom (AIW) integrations send a PUT instead: the group as Okta read it, members replaced.
    group = okta.get(f"/Groups/{group_id}").json()
    group["members"] = [{"value": other_id, "display": "other.user@okta-example.com"}]
    response = okta.put(f"/Groups/{group_id}", group)
    assert response.status_code == 200 and [m["value"] for m in response.json()["members"]] == [other_id]
    assert member_ids(group_id) == {other_id}

    # Delete a specific Group: 204, empty.
    response = okta.delete(f"/Groups/{group_id}")
    assert response.status_code == 204 and response.content == b""
    assert not SCIMGroup.objects.filter(public_id=group_id).exists() and stored(other_id).active


def test_okta_spec_test_in_order(okta):
    # The guide: "Create at least one user in your SCIM server before running"; the last step wants a group.
    seeded = okta.post("/Users", OKTA_CREATE_USER).json()["id"]
    okta.post("/Groups", {"displayName": "Seeded"})
    random_email = "Runscope300Hfluaklab151@example.com"

    # Optional tests: the discovery endpoints answer, and are read-only (a POST of the text "test" is a 405).
    config = okta.get("/ServiceProviderConfig")
    assert config.status_code == 200
    config = config.json()
    assert "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig" in config["schemas"]
    for key in ("patch", "bulk", "filter", "changePassword", "sort", "etag"):
        assert config[key]["supported"] in (True, False)
    assert config["authenticationSchemes"][0]["type"] and config["authenticationSchemes"][0]["description"]
    assert config["filter"]["maxResults"] and {"maxOperations", "maxPayloadSize"} <= set(config["bulk"])
    assert_error(okta.post("/ServiceProviderConfig", "test\r\n\r\n"), 405)
    types = okta.get("/ResourceTypes").json()
    assert types["schemas"] == [LIST] and all(types["Resources"][0][k] for k in ("name", "endpoint", "schema"))
    assert_error(okta.post("/ResourceTypes", "test"), 405)
    schemas = okta.get("/Schemas").json()
    assert schemas["schemas"] == [LIST] and schemas["Resources"][0]["id"] and schemas["Resources"][0]["attributes"]
    assert_error(okta.post("/Schemas", "test"), 405)

    # Required: the Users endpoint, and the first user by its id.
    page = okta.get("/Users?count=1&startIndex=1").json()
    assert page["schemas"] == [LIST] and all(
        isinstance(page[k], int) for k in ("itemsPerPage", "startIndex", "totalResults")
    )
    first = page["Resources"][0]
    assert first["id"] == seeded and first["name"]["familyName"] and first["name"]["givenName"]
    assert first["userName"] and first["active"] is True and first["emails"][0]["value"]
    response = okta.get(f"/Users/{first['id']}")
    assert response.status_code == 200 and response.json()["id"] == seeded

    # Required: an unknown userName is an empty list, an unknown id a 404 error.
    found = okta.get('/Users?filter=userName eq "abcdefgh@example.com"').json()
    assert found["schemas"] == [LIST] and found["totalResults"] == 0
    assert_error(okta.get("/Users/010101001010101011001010101011"), 404)
    assert okta.get(f'/Users?filter=userName eq "{random_email}"').json()["totalResults"] == 0

    # Required: create a user with realistic values, read it back, and a second creation is a 409.
    body = (
        '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Runscope300Hfluaklab151@example.com",'
        '"name":{"givenName":"Runscope300","familyName":"Hfluaklab151"},"emails":[{"primary":true,'
        '"value":"Runscope300Hfluaklab151@example.com","type":"work"}],"displayName":"Runscope300 Hfluaklab151",'
        '"active":true}'
    )
    response = okta.post("/Users", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["active"] is True and USER_SCHEMA in created["schemas"] and created["userName"] == random_email
    assert created["name"] == {"givenName": "Runscope300", "familyName": "Hfluaklab151"}
    again = okta.get(f"/Users/{created['id']}").json()
    assert (again["userName"], again["name"]["familyName"]) == (random_email, "Hfluaklab151")
    assert okta.post("/Users", body).status_code == 409

    # Required: Username Case Sensitivity Check. The 2016 export sends the capitalised name as the whole filter and
    # expects 400; today's suite filters userName eq on it and expects 200 (userName is caseExact false: found).
    assert_error(okta.get("/Users?filter=RUNSCOPE300HFLUAKLAB151@example.com"), 400)
    found = okta.get('/Users?filter=userName eq "RUNSCOPE300HFLUAKLAB151@example.com"').json()
    assert (found["totalResults"], found["Resources"][0]["id"]) == (1, created["id"])

    # Optional: the Groups endpoint lists at least one group, in an array.
    groups = okta.get("/Groups")
    assert groups.status_code == 200
    assert groups.json()["totalResults"] >= 1 and isinstance(groups.json()["Resources"], list)
