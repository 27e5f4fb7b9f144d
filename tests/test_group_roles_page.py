"""The owners' Groups page of a connection, and the role decision it feeds (signin/roles.py)."""

import pytest
from django.urls import reverse

from connections.role_mapping import RoleMapping
from kloudsso.audit.models import AuditEvent
from signin.complete import Vouched
from signin.errors import SignInError
from signin.person import groups_of, names_of
from signin.roles import decide
from tests.support.factories import oidc_connection, saml_connection


@pytest.fixture
def connection(acme):
    return oidc_connection(acme)


def url(name, connection, slug="acme"):
    return reverse(f"connections:{name}", kwargs={"org_slug": slug, "public_id": connection.public_id})


def rules(connection):
    return RoleMapping.objects.get(connection=connection).rules_data


def test_an_owner_maps_a_group_changes_its_role_and_removes_it_each_audited(as_alice, connection):
    page = as_alice.get(url("groups", connection))
    assert page.status_code == 200 and "No group is mapped" in page.content.decode()
    assert "Owners are never granted or removed" in page.content.decode()
    added = as_alice.post(url("groups", connection), {"group": "  Admins  Team ", "role": "admin"})
    assert added.status_code == 302 and rules(connection) == [{"group": "Admins Team", "role": "admin"}]
    as_alice.post(url("groups", connection), {"group": "admins team", "role": "member"})  # the same group, again
    assert rules(connection) == [{"group": "admins team", "role": "member"}]
    as_alice.post(url("groups_remove", connection), {"group": "admins team"})
    assert rules(connection) == []
    events = AuditEvent.objects.filter(action__startswith="group_roles").order_by("id")
    actions = list(events.values_list("action", "changes"))
    assert actions == [
        ("group_roles.rule_added", {"group Admins Team": [None, "admin"]}),
        ("group_roles.rule_added", {"group admins team": ["admin", "member"]}),
        ("group_roles.rule_removed", {"group admins team": ["member", None]}),
    ]


def test_the_page_names_where_the_preset_reads_groups(as_alice, acme):
    entra = oidc_connection(acme)  # login.microsoftonline.com: the Entra ID preset
    page = as_alice.get(url("groups", entra)).content.decode()
    assert "<code>groups</code>" in page and "Token configuration → Add groups claim" in page
    okta = saml_connection(acme)
    assert "Group Attribute Statements" in as_alice.get(url("groups", okta)).content.decode()


def test_the_settings_are_saved_and_audited(as_alice, connection):
    saved = as_alice.post(url("groups_settings", connection), {"unmatched": "refuse", "groups_claim": "roles"})
    assert saved.status_code == 302
    mapping = RoleMapping.objects.get(connection=connection)
    assert (mapping.unmatched, mapping.groups_claim) == ("refuse", "roles")
    event = AuditEvent.objects.get(action="group_roles.changed")
    assert event.changes == {"unmatched": ["member", "refuse"], "groups_claim": ["", "roles"]}


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("groups", {"group": "   ", "role": "admin"}, "This field is required"),
        ("groups", {"group": "Admins", "role": "owner"}, "Select a valid choice"),
        ("groups", {"group": "x" * 300, "role": "admin"}, "at most 256 characters"),
        ("groups_settings", {"unmatched": "maybe", "groups_claim": ""}, "Select a valid choice"),
        ("groups_settings", {"unmatched": "member", "groups_claim": "two words"}, "no spaces"),
    ],
)
def test_bad_input_is_a_clear_error_and_nothing_is_saved(as_alice, connection, name, data, said):
    answer = as_alice.post(url(name, connection), data)
    assert answer.status_code in (200, 400) and said in answer.content.decode()
    assert not RoleMapping.objects.exists() and not AuditEvent.objects.filter(action__startswith="group_roles").exists()


def test_removing_a_group_not_mapped_says_so(as_alice, connection):
    answer = as_alice.post(url("groups_remove", connection), {"group": "ghost"}, follow=True)
    assert "ghost is not mapped" in answer.content.decode()


