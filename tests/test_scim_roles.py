"""Roles from a directory's groups: the group → role mapping of the connection the owners chose (SSO's own), applied
at each group push, rename, deletion and reactivation; owners never changed; set-based for large groups."""

import pytest
from django.test import Client

from connections.role_mapping import RoleMapping
from connections.role_mapping_services import role_rule_add, role_rule_remove
from directory.models import SCIMDirectory, SCIMUser
from directory.roles import Affected, roles_apply
from directory.services import directory_role_connection_set
from kloudsso.accounts.models import User
from kloudsso.audit.models import AuditEvent
from kloudsso.audit.record import SYSTEM, Target
from kloudsso.tenancy.models import Membership, Role
from tests.support.factories import oidc_connection, saml_connection
from tests.support.queries import assert_queries
from tests.support.scim import SCIMClient, assert_no_content, patch, scim_directory, verified_domain

CORE_USER, CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:core:2.0:Group"
ADMINS_OID = "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"  # the Entra group's object ID: its SCIM externalId


def user(email: str, **extra) -> dict:
    return {"schemas": [CORE_USER], "userName": email, "emails": [{"value": email, "primary": True}], **extra}


def role_of(email: str, org) -> str:
    return Membership.objects.get(user__email=email, organization=org).role


def person(email: str, org, role: str) -> User:
    account = User.objects.create_user(email)
    Membership.objects.create(user=account, organization=org, role=role)
    return account


def mapped(connection, group: str, role: str = Role.ADMIN) -> None:
    role_rule_add(org=connection.organization, mapping=RoleMapping(connection=connection), group=group, role=role)


@pytest.fixture
def entra_connection(acme):
    connection = oidc_connection(acme)
    mapped(connection, ADMINS_OID)  # what an Entra SSO rule names: the group's object ID
    return connection


@pytest.fixture
def entra(acme, entra_connection):
    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme)
    directory_role_connection_set(directory=directory, connection=entra_connection, actor=SYSTEM)
    return SCIMClient(Client(), directory, token)


@pytest.fixture
def okta(acme):
    connection = saml_connection(acme)
    mapped(connection, "Admins")  # Okta's group attribute holds group names
    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme, name="Okta", idp_kind="okta")
    directory_role_connection_set(directory=directory, connection=connection, actor=SYSTEM)
    return SCIMClient(Client(), directory, token)


def entra_group(scim, *member_ids) -> str:
    body = {"schemas": [CORE_GROUP], "externalId": ADMINS_OID, "displayName": "KloudSSO admins"}
    group_id = scim.post("/Groups", body).json()["id"]  # Entra creates the group, then PATCHes its members in
    if member_ids:
        value = [{"value": i} for i in member_ids]
        assert_no_content(scim.patch(f"/Groups/{group_id}", patch({"op": "Add", "path": "members", "value": value})))
    return group_id


def test_an_entra_group_push_makes_its_members_admins_by_the_groups_object_id(entra, acme):
    erin = entra.post("/Users", user("erin@acmecorp.com")).json()["id"]
    assert role_of("erin@acmecorp.com", acme) == Role.MEMBER
    group_id = entra_group(entra, erin)
    assert role_of("erin@acmecorp.com", acme) == Role.ADMIN
    event = AuditEvent.objects.get(organization=acme, action="member.roles_set_by_directory")
    assert event.changes["made_admin"] == [None, ["erin@acmecorp.com"]]
    assert (event.target_kind, event.target_id, event.actor_label) == (
        "scim_group",
        group_id,
        "Directory sync: Entra ID",
    )
    assert "Entra ID (OIDC)" in event.changes["because"][1]


def test_the_audit_log_says_who_was_made_what_by_which_directory(as_alice, entra):
    erin = entra.post("/Users", user("erin@acmecorp.com")).json()["id"]
    entra_group(entra, erin)
    page = as_alice.get("/orgs/acme/audit-log/?what=member.roles_set_by_directory").content.decode()
    assert "Members&#x27; roles set by their directory groups" in page and "Directory sync: Entra ID" in page
    assert "made admin" in page and "erin@acmecorp.com" in page


