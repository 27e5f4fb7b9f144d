"""Names and groups → roles, end to end against both real test IdPs: oidc-provider (shaped like Entra ID, with
Entra's group overage claims) and SimpleSAMLphp (group and name attributes)."""

import pytest
import requests

from connections.events import SignInEvent
from connections.role_mapping import RoleMapping
from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.audit.models import AuditEvent
from kloudsso.tenancy.models import Membership, Organization, Plan
from tests.support.factories import oidc_connection_for_idp
from tests.support.sso_browser import oidc_sign_in, saml_sign_in

pytestmark = pytest.mark.django_db(transaction=True)

GRAPH = "https://graph.microsoft.com/v1.0/users/00000000-0000-0000-0000-0000000000e3/getMemberObjects"
ADMINS = "6a1c6e0e-6f5b-4b8e-9d3c-2d6f0a9e0001"  # an Entra group object ID
OIDC_ACCOUNTS = {
    "gia": {
        "email": "gia@acme.test",
        "email_verified": True,
        "given_name": "Gia",
        "family_name": "Rossi",
        "name": "Gia Rossi",
        "groups": [ADMINS, "staff-group"],
    },
    "hal": {"email": "hal@acme.test", "given_name": "Hal", "family_name": "Jordan", "groups": ["staff-group"]},
    "ned": {"email": "ned@acme.test", "groups": ["interns"]},
    "ova": {
        "email": "ova@acme.test",
        "_claim_names": {"groups": "src1"},
        "_claim_sources": {"src1": {"endpoint": GRAPH}},
    },
    "hex": {"email": "hex@acme.test", "hasgroups": True},
}
SAML_USERS = {
    "gia": {
        "uid": ["gia"],
        "mail": ["gia@acme.test"],
        "givenName": ["Gia"],
        "sn": ["Rossi"],
        "displayName": ["Gia Rossi"],
        "groups": ["Admins", "Staff"],
    },
    "ned": {"uid": ["ned"], "mail": ["ned@acme.test"], "groups": ["Interns"]},
    "ova": {
        "uid": ["ova"],
        "mail": ["ova@acme.test"],
        "http://schemas.microsoft.com/claims/groups.link": [GRAPH],
    },
}


@pytest.fixture(scope="module")
def mapping_idp(live_server):
    from tests.support.oidc_idp import OIDCIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the OIDC test IdP cannot run: {reason}")
    with OIDCIdP(
        client_id="kloudsso-groups",
        client_secret="idp-client-secret-groups",
        redirect_uris=[f"{live_server.url}/sso/oidc"],
        accounts=OIDC_ACCOUNTS,
    ) as idp:
        yield idp


def organization() -> Organization:
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID, provisioning_mode="jit")
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    return org


@pytest.fixture
def oidc_site(live_server, settings, mapping_idp):
    settings.PUBLIC_BASE_URL = live_server.url
    org = organization()
    return live_server.url, org, oidc_connection_for_idp(org, mapping_idp)


@pytest.fixture
def saml_site(live_server, settings):
    from connections.saml.metadata import parse_idp_metadata
    from connections.saml.services import saml_connection_save
    from connections.sp import service_provider_get_or_create
    from tests.support.saml_idp import SimpleSAMLphpIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    settings.PUBLIC_BASE_URL = live_server.url
    org = organization()
    sp = service_provider_get_or_create(org=org)
    with SimpleSAMLphpIdP(sp.entity_id, f"{live_server.url}/sso/saml", sp.certificate_pem, users=SAML_USERS) as idp:
        connection = saml_connection_save(
            org=org, display_name="SimpleSAMLphp", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
        )
        yield live_server.url, org, connection


def mapped(connection, rules: dict, unmatched="member") -> RoleMapping:
    data = [{"group": group, "role": role} for group, role in rules.items()]
    mapping, _ = RoleMapping.objects.update_or_create(
        connection=connection, defaults={"rules_data": data, "unmatched": unmatched}
    )
    return mapping


def role_of(email: str, org) -> str:
    return Membership.objects.get(user__email=email, organization=org).role


def refused(landed, code: str, org) -> SignInEvent:
    assert landed.status_code == 400 and f"<code>{code}</code>" in landed.text
    return SignInEvent.objects.get(organization=org, code=code)


# ---------------------------------------------------------------------------------------------------------------
# OIDC


def test_oidc_names_and_a_mapped_group_make_an_admin(oidc_site):
    base_url, org, connection = oidc_site
    mapped(connection, {ADMINS.upper(): "admin"})  # object IDs compare case-insensitively
    landed = oidc_sign_in(requests.Session(), base_url, "gia@acme.test", "gia")
    assert landed.url == f"{base_url}/orgs/acme/"
    gia = User.objects.get(email="gia@acme.test")
    assert (gia.first_name, gia.last_name, gia.full_name) == ("Gia", "Rossi", "Gia Rossi")
    assert role_of("gia@acme.test", org) == "admin"
    event = AuditEvent.objects.get(action="member.role_set_by_groups")
    assert event.changes["role"] == ["member", "admin"] and event.actor_label == "Entra ID (IdP groups)"
    assert ADMINS in event.changes["because"][1]
    oidc_sign_in(requests.Session(), base_url, "hal@acme.test", "hal")
    assert role_of("hal@acme.test", org) == "member"
    assert User.objects.get(email="hal@acme.test").full_name == "Hal Jordan"  # no name claim: first and last