def test_another_organizations_connection_is_a_404_and_untouched(client, charlie, globex, connection):
    client.force_login(charlie)
    for name, data in (("groups", {"group": "x", "role": "admin"}), ("groups_settings", {"unmatched": "refuse"})):
        assert client.post(url(name, connection, "globex"), data).status_code == 404
        assert client.post(url(name, connection, "acme"), data).status_code == 404
    assert not RoleMapping.objects.exists()


def test_the_members_page_shows_the_names_and_which_connections_set_roles(as_alice, alice, connection, globex):
    alice.first_name, alice.last_name, alice.full_name = "Alice", "Liddell", "Alice L."
    alice.save()
    members = reverse("members:list", kwargs={"org_slug": "acme"})
    page = as_alice.get(members).content.decode()
    assert "Alice L." in page and "Alice Liddell" in page and "roles-from-groups" not in page
    theirs = oidc_connection(globex, display_name="Globex IdP")
    RoleMapping.objects.create(connection=theirs, rules_data=[{"group": "a", "role": "admin"}])
    RoleMapping.objects.create(connection=connection)  # no rule: sets no role
    assert "roles-from-groups" not in as_alice.get(members).content.decode()
    RoleMapping.objects.filter(connection=connection).update(rules_data=[{"group": "a", "role": "admin"}])
    page = as_alice.get(members).content.decode()
    assert "Roles of people who sign in through Entra ID follow" in page and "Globex IdP" not in page


# ---------------------------------------------------------------------------------------------------------------
# The decision, on its own.


def mapping_of(connection, rules: dict, unmatched="member"):
    data = [{"group": g, "role": r} for g, r in rules.items()]
    return RoleMapping(connection=connection, rules_data=data, unmatched=unmatched)


def groups(connection, claims: dict):
    return groups_of(Vouched(connection, "s", "p@acme.test", claims))


def test_the_highest_mapped_role_wins(connection):
    mapping = mapping_of(connection, {"staff": "member", "it": "admin"})
    decision = decide(mapping, groups(connection, {"groups": ["staff", "IT"]}), "member", org_name="Acme")
    assert decision.role == "admin" and "the highest of 2 mapped groups" in decision.words


def test_an_owner_is_never_touched_even_by_overage_or_refusal(connection):
    mapping = mapping_of(connection, {"it": "admin"}, unmatched="refuse")
    for claims in ({"groups": []}, {"hasgroups": True}, {}):
        assert decide(mapping, groups(connection, claims), "owner", org_name="Acme").role is None


def test_no_mapping_changes_nothing_even_with_overage(connection):
    assert decide(None, groups(connection, {"hasgroups": True}), "admin", org_name="Acme").role is None
    empty = mapping_of(connection, {}, unmatched="refuse")
    assert decide(empty, groups(connection, {}), "admin", org_name="Acme").role is None


def test_a_missing_group_claim_is_named_in_the_refusal(connection):
    mapping = mapping_of(connection, {"it": "admin"}, unmatched="refuse")
    with pytest.raises(SignInError) as refused:
        decide(mapping, groups(connection, {"email": "p@acme.test"}), "member", org_name="Acme")
    assert refused.value.code == "no_matching_group"
    assert "The answer has no groups or roles" in refused.value.detail and "it → admin" in refused.value.detail
    assert "Acme" in refused.value.message


def test_names_come_from_the_saml_presets_attributes(acme):
    connection = saml_connection(acme)  # Okta
    names = names_of(Vouched(connection, "s", "p@acme.test", {"firstName": ["Pat\n"], "lastName": ["Doe"]}))
    assert (names.first_name, names.last_name, names.full_name) == ("Pat", "Doe", "Pat Doe")


def test_each_guide_says_where_names_and_groups_come_from(as_alice):
    page = as_alice.get(reverse("connections:guide", kwargs={"org_slug": "acme", "slug": "entra-saml"}))
    words = page.content.decode()
    assert "Names and groups." in words
    assert "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups" in words and "Add a group" in words
    adfs = as_alice.get(reverse("connections:guide", kwargs={"org_slug": "acme", "slug": "adfs-saml"}))
    assert "Token-Groups - Unqualified Names" in adfs.content.decode()