def test_entras_removal_with_a_value_list_demotes_to_member(entra, acme):
    erin = entra.post("/Users", user("erin@acmecorp.com")).json()["id"]
    finn = entra.post("/Users", user("finn@acmecorp.com")).json()["id"]
    group_id = entra_group(entra, erin, finn)
    body = patch({"op": "Remove", "path": "members", "value": [{"value": erin}]})
    assert_no_content(entra.patch(f"/Groups/{group_id}", body))
    assert role_of("erin@acmecorp.com", acme) == Role.MEMBER and role_of("finn@acmecorp.com", acme) == Role.ADMIN
    demoted = AuditEvent.objects.filter(action="member.roles_set_by_directory").first()
    assert demoted.changes["made_member"] == [None, ["erin@acmecorp.com"]]


def test_a_group_put_a_remove_of_everyone_and_a_delete_each_decide_again(entra, acme):
    erin = entra.post("/Users", user("erin@acmecorp.com")).json()["id"]
    finn = entra.post("/Users", user("finn@acmecorp.com")).json()["id"]
    group_id = entra_group(entra, erin)
    put = {"schemas": [CORE_GROUP], "externalId": ADMINS_OID, "displayName": "KloudSSO admins", "members": []}
    put["members"] = [{"value": finn}]
    assert entra.put(f"/Groups/{group_id}", put).status_code == 200
    assert (role_of("erin@acmecorp.com", acme), role_of("finn@acmecorp.com", acme)) == (Role.MEMBER, Role.ADMIN)
    assert_no_content(entra.patch(f"/Groups/{group_id}", patch({"op": "remove", "path": "members"})))
    assert role_of("finn@acmecorp.com", acme) == Role.MEMBER
    assert_no_content(
        entra.patch(f"/Groups/{group_id}", patch({"op": "add", "path": "members", "value": [{"value": erin}]}))
    )
    assert role_of("erin@acmecorp.com", acme) == Role.ADMIN
    assert entra.delete(f"/Groups/{group_id}").status_code == 204
    assert role_of("erin@acmecorp.com", acme) == Role.MEMBER


def test_okta_pushes_groups_by_name_and_a_rename_gives_or_takes_the_role(okta, acme):
    erin = okta.post("/Users", user("erin@acmecorp.com")).json()["id"]
    group = okta.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "Admins", "members": []}).json()["id"]
    body = patch({"op": "add", "path": "members", "value": [{"value": erin, "display": "erin@acmecorp.com"}]})
    assert_no_content(okta.patch(f"/Groups/{group}", body))
    assert role_of("erin@acmecorp.com", acme) == Role.ADMIN
    rename = patch({"op": "replace", "value": {"id": group, "displayName": "Former admins"}})
    assert_no_content(okta.patch(f"/Groups/{group}", rename))
    assert role_of("erin@acmecorp.com", acme) == Role.MEMBER
    rename = patch({"op": "replace", "value": {"id": group, "displayName": "admins"}})  # matched case-insensitively
    assert_no_content(okta.patch(f"/Groups/{group}", rename))
    assert role_of("erin@acmecorp.com", acme) == Role.ADMIN
    removal = patch({"op": "remove", "path": f'members[value eq "{erin}"]'})
    assert_no_content(okta.patch(f"/Groups/{group}", removal))
    assert role_of("erin@acmecorp.com", acme) == Role.MEMBER


def test_the_highest_mapped_role_wins_across_a_persons_groups(okta, acme):
    mapped(SCIMDirectory.objects.get(pk=okta.directory.pk).role_connection, "Staff", Role.MEMBER)
    erin = okta.post("/Users", user("erin@acmecorp.com")).json()["id"]
    for name in ("Staff", "Admins"):
        okta.post("/Groups", {"schemas": [CORE_GROUP], "displayName": name, "members": [{"value": erin}]})
    assert role_of("erin@acmecorp.com", acme) == Role.ADMIN