def test_oidc_names_are_updated_at_each_sign_in_unless_the_person_belongs_elsewhere(oidc_site):
    base_url, _, _ = oidc_site
    oidc_sign_in(requests.Session(), base_url, "gia@acme.test", "gia")
    User.objects.filter(email="gia@acme.test").update(first_name="Old", full_name="Old Name")
    oidc_sign_in(requests.Session(), base_url, "gia@acme.test", "gia")
    assert User.objects.get(email="gia@acme.test").full_name == "Gia Rossi"
    other = Organization.objects.create(name="Globex", slug="globex", plan=Plan.PAID)
    Membership.objects.create(user=User.objects.get(email="gia@acme.test"), organization=other)
    User.objects.filter(email="gia@acme.test").update(full_name="Gia at Globex")
    oidc_sign_in(requests.Session(), base_url, "gia@acme.test", "gia")
    assert User.objects.get(email="gia@acme.test").full_name == "Gia at Globex"


def test_oidc_an_admin_who_leaves_the_group_becomes_a_member_and_an_owner_is_never_touched(oidc_site):
    base_url, org, connection = oidc_site
    mapping = mapped(connection, {ADMINS: "admin"})
    oidc_sign_in(requests.Session(), base_url, "gia@acme.test", "gia")
    assert role_of("gia@acme.test", org) == "admin"
    mapping.rules_data = [{"group": "another-group", "role": "admin"}]
    mapping.save()
    oidc_sign_in(requests.Session(), base_url, "gia@acme.test", "gia")
    assert role_of("gia@acme.test", org) == "member"
    assert AuditEvent.objects.filter(action="member.role_set_by_groups").count() == 2
    Membership.objects.filter(user__email="gia@acme.test").update(role="owner")
    mapping.unmatched = "refuse"
    mapping.save()
    landed = oidc_sign_in(requests.Session(), base_url, "gia@acme.test", "gia")
    assert landed.url == f"{base_url}/orgs/acme/"  # an owner in no mapped group still signs in, still an owner
    assert role_of("gia@acme.test", org) == "owner"


def test_oidc_no_matching_group_refused_when_the_owner_chose_so(oidc_site):
    base_url, org, connection = oidc_site
    mapped(connection, {ADMINS: "admin", "staff-group": "member"}, unmatched="refuse")
    event = refused(oidc_sign_in(requests.Session(), base_url, "ned@acme.test", "ned"), "no_matching_group", org)
    assert "groups holds interns" in event.detail and f"{ADMINS} → admin" in event.detail
    assert "staff-group → member" in event.detail
    assert not User.objects.filter(email="ned@acme.test").exists()
    oidc_sign_in(requests.Session(), base_url, "hal@acme.test", "hal")
    assert role_of("hal@acme.test", org) == "member"


def test_oidc_no_matching_group_is_a_member_by_default(oidc_site):
    base_url, org, connection = oidc_site
    mapped(connection, {ADMINS: "admin"})
    assert oidc_sign_in(requests.Session(), base_url, "ned@acme.test", "ned").url == f"{base_url}/orgs/acme/"
    assert role_of("ned@acme.test", org) == "member"


@pytest.mark.parametrize(
    ("login", "said"),
    [("ova", f"claim source src1 (endpoint {GRAPH})"), ("hex", "hasgroups true")],
    ids=["claim-sources", "hasgroups"],
)
def test_oidc_entras_group_overage_is_refused_with_a_mapping_and_explained(oidc_site, login, said):
    base_url, org, connection = oidc_site
    mapped(connection, {ADMINS: "admin"})
    event = refused(oidc_sign_in(requests.Session(), base_url, f"{login}@acme.test", login), "groups_overage", org)
    assert said in event.detail and f"{ADMINS} → admin" in event.detail


def test_oidc_group_overage_without_a_mapping_signs_in(oidc_site):
    base_url, org, _ = oidc_site
    assert oidc_sign_in(requests.Session(), base_url, "ova@acme.test", "ova").url == f"{base_url}/orgs/acme/"
    assert role_of("ova@acme.test", org) == "member"


# ---------------------------------------------------------------------------------------------------------------
# SAML


def test_saml_names_and_group_attribute_values_make_an_admin(saml_site):
    base_url, org, connection = saml_site
    mapped(connection, {"admins": "admin", "Staff": "member"})
    landed = saml_sign_in(requests.Session(), base_url, "gia@acme.test", "gia")
    assert landed.url == f"{base_url}/orgs/acme/"
    gia = User.objects.get(email="gia@acme.test")
    assert (gia.first_name, gia.last_name, gia.full_name) == ("Gia", "Rossi", "Gia Rossi")
    assert role_of("gia@acme.test", org) == "admin"
    because = AuditEvent.objects.get(action="member.role_set_by_groups").changes["because"][1]
    assert "groups holds Admins, mapped to admin" in because


def test_saml_no_matching_group_refused_and_overage_refused(saml_site):
    base_url, org, connection = saml_site
    mapped(connection, {"Admins": "admin"}, unmatched="refuse")
    event = refused(saml_sign_in(requests.Session(), base_url, "ned@acme.test", "ned"), "no_matching_group", org)
    assert "groups holds Interns" in event.detail and "Admins → admin" in event.detail
    event = refused(saml_sign_in(requests.Session(), base_url, "ova@acme.test", "ova"), "groups_overage", org)
    assert "groups.link" in event.detail and GRAPH in event.detail
    assert not User.objects.filter(email__in=["ned@acme.test", "ova@acme.test"]).exists()