def test_an_adfs_entity_id_gets_the_adfs_preset(acme):
    from connections.guides.profiles import preset_slug

    connection = saml_connection(acme)
    saml = connection.saml
    saml.idp_entity_id = "http://adfs.corp.test/adfs/services/trust"
    saml.sso_redirect_url = saml.sso_post_url = "https://adfs.corp.test/adfs/ls/"
    assert preset_slug(connection) == "adfs-saml"
    assert preset_slug(oidc_connection(acme)) == "entra-oidc"


def test_the_page_says_what_happens_to_an_admin_who_leaves_their_group(as_alice, connection):
    assert "leaves their group becomes a member" in as_alice.get(url("groups", connection)).content.decode()
    as_alice.post(url("groups_settings", connection), {"unmatched": "refuse", "groups_claim": ""})
    page = " ".join(as_alice.get(url("groups", connection)).content.decode().split())
    assert "becomes a member" not in page and "leaves their group is refused at their next sign-in" in page


def test_a_connection_for_several_entra_tenants_says_only_group_ids_count(as_alice, connection):
    assert 'id="group-ids-only"' not in as_alice.get(url("groups", connection)).content.decode()
    connection.oidc.entra_multi_tenant = True
    connection.oidc.save(update_fields=["entra_multi_tenant"])
    RoleMapping.objects.create(
        connection=connection,
        rules_data=[
            {"group": "Admins", "role": "admin"},
            {"group": "5f3b1c2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b", "role": "admin"},
        ],
    )
    page = as_alice.get(url("groups", connection)).content.decode()
    assert 'id="group-ids-only"' in page and "Only group object IDs count on this connection" in page
    assert page.count("never matches here: not a group object ID") == 1
    assert "<code>groups</code> only (a connection for several Entra ID tenants)" in page


def test_entras_group_overage_refuses_only_when_the_groups_claim_is_read(connection):
    """App roles are Microsoft's remedy for overage: a token in overage that carries roles is decided by them."""
    mapping = mapping_of(connection, {"it-admins": "admin"})
    overage = {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": "https://graph"}}}
    by_roles = decide(mapping, groups(connection, {**overage, "roles": ["it-admins"]}), "member", org_name="Acme")
    assert by_roles.role == "admin"
    chosen = groups_of(Vouched(connection, "s", "p@acme.test", {"hasgroups": True, "dept": "it-admins"}), claim="dept")
    assert decide(mapping, chosen, "member", org_name="Acme").role == "admin"
    for claims in (overage, {"hasgroups": True}, {"hasgroups": True, "groups": []}):
        with pytest.raises(SignInError) as refused:
            decide(mapping, groups(connection, claims), "member", org_name="Acme")
        assert refused.value.code == "groups_overage"


def test_an_adfs_oidc_connection_reads_adfs_group_claim(as_alice, acme):
    from connections.guides.idp_words import oidc_preset
    from connections.guides.profiles import preset_slug

    adfs = oidc_connection(acme, display_name="AD FS", issuer="https://sts.acme.test/adfs")
    assert preset_slug(adfs) == "adfs-oidc" and oidc_preset(adfs.oidc).slug == "adfs-oidc"
    found = groups(adfs, {"group": ["Domain Admins", "IT"], "roles": ["x"]})
    assert (found.claim, found.values) == ("group", ("Domain Admins", "IT"))
    assert decide(mapping_of(adfs, {"it": "admin"}), found, "member", org_name="Acme").role == "admin"
    page = as_alice.get(url("groups", adfs)).content.decode()
    assert "<code>group</code>" in page and "Token-Groups - Unqualified Names to Group" in page
    assert preset_slug(oidc_connection(acme, issuer="https://idp.acme.test/adfs/x")) == "generic-oidc"