def test_a_connection_for_several_entra_tenants_matches_group_object_ids_only_as_sso_does(
    entra, acme, entra_connection
):
    from connections.oidc.models import OIDCSettings

    OIDCSettings.objects.filter(connection=entra_connection).update(entra_multi_tenant=True)
    role_rule_remove(org=acme, mapping=RoleMapping.objects.get(connection=entra_connection), group=ADMINS_OID)
    mapped(entra_connection, "KloudSSO admins")  # a name any allowed tenant's admins can give a group
    erin = entra.post("/Users", user("erin@acmecorp.com")).json()["id"]
    entra_group(entra, erin)
    assert role_of("erin@acmecorp.com", acme) == Role.MEMBER
    mapped(entra_connection, ADMINS_OID)
    assert role_of("erin@acmecorp.com", acme) == Role.ADMIN


def test_an_owner_is_never_granted_or_removed_by_groups(entra, acme):
    person("olivia@acmecorp.com", acme, Role.OWNER)
    owner = entra.post("/Users", user("olivia@acmecorp.com")).json()["id"]
    group_id = entra_group(entra, owner)
    assert role_of("olivia@acmecorp.com", acme) == Role.OWNER
    assert_no_content(
        entra.patch(f"/Groups/{group_id}", patch({"op": "Remove", "path": "members", "value": [{"value": owner}]}))
    )
    assert role_of("olivia@acmecorp.com", acme) == Role.OWNER
    assert not AuditEvent.objects.filter(action="member.roles_set_by_directory").exists()


def test_an_admin_in_no_mapped_group_is_demoted_even_when_the_mapping_refuses_them(entra, acme, entra_connection):
    from connections.role_mapping_services import role_mapping_set

    mapping = RoleMapping.objects.get(connection=entra_connection)
    role_mapping_set(org=acme, mapping=mapping, unmatched="refuse", groups_claim="")
    erin = entra.post("/Users", user("erin@acmecorp.com")).json()["id"]
    group_id = entra_group(entra, erin)
    assert role_of("erin@acmecorp.com", acme) == Role.ADMIN
    assert_no_content(
        entra.patch(f"/Groups/{group_id}", patch({"op": "Remove", "path": "members", "value": [{"value": erin}]}))
    )
    # SSO refuses them at their next sign-in; meanwhile an open session is no longer an admin's.
    assert role_of("erin@acmecorp.com", acme) == Role.MEMBER


def test_reactivation_gives_back_the_role_of_the_groups_kept_meanwhile(entra, acme):
    erin = entra.post("/Users", user("erin@acmecorp.com")).json()["id"]
    entra_group(entra, erin)
    entra.patch(f"/Users/{erin}", patch({"op": "Replace", "path": "active", "value": "False"}))
    Membership.objects.filter(user__email="erin@acmecorp.com").update(role=Role.MEMBER)  # an owner's change
    assert entra.patch(f"/Users/{erin}", patch({"op": "Replace", "path": "active", "value": "True"})).status_code == 200
    assert role_of("erin@acmecorp.com", acme) == Role.ADMIN
    assert AuditEvent.objects.filter(action="member.roles_set_by_directory", target_id=erin).exists()


def test_a_new_person_waits_for_the_group_push_rather_than_lose_the_admin_role(entra, acme):
    person("adam@acmecorp.com", acme, Role.ADMIN)
    assert entra.post("/Users", user("adam@acmecorp.com")).status_code == 201  # in no group of this directory yet
    assert role_of("adam@acmecorp.com", acme) == Role.ADMIN


def test_without_a_role_connection_groups_change_no_role(acme):
    verified_domain(acme, "acmecorp.com")
    person("adam@acmecorp.com", acme, Role.ADMIN)
    mapped(oidc_connection(acme), ADMINS_OID)
    directory, token = scim_directory(acme)
    scim = SCIMClient(Client(), directory, token)
    erin = scim.post("/Users", user("erin@acmecorp.com")).json()["id"]
    admin = scim.post("/Users", user("adam@acmecorp.com")).json()["id"]
    group_id = entra_group(scim, erin, admin)
    assert_no_content(
        scim.patch(f"/Groups/{group_id}", patch({"op": "Remove", "path": "members", "value": [{"value": admin}]}))
    )
    scim.delete(f"/Groups/{group_id}")
    assert (role_of("erin@acmecorp.com", acme), role_of("adam@acmecorp.com", acme)) == (Role.MEMBER, Role.ADMIN)
    assert not AuditEvent.objects.filter(action="member.roles_set_by_directory").exists()


