"""Test connection explains the role the connection's group mapping gives (which group matched, or why none did)
and what the groups in the answer mean when the mapping cannot use them. SAML answers crafted by pysaml2's IdP."""

import pytest

from connections.role_mapping import RoleMapping
from kloudsso.tenancy.models import Membership
from signin.complete import Vouched, complete_sign_in
from tests.test_saml_acs import connection, idp, post, sp  # noqa: F401 -- fixtures and helpers
from tests.test_test_connection_decisions import report  # noqa: F401 -- a fixture

EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
LINK = "http://schemas.microsoft.com/claims/groups.link"


def mapped(connection, rules, unmatched="member"):  # noqa: F811
    data = [{"group": group, "role": role} for group, role in rules.items()]
    return RoleMapping.objects.create(connection=connection, rules_data=data, unmatched=unmatched)


def answer(groups=None, **more):
    attributes = {EMAIL: ["ada@acme.test"], **more}
    if groups is not None:
        attributes["groups"] = groups
    return {"attributes": attributes}


def test_the_matched_group_is_named(report, connection):  # noqa: F811
    mapped(connection, {"Admins": "admin"})
    words = report(**answer(["Staff", "Admins"], givenName=["Ada"], sn=["Lovelace"]))
    assert "Role: admin" in words and "groups holds Admins, mapped to admin." in words
    assert "Names: Ada Lovelace" in words and "Written to the account at each sign-in" in words


def test_an_admin_who_left_the_group_is_shown_demoted(report, connection):  # noqa: F811
    complete_sign_in(Vouched(connection, "nameid:ada@acme.test", "ada@acme.test"))
    Membership.objects.filter(user__email="ada@acme.test").update(role="admin")
    mapped(connection, {"Admins": "admin"})
    words = report(**answer(["Staff"]))
    assert "Role: member" in words and "(was admin, changed at this sign-in)" in words
    assert "groups holds Staff: none of the mapped groups (Admins → admin)" in words
    assert Membership.objects.get(user__email="ada@acme.test").role == "admin"  # a test changes nothing


def test_an_owner_is_said_to_be_untouched(report, connection):  # noqa: F811
    mapped(connection, {"Admins": "admin"}, unmatched="refuse")
    words = report(name_id="alice@acme.test", attributes={})
    assert "it works" in words and "Role: owner" in words
    assert "An owner: never granted or removed by the IdP's groups" in words


def test_a_refusal_names_the_groups_sent_and_those_mapped(report, connection):  # noqa: F811
    mapped(connection, {"Admins": "admin"}, unmatched="refuse")
    words = report(**answer(["Interns"]))
    assert "it would fail" in words and "no_matching_group" in words
    assert "groups holds Interns; the groups mapped to a role are Admins → admin" in words


def test_overage_without_a_mapping_is_explained_and_with_one_refused(report, connection):  # noqa: F811
    words = report(**answer(**{LINK: ["https://graph.windows.net/tenant/users/x/getMemberObjects"]}))
    assert "it works" in words and "Entra ID left this person's groups out of the token" in words
    mapped(connection, {"Admins": "admin"})
    words = report(**answer(**{LINK: ["https://graph.windows.net/tenant/users/x/getMemberObjects"]}))
    assert "groups_overage" in words and "getMemberObjects" in words


def test_a_mapping_with_no_groups_sent_is_pointed_out(report, connection):  # noqa: F811
    mapped(connection, {"Admins": "admin"})
    words = report(**answer())
    assert "Role: member" in words and "the IdP sent no groups or" in words


@pytest.mark.parametrize("elsewhere", [False, True])
def test_names_of_a_person_in_other_organizations_are_kept(report, connection, globex, elsewhere):  # noqa: F811
    complete_sign_in(Vouched(connection, "nameid:ada@acme.test", "ada@acme.test"))
    if elsewhere:
        Membership.objects.create(user=Membership.objects.get(user__email="ada@acme.test").user, organization=globex)
    words = report(**answer(givenName=["Ada"], sn=["Lovelace"]))
    assert ("Not written: this person belongs to other organizations too" in words) == elsewhere


def test_the_owners_group_claim_replaces_the_presets(report, connection):  # noqa: F811
    mapping = mapped(connection, {"Admins": "admin"})
    mapping.groups_claim = "memberOf"
    mapping.save()
    words = report(**answer(["Admins"], memberOf=["Staff"]))  # groups is not read any more
    assert "Role: member" in words and "memberOf holds Staff: none of the mapped groups" in words
