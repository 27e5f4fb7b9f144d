"""What Microsoft Entra ID sends, in the order it sends it, with the bodies of Microsoft's "SCIM 2.0 protocol
compliance" page (Understand the Microsoft Entra SCIM implementation: request and response examples)."""

import pytest

from directory.models import SCIMGroupMember, SCIMUser
from kloudsso.audit.models import AuditEvent
from kloudsso.tenancy.models import Membership, Role
from tests.support.scim import SCIMClient, assert_no_content, patch, scim_directory, verified_domain

CORE, ENTERPRISE = (
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
)
WORK = "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"
USER_NAME = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com"
CREATE_USER = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": USER_NAME,
    "active": True,
    "emails": [
        {"primary": True, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}
    ],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
    "roles": [],
}
CREATE_GROUP = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
    ],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {"resourceType": "Group"},
}


@pytest.fixture
def entra(client, acme):
    verified_domain(acme, "testuser.com")
    directory, token = scim_directory(acme)
    return SCIMClient(client, directory, token)


def test_entras_connection_test_filters_on_a_random_guid_and_gets_an_empty_list(entra):
    response = entra.get('/Users?filter=userName eq "5a4f2c3e-9b1d-4c7e-8f2a-1b3c4d5e6f70"')
    assert response.status_code == 200
    assert response.json()["totalResults"] == 0 and response.json()["Resources"] == []
    assert response["Content-Type"] == "application/scim+json"