def test_choosing_the_connection_applies_its_mapping_to_everyone_at_once(as_alice, acme, entra_connection):
    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme)
    scim = SCIMClient(Client(), directory, token)
    erin = scim.post("/Users", user("erin@acmecorp.com")).json()["id"]
    entra_group(scim, erin)
    assert role_of("erin@acmecorp.com", acme) == Role.MEMBER
    url = f"/orgs/acme/directories/{directory.public_id}/roles/"
    response = as_alice.post(url, {"role_connection": str(entra_connection.public_id)}, follow=True)
    assert "Applied now: 1 made admin." in response.content.decode()
    assert role_of("erin@acmecorp.com", acme) == Role.ADMIN
    setting = AuditEvent.objects.get(action="directory.roles_changed")
    assert setting.actor_label == "alice@acme.test" and setting.changes["role_connection"] == [None, "Entra ID (OIDC)"]
    # None again: groups change no role from then on, and roles stay as they are.
    as_alice.post(url, {"role_connection": ""})
    assert SCIMDirectory.objects.get(pk=directory.pk).role_connection is None
    assert role_of("erin@acmecorp.com", acme) == Role.ADMIN


def test_a_change_of_the_connections_mapping_applies_to_the_directorys_people_now(entra, acme, entra_connection):
    erin = entra.post("/Users", user("erin@acmecorp.com")).json()["id"]
    entra_group(entra, erin)
    mapping = RoleMapping.objects.get(connection=entra_connection)
    role_rule_remove(org=acme, mapping=mapping, group=ADMINS_OID)
    assert role_of("erin@acmecorp.com", acme) == Role.ADMIN  # no rule left: the mapping changes nobody
    mapped(entra_connection, "KloudSSO admins", Role.MEMBER)
    assert role_of("erin@acmecorp.com", acme) == Role.MEMBER
    mapped(entra_connection, "kloudsso ADMINS", Role.ADMIN)  # the same group, by name, now mapped to admin
    assert role_of("erin@acmecorp.com", acme) == Role.ADMIN


def test_another_organizations_connection_is_refused_and_never_saved(as_alice, acme, globex):
    directory, _ = scim_directory(acme)
    theirs = oidc_connection(globex, display_name="Globex Entra")
    response = as_alice.post(
        f"/orgs/acme/directories/{directory.public_id}/roles/", {"role_connection": str(theirs.public_id)}
    )
    assert response.status_code == 400
    assert "Choose one of this organization&#x27;s connections" in response.content.decode()
    assert SCIMDirectory.objects.get(pk=directory.pk).role_connection is None
    with pytest.raises(ValueError):
        directory_role_connection_set(directory=directory, connection=theirs, actor=SYSTEM)
    assert SCIMDirectory.objects.get(pk=directory.pk).role_connection is None


def test_another_organizations_owner_cannot_set_where_roles_come_from(client, charlie, acme, globex):
    directory, _ = scim_directory(acme)
    theirs = oidc_connection(globex)
    client.force_login(charlie)
    for slug in ("acme", "globex"):
        url = f"/orgs/{slug}/directories/{directory.public_id}/roles/"
        assert client.post(url, {"role_connection": str(theirs.public_id)}).status_code == 404
    assert SCIMDirectory.objects.get(pk=directory.pk).role_connection is None


def test_the_directory_page_shows_the_setting_and_each_persons_role(as_alice, entra, acme):
    erin = entra.post("/Users", user("erin@acmecorp.com")).json()["id"]
    entra.post("/Users", user("finn@acmecorp.com"))
    entra_group(entra, erin)
    page = as_alice.get(f"/orgs/acme/directories/{entra.directory.public_id}/").content.decode()
    assert "Roles follow the group → role mapping of" in page and "Owners are never changed." in page
    assert "<td>Admin</td>" in page and "<td>Member</td>" in page
    assert "at each sign-in.</p>" not in page.split('id="roles"')[0]


def test_the_connections_groups_page_names_the_directories_that_follow_its_mapping(as_alice, entra, entra_connection):
    page = as_alice.get(f"/orgs/acme/connections/{entra_connection.public_id}/groups/").content.decode()
    assert "Directory sync follows this mapping too" in page
    assert f"/orgs/acme/directories/{entra.directory.public_id}/" in page


# Large groups: the same statements for one member and for hundreds.


def people(directory, count: int, prefix: str = "p") -> list[str]:
    """Linked people of the directory, made in bulk; their SCIM ids."""
    org = directory.organization
    accounts = User.objects.bulk_create([User(email=f"{prefix}{i}@acmecorp.com") for i in range(count)])
    Membership.objects.bulk_create([Membership(user=a, organization=org, role=Role.MEMBER) for a in accounts])
    records = SCIMUser.objects.bulk_create(
        [
            SCIMUser(directory=directory, organization=org, user=a, user_name=a.email, user_name_key=a.email)
            for a in accounts
        ]
    )
    return [str(r.public_id) for r in records]


# The directory, the group, its member count, the users' ids (one batch), one INSERT, the count again, the audit
# event (members), then the roles: the mapping, the people with their groups and roles (one statement), one UPDATE
# of those made admins, the audit event naming them; the request log. 300, not 500: SQLite takes at most 333 member
# rows per INSERT (Django counts 999 variables there), so 500 would add an INSERT before any role is decided.
ADD_STATEMENTS = 12


@pytest.mark.parametrize("count", [1, 300])
def test_adding_members_decides_their_roles_in_the_same_statements_whatever_their_number(entra, acme, count):
    ids = people(entra.directory, count)
    group_id = entra_group(entra)
    body = patch({"op": "Add", "path": "members", "value": [{"value": i} for i in ids]})
    with assert_queries(ADD_STATEMENTS):
        response = entra.patch(f"/Groups/{group_id}?excludedAttributes=members", body)
    assert response.status_code == 200
    assert Membership.objects.filter(organization=acme, role=Role.ADMIN).count() == count


# The directory, the group, its member count, one DELETE (one batch of 500), the count again, the audit event, the
# mapping, the people with their groups and roles, one UPDATE of those made members, the audit event; the log.
REMOVE_STATEMENTS = 11


@pytest.mark.parametrize("count", [1, 500])
def test_removing_members_demotes_them_in_the_same_statements_whatever_their_number(entra, acme, count):
    ids = people(entra.directory, count)
    group_id = entra_group(entra, *ids)
    body = patch({"op": "Remove", "path": "members", "value": [{"value": i} for i in ids]})
    with assert_queries(REMOVE_STATEMENTS):
        response = entra.patch(f"/Groups/{group_id}?excludedAttributes=members", body)
    assert response.status_code == 200
    assert not Membership.objects.filter(organization=acme, role=Role.ADMIN).exists()


def test_two_thousand_people_are_decided_in_five_statements(entra, acme):
    ids = people(entra.directory, 2000)
    group_id = entra_group(entra, *ids[:1000])
    # Then an owner swapped everyone's role on the Members page: each half must move back.
    inside = SCIMUser.objects.filter(public_id__in=ids[:1000]).values("user_id")
    outside = SCIMUser.objects.filter(public_id__in=ids[1000:]).values("user_id")
    Membership.objects.filter(user_id__in=inside).update(role=Role.MEMBER)
    Membership.objects.filter(user_id__in=outside).update(role=Role.ADMIN)
    # The mapping, the 2,000 people with their groups and roles, one UPDATE per role given, the audit event.
    with assert_queries(5):
        changed = roles_apply(
            directory=entra.directory, affected=Affected(public_ids=set(ids)), cause=Target("scim_group", group_id, "")
        )
    assert len(changed[Role.ADMIN]) == len(changed[Role.MEMBER]) == 1000
    assert set(Membership.objects.filter(user_id__in=inside).values_list("role", flat=True)) == {Role.ADMIN}
    assert set(Membership.objects.filter(user_id__in=outside).values_list("role", flat=True)) == {Role.MEMBER}