def test_entras_sequence_assign_update_group_push_disable_enable_delete(entra, acme):
    # Assign: Entra looks the user up first, then creates it.
    assert entra.get(f'/Users?filter=userName eq "{USER_NAME}"').json()["totalResults"] == 0
    created = entra.post("/Users", CREATE_USER)
    assert created.status_code == 201, created.content
    user_id = created.json()["id"]
    assert created["Location"].endswith(f"/Users/{user_id}")
    scim_user = SCIMUser.objects.get(public_id=user_id)
    person = scim_user.user
    assert person.email == "test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"
    assert Membership.objects.get(user=person, organization=acme).role == Role.MEMBER
    found = entra.get(f'/Users?filter=userName eq "{USER_NAME}"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == user_id

    # Update [multi-valued properties]: a replace of the work email and of the family name, ops in title case.
    response = entra.patch(
        f"/Users/{user_id}",
        patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updatedEmail@testuser.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        ),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (
        body["emails"][0]["value"] == "updatedEmail@testuser.com" and body["name"]["familyName"] == "updatedFamilyName"
    )
    person.refresh_from_db()
    assert person.email == "updatedemail@testuser.com"  # the same person, email changed

    # Update [single-valued properties]: userName.
    new_name = "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    response = entra.patch(f"/Users/{user_id}", patch({"op": "Replace", "path": "userName", "value": new_name}))
    assert response.status_code == 200 and response.json()["userName"] == new_name

    # The enterprise extension, the manager as a bare id.
    response = entra.patch(
        f"/Users/{user_id}",
        patch(
            {
                "op": "Add",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                "value": "2819c223-7f76-453a-919d-413861904646",
            },
            {
                "op": "Add",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "value": "Human Resources US",
            },
        ),
    )
    assert response.status_code == 200, response.content
    enterprise = response.json()["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
    assert enterprise["manager"]["value"] == "2819c223-7f76-453a-919d-413861904646"
    assert enterprise["department"] == "Human Resources US"

    # Group push: create, look up by displayName without members, add the member, rename, remove the member.
    group = entra.post("/Groups", CREATE_GROUP)
    assert group.status_code == 201, group.content
    group_id = group.json()["id"]
    found = entra.get('/Groups?excludedAttributes=members&filter=displayName eq "displayName"').json()
    assert found["totalResults"] == 1 and "members" not in found["Resources"][0]
    # Each group PATCH answers 204 No Content, as Microsoft's tutorial shows for the three group updates.
    response = entra.patch(
        f"/Groups/{group_id}", patch({"op": "Add", "path": "members", "value": [{"$ref": None, "value": user_id}]})
    )
    assert_no_content(response)
    assert SCIMGroupMember.objects.filter(group__public_id=group_id, user__public_id=user_id).exists()
    changed = AuditEvent.objects.filter(action="scim_group.updated").latest("pk")
    assert changed.changes == {"members": [0, 1]} and changed.actor_label == "Directory sync: Entra ID"
    renamed = "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    assert_no_content(
        entra.patch(f"/Groups/{group_id}", patch({"op": "Replace", "path": "displayName", "value": renamed}))
    )
    assert entra.get(f"/Groups/{group_id}").json()["displayName"] == renamed
    response = entra.patch(
        f"/Groups/{group_id}", patch({"op": "Remove", "path": "members", "value": [{"$ref": None, "value": user_id}]})
    )
    assert_no_content(response)
    assert not SCIMGroupMember.objects.filter(group__public_id=group_id).exists()

    # Disable (unassign, soft delete, block): Entra sends the string "False".
    response = entra.patch(f"/Users/{user_id}", patch({"op": "Replace", "path": "active", "value": "False"}))
    assert response.status_code == 200 and response.json()["active"] is False
    assert entra.get(f"/Users/{user_id}").json()["active"] is False  # the record is kept
    person.refresh_from_db()
    assert person.session_generation == 1
    assert AuditEvent.objects.get(action="scim_user.deactivated").changes == {"active": [True, False]}

    # Re-enable.
    response = entra.patch(f"/Users/{user_id}", patch({"op": "Replace", "path": "active", "value": "True"}))
    assert response.status_code == 200 and response.json()["active"] is True

    # Hard delete: the user and the group are gone from the API; the person stays, deprovisioned.
    assert entra.delete(f"/Users/{user_id}").status_code == 204
    assert entra.get(f"/Users/{user_id}").status_code == 404
    assert SCIMUser.objects.filter(user=person, active=False).exists()
    assert entra.delete(f"/Groups/{group_id}").status_code == 204
    assert entra.get(f"/Groups/{group_id}").status_code == 404


def test_a_replace_of_a_missing_work_email_adds_it(entra):
    body = {**CREATE_USER, "emails": []}
    user_id = entra.post("/Users", body).json()["id"]
    response = entra.patch(
        f"/Users/{user_id}",
        patch({"op": "Replace", "path": 'emails[type eq "work"].value', "value": "added@testuser.com"}),
    )
    assert response.status_code == 200, response.content
    assert response.json()["emails"] == [{"type": "work", "value": "added@testuser.com"}]
    assert SCIMUser.objects.get(public_id=user_id).user.email == "added@testuser.com"


def test_a_manager_sent_as_a_bare_string_in_a_post_is_an_object(entra):
    body = {
        **CREATE_USER,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "100009",
            "department": "Human Resources US",
            "manager": "97c0abe1-14f7-417b-951c-bc8e2a17f200",
        },
    }
    response = entra.post("/Users", body)
    assert response.status_code == 201, response.content
    enterprise = response.json()["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
    assert enterprise == {
        "employeeNumber": "100009",
        "department": "Human Resources US",
        "manager": {
            "value": "97c0abe1-14f7-417b-951c-bc8e2a17f200",
            "$ref": f"http://testserver{entra.base}/Users/97c0abe1-14f7-417b-951c-bc8e2a17f200",
        },
    }


def test_a_no_path_replace_with_a_value_object(entra):
    user_id = entra.post("/Users", CREATE_USER).json()["id"]
    response = entra.patch(
        f"/Users/{user_id}",
        patch(
            {"op": "Replace", "value": {"displayName": "Ellen Reckert", "name.givenName": "Ellen", "active": "False"}}
        ),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["displayName"], body["name"]["givenName"], body["active"]) == ("Ellen Reckert", "Ellen", False)


def test_the_aadoptscim062020_flag_on_the_tenant_url_changes_nothing(entra):
    response = entra.get(f'/Users?aadOptscim062020&filter=userName eq "{USER_NAME}"')
    assert response.status_code == 200 and response.json()["totalResults"] == 0
    assert entra.post("/Users?aadOptscim062020", CREATE_USER).status_code == 201


def test_entras_no_path_add_of_a_work_email_and_a_name_part(entra):
    user_id = entra.post("/Users", {**CREATE_USER, "emails": []}).json()["id"]
    response = entra.patch(
        f"/Users/{user_id}",
        patch({"op": "Add", "value": {'emails[type eq "work"].value': "ellen@testuser.com", "name.familyName": "R"}}),
    )
    assert response.status_code == 200, response.content
    assert response.json()["emails"] == [{"type": "work", "value": "ellen@testuser.com"}]
    assert response.json()["name"]["familyName"] == "R"


def test_unqualified_enterprise_attributes_are_the_extensions(entra):
    # Entra's tutorial: a POST with a top-level "manager" (null there) and a PATCH of the path "manager". The core
    # schema has none of the extension's names, so an unqualified one can only mean the extension's.
    body = {**CREATE_USER, "department": "Sales", "manager": None, "costCenter": None}
    response = entra.post("/Users", body)
    assert response.status_code == 201, response.content
    user_id = response.json()["id"]
    assert response.json()[ENTERPRISE] == {"department": "Sales"}
    response = entra.patch(
        f"/Users/{user_id}",
        patch(
            {"op": "Replace", "path": "employeeNumber", "value": "42"},
            {"op": "Replace", "value": {"division": "EMEA", "department": None}},
        ),
    )
    assert response.status_code == 200, response.content
    assert response.json()[ENTERPRISE] == {"employeeNumber": "42", "division": "EMEA"}
    assert SCIMUser.objects.get(public_id=user_id).attributes[ENTERPRISE] == {
        "employeeNumber": "42",
        "division": "EMEA",
    }


def test_a_groups_unqualified_manager_path_is_not_the_users_extension(entra):
    group_id = entra.post("/Groups", CREATE_GROUP).json()["id"]
    assert_no_content(entra.patch(f"/Groups/{group_id}", patch({"op": "Add", "path": "manager", "value": "x"})))
    group = entra.get(f"/Groups/{group_id}").json()
    assert ENTERPRISE not in group and "manager" not in group
    assert (group["displayName"], group["externalId"]) == (CREATE_GROUP["displayName"], CREATE_GROUP["externalId"])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("externalId eq 0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", 1),  # unquoted, as Entra's tutorial writes it
        ('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"', 1),
        ("externalId eq other", 0),
        ("active eq true", 1),  # a literal stays a literal
    ],
)
def test_an_unquoted_filter_value_is_a_string(entra, text, found):
    entra.post("/Users", CREATE_USER)
    response = entra.get(f"/Users?filter={text}")
    assert response.status_code == 200, response.content
    assert response.json()["totalResults"] == found


@pytest.mark.parametrize(
    "text", ["externalId eq 12", "userName eq jyoung or userName eq x", "userName eq jyoung and active eq true"]
)
def test_what_is_no_bare_word_comparison_is_left_to_the_parser(entra, text):
    # A number compared with a string attribute, and anything beyond one comparison, stay invalid filters.
    response = entra.get(f"/Users?filter={text}")
    assert response.status_code == 400 and response.json()["scimType"] == "invalidFilter"
