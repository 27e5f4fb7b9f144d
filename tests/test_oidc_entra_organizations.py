"""Entra ID's /organizations/ endpoint with a list of allowed tenants, end to end against the real test IdP
(oidc-provider with three tenants behind /organizations/): the form takes the list and checks each ID at Entra,
a listed tenant's people sign in (keyed by their own tid + oid), anyone else's are refused naming their tid."""

import pytest
import requests
from django.urls import reverse

from connections.events import SignInEvent
from connections.models import Connection, EntraAllowedTenant, SSOIdentity
from connections.oidc.discovery import discover
from connections.oidc.entra_tenants import AllowedTenant
from connections.oidc.preflight import allowed_tenants_check
from connections.oidc.services import oidc_connection_save
from connections.preflight import WARN
from domains.models import Domain
from kloudsso.audit.models import AuditEvent
from kloudsso.tenancy.models import Organization, Plan
from tests.support.sso_browser import oidc_sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ACME = "aaaaaaaa-0000-4000-8000-00000000000a"  # the IdP's tenant for ...@acme.test
ACME_EU = "bbbbbbbb-0000-4000-8000-00000000000b"  # for ...@eu.acme.test
STRANGER = "cccccccc-0000-4000-8000-00000000000c"  # for ...@stranger.test
NOWHERE = "dddddddd-0000-4000-8000-00000000000d"  # no tenant at the IdP: AADSTS90002
ADA_OID = "00000000-0000-0000-0000-00000000ada1"
ADMINS_GROUP_ID = "5f3b1c2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b"
# People of the eu.acme.test tenant whose mail its admins set: mal's to an address of acme.test.
PARTNER_ACCOUNTS = {
    "mal": {"name": "Mal", "preferred_username": "mal@eu.acme.test", "email": "ada@acme.test"},
    "kim": {"name": "Kim", "preferred_username": "kim@eu.acme.test", "email": "kim.k@eu.acme.test", "xms_edov": True},
    "gus": {"name": "Gus", "preferred_username": "gus@eu.acme.test", "groups": ["Admins"], "roles": ["admin"]},
    "ida": {"name": "Ida", "preferred_username": "ida@eu.acme.test", "groups": [ADMINS_GROUP_ID]},
}


@pytest.fixture(scope="module")
def entra(live_server):
    from tests.support.oidc_idp import OIDCIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the OIDC test IdP cannot run: {reason}")
    organizations = {ACME: "acme.test", ACME_EU: "eu.acme.test", STRANGER: "stranger.test"}
    with OIDCIdP(
        client_id="kloudsso-multi",
        client_secret="multi-secret-1",
        redirect_uris=[f"{live_server.url}/sso/oidc"],
        organizations=organizations,
        accounts=PARTNER_ACCOUNTS,
    ) as idp:
        yield idp


@pytest.fixture
def org(db):
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID, provisioning_mode="jit")
    for name in ("acme.test", "eu.acme.test"):
        Domain.objects.create(organization=org, name=name, status="verified")
    return org


def connect(org, idp, *tenants: str) -> Connection:
    return oidc_connection_save(
        org=org,
        display_name="Entra ID (several tenants)",
        discovery=discover(idp.organizations_discovery_url),
        client_id=idp.client_id,
        client_secret=idp.client_secret,
        scopes="openid email profile",
        allowed_tenants=[AllowedTenant(tenant) for tenant in tenants],
    )


@pytest.fixture
def site(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server.url


def test_discovery_keeps_the_issuer_template_of_the_organizations_endpoint(entra):
    discovery = discover(entra.organizations_discovery_url)
    assert discovery.multi_tenant
    assert discovery.issuer == f"{entra.origin}/{{tenantid}}/v2.0"
    assert discovery.token_endpoint == f"{entra.origin}/organizations/oauth2/v2.0/token"


def test_a_listed_tenant_signs_in_keyed_by_its_own_tid_and_oid(site, entra, org):
    connection = connect(org, entra, ACME)
    landed = oidc_sign_in(requests.Session(), site, "ada@acme.test", "ada")
    assert landed.url == f"{site}/orgs/acme/", landed.text[:2000]
    identity = SSOIdentity.objects.get(connection=connection)
    assert identity.subject == f"entra:{ACME}:{ADA_OID}"
    assert SignInEvent.objects.get(connection=connection).outcome == "success"


def test_a_tenant_not_listed_is_refused_naming_its_tid(site, entra, org):
    connection = connect(org, entra, ACME)
    browser = requests.Session()
    landed = oidc_sign_in(browser, site, "ada@eu.acme.test", "ada")  # the IdP's eu.acme.test tenant signs her in
    assert landed.status_code == 400
    assert "<code>entra_tenant_not_allowed</code>" in landed.text
    assert "tenant may not sign in here" in landed.text
    event = SignInEvent.objects.get(connection=connection)
    assert (event.outcome, event.code) == ("failure", "entra_tenant_not_allowed")
    assert ACME_EU in event.detail and "ada@acme.test" in event.detail
    assert not SSOIdentity.objects.exists()
    home = browser.get(f"{site}/", allow_redirects=True)
    assert "/login/" in home.url  # not signed in


def test_each_listed_tenant_keys_its_people_by_its_own_tid(site, entra, org):
    connection = connect(org, entra, ACME, ACME_EU)
    assert oidc_sign_in(requests.Session(), site, "ada@acme.test", "ada").url == f"{site}/orgs/acme/"
    assert oidc_sign_in(requests.Session(), site, "bea@eu.acme.test", "bea").url == f"{site}/orgs/acme/"
    subjects = set(SSOIdentity.objects.filter(connection=connection).values_list("subject", flat=True))
    assert subjects == {f"entra:{ACME}:{ADA_OID}", f"entra:{ACME_EU}:00000000-0000-0000-0000-00000000bea1"}


def test_another_listed_tenant_cannot_take_over_an_account_by_its_email(site, entra, org):
    """The same oid in another tenant is another object: its ada@acme.test is not the one already linked."""
    connection = connect(org, entra, ACME, ACME_EU)
    assert oidc_sign_in(requests.Session(), site, "ada@acme.test", "ada").url == f"{site}/orgs/acme/"
    landed = oidc_sign_in(requests.Session(), site, "ada@eu.acme.test", "ada")
    assert "<code>email_reused</code>" in landed.text
    assert SSOIdentity.objects.filter(connection=connection).count() == 1


def test_removing_a_tenant_from_the_list_stops_its_sign_ins(site, entra, org):
    connection = connect(org, entra, ACME, ACME_EU)
    assert oidc_sign_in(requests.Session(), site, "bea@eu.acme.test", "bea").url == f"{site}/orgs/acme/"
    oidc_connection_save(
        org=org,
        connection=connection,
        display_name=connection.display_name,
        discovery=discover(entra.organizations_discovery_url),
        client_id=entra.client_id,
        client_secret="",
        scopes="openid email profile",
        allowed_tenants=[AllowedTenant(ACME)],
    )
    landed = oidc_sign_in(requests.Session(), site, "bea@eu.acme.test", "bea")
    assert "<code>entra_tenant_not_allowed</code>" in landed.text


# ----------------------------------------------------------------------------------------- the owner's form --


def post(client, entra, tenants: str, **overrides):
    data = {
        "display_name": "Entra ID",
        "discovery_url": entra.organizations_discovery_url,
        "client_id": entra.client_id,
        "client_secret": entra.client_secret,
        "scopes": "openid email profile",
        "entra_allowed_tenants": tenants,
        **overrides,
    }
    return client.post(reverse("connections:add_oidc", kwargs={"org_slug": "acme"}), data)


def errors(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(response.context["form"].errors.get("entra_allowed_tenants", []))


def test_the_form_saves_the_list_checked_at_entra(as_alice, acme, entra):
    response = post(as_alice, entra, f"{ACME} Acme HQ\n\n{ACME_EU.upper()}, Acme EU\n{ACME} again\n")
    assert response.status_code == 302
    oidc = Connection.objects.get(organization=acme).oidc
    assert oidc.entra_multi_tenant and oidc.entra_tenant_id == ""
    rows = {str(t.tenant_id): t for t in oidc.allowed_tenants.all()}
    assert set(rows) == {ACME, ACME_EU}  # de-duplicated, lower-cased
    assert rows[ACME].label == "Acme HQ" and rows[ACME_EU].label == "Acme EU"
    assert {t.lookup for t in rows.values()} == {"found"}
    assert all(t.looked_up_at is not None for t in rows.values())
    event = AuditEvent.objects.get(action="connection.added")
    assert event.changes["entra_allowed_tenants"] == [None, [f"{ACME} (Acme HQ)", f"{ACME_EU} (Acme EU)"]]


def test_the_organizations_endpoint_needs_a_list(as_alice, acme, entra):
    assert "list the Directory (tenant) IDs allowed" in errors(post(as_alice, entra, ""))
    assert not Connection.objects.exists()


def test_a_tenant_entra_does_not_know_is_refused(as_alice, acme, entra):
    message = errors(post(as_alice, entra, f"{ACME}\n{NOWHERE} typo"))
    assert f"Entra ID knows no tenant {NOWHERE} (AADSTS90002" in message
    assert not Connection.objects.exists() and not EntraAllowedTenant.objects.exists()


def test_the_lookup_goes_where_the_setting_says(as_alice, acme, entra, http_server, settings):
    http_server.serve(
        f"/{ACME}/v2.0/.well-known/openid-configuration",
        '{"error": "invalid_tenant", "error_codes": [90002]}',
        status=400,
    )
    settings.SSO_ENTRA_METADATA_BASE_URL = http_server.url("")
    assert f"Entra ID knows no tenant {ACME}" in errors(post(as_alice, entra, ACME))
    assert http_server.requests == [f"/{ACME}/v2.0/.well-known/openid-configuration"]


def test_an_entra_that_does_not_answer_leaves_the_tenant_not_checked(as_alice, acme, entra, settings):
    settings.SSO_ENTRA_METADATA_BASE_URL = "http://127.0.0.1:9"  # nothing listens: connection refused
    assert post(as_alice, entra, ACME).status_code == 302
    oidc = EntraAllowedTenant.objects.get().oidc
    assert oidc.allowed_tenants.get().lookup == "not_checked"
    check = allowed_tenants_check(oidc)
    assert check.status == WARN and f"Entra ID did not answer for {ACME}" in check.fix


def test_one_timeout_and_the_rest_of_the_list_is_not_looked_up(as_alice, acme, entra, http_server, settings):
    http_server.serve(f"/{ACME}/v2.0/.well-known/openid-configuration", "{}", delay=2.0)
    settings.SSO_ENTRA_METADATA_BASE_URL = http_server.url("")
    settings.SSO_HTTP_TIMEOUT_SECONDS = 0.5
    assert post(as_alice, entra, f"{ACME}\n{ACME_EU}\n{STRANGER}").status_code == 302
    assert http_server.requests == [f"/{ACME}/v2.0/.well-known/openid-configuration"]
    assert set(EntraAllowedTenant.objects.values_list("lookup", flat=True)) == {"not_checked"}


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("not-a-guid", "line 1: 'not-a-guid' is not a Directory (tenant) ID"),
        (f"{ACME}\n{ACME}x", "line 2:"),
        ("9188040d-6c67-4c5b-b112-36a304b66dad", "personal Microsoft accounts, never allowed"),
        (f"{ACME} {'x' * 101}", "at most 100 printable characters"),
        ("\n".join(f"{i:08x}-0000-4000-8000-000000000000" for i in range(51)), "at most 50 are allowed"),
    ],
)
def test_the_list_holds_guids_only_and_not_too_many(as_alice, acme, entra, lines, expected):
    assert expected in errors(post(as_alice, entra, lines))
    assert not Connection.objects.exists()


def test_a_tenant_specific_url_takes_no_list(as_alice, acme, entra):
    message = errors(post(as_alice, entra, ACME, discovery_url=entra.discovery_url))
    assert "apply only to Entra ID's /organizations/" in message


def test_editing_the_list_is_audited_and_keeps_what_entra_said(as_alice, acme, entra):
    assert post(as_alice, entra, f"{ACME} Acme").status_code == 302
    connection = Connection.objects.get()
    edit = reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    page = as_alice.get(edit).content.decode()
    assert f"{ACME} Acme</textarea>" in page and 'id="allowed-tenants"' in page
    data = {
        "display_name": "Entra ID",
        "discovery_url": entra.organizations_discovery_url,
        "client_id": entra.client_id,
        "client_secret": "",
        "scopes": "openid email profile",
        "entra_allowed_tenants": f"{ACME} Acme HQ\n{ACME_EU} Acme EU",
    }
    assert as_alice.post(edit, data).status_code == 302
    event = AuditEvent.objects.get(action="connection.edited")
    assert event.changes["entra_allowed_tenants"] == [[f"{ACME} (Acme)"], [f"{ACME} (Acme HQ)", f"{ACME_EU} (Acme EU)"]]
    assert set(connection.oidc.allowed_tenants.values_list("lookup", flat=True)) == {"found"}


# ----------------------------------------------------------------------------------------------- setup links --


def test_a_setup_link_applies_the_same_rules_to_the_list(client, alice, acme, entra):
    from kloudsso.audit.record import Actor
    from setup_links.services import setup_link_create

    _, token = setup_link_create(org=acme, by=Actor(user=alice, kind="owner"), protocol="oidc")
    client.post(reverse("setup_links:open"), {"token": token})
    connect_url = reverse("setup_links:connect", kwargs={"slug": "entra-oidc"})
    data = {
        "display_name": "Entra ID",
        "discovery_url": entra.organizations_discovery_url,
        "client_id": entra.client_id,
        "client_secret": entra.client_secret,
        "scopes": "openid email profile",
    }
    for tenants, expected in [
        ("", "list the Directory (tenant) IDs allowed"),
        ("acme", "'acme' is not a Directory (tenant) ID"),
        (NOWHERE, f"Entra ID knows no tenant {NOWHERE}"),
    ]:
        response = client.post(connect_url, {**data, "entra_allowed_tenants": tenants})
        assert response.status_code == 200 and expected in errors(response)
    assert not Connection.objects.exists()
    assert client.post(connect_url, {**data, "entra_allowed_tenants": f"{ACME} Acme"}).status_code == 302
    oidc = Connection.objects.get().oidc
    assert oidc.entra_multi_tenant
    assert [(str(t.tenant_id), t.label, t.lookup) for t in oidc.allowed_tenants.all()] == [(ACME, "Acme", "found")]
    page = client.get(connect_url).content.decode()
    assert f"{ACME} Acme</textarea>" in page  # the link's next visit shows the list it saved
    added = AuditEvent.objects.get(action="connection.added")
    assert added.actor_kind == "setup_link" and added.changes["entra_allowed_tenants"][1] == [f"{ACME} (Acme)"]


def test_a_partner_tenants_mail_does_not_make_its_user_someone_of_this_org(site, entra, org):
    """mal's tenant set mail to ada@acme.test; without xms_edov true the UPN is the email, so ada stays ada."""
    connection = connect(org, entra, ACME, ACME_EU)
    assert oidc_sign_in(requests.Session(), site, "mal@eu.acme.test", "mal").url == f"{site}/orgs/acme/"
    identity = SSOIdentity.objects.get(connection=connection)
    assert identity.email == "mal@eu.acme.test" and identity.user.email == "mal@eu.acme.test"
    assert not SSOIdentity.objects.filter(email="ada@acme.test").exists()


def test_an_email_whose_domain_the_tenant_verified_is_used(site, entra, org):
    connection = connect(org, entra, ACME, ACME_EU)
    assert oidc_sign_in(requests.Session(), site, "kim@eu.acme.test", "kim").url == f"{site}/orgs/acme/"
    assert SSOIdentity.objects.get(connection=connection).email == "kim.k@eu.acme.test"


def test_only_group_object_ids_give_roles_through_several_tenants(site, entra, org):
    from connections.role_mapping import RoleMapping
    from kloudsso.tenancy.models import Membership

    connection = connect(org, entra, ACME, ACME_EU)
    RoleMapping.objects.create(
        connection=connection,
        rules_data=[
            {"group": "Admins", "role": "admin"},
            {"group": "admin", "role": "admin"},
            {"group": ADMINS_GROUP_ID, "role": "admin"},
        ],
    )
    assert oidc_sign_in(requests.Session(), site, "gus@eu.acme.test", "gus").url == f"{site}/orgs/acme/"
    assert oidc_sign_in(requests.Session(), site, "ida@eu.acme.test", "ida").url == f"{site}/orgs/acme/"
    roles = dict(Membership.objects.filter(organization=org).values_list("user__email", "role"))
    assert roles == {"gus@eu.acme.test": "member", "ida@eu.acme.test": "admin"}


def test_test_connection_says_which_claim_gave_the_email_and_that_only_group_ids_count(
    live_server, settings, entra, alice, acme
):
    import html
    import re

    from connections.role_mapping import RoleMapping
    from tests.support.oidc_idp import complete_login

    settings.PUBLIC_BASE_URL = live_server.url
    for name in ("acme.test", "eu.acme.test"):
        Domain.objects.create(organization=acme, name=name, status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    connection = connect(acme, entra, ACME)
    RoleMapping.objects.create(connection=connection, rules_data=[{"group": "Admins", "role": "admin"}])
    owner = requests.Session()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', owner.get(f"{live_server.url}/login/").text)
    owner.post(
        f"{live_server.url}/login/",
        data={
            "csrfmiddlewaretoken": token.group(1),
            "username": "alice@acme.test",
            "password": "correct-horse-battery",
        },
    )
    page = owner.get(f"{live_server.url}/orgs/acme/connections/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    to_idp = owner.post(
        f"{live_server.url}/orgs/acme/connections/{connection.public_id}/test/",
        data={"csrfmiddlewaretoken": token},
        allow_redirects=False,
    )
    report = " ".join(html.unescape(owner.get(complete_login(owner, to_idp.headers["Location"], "gus")).text).split())
    assert "Email: gus@eu.acme.test (the preferred_username claim (a UPN" in report
    assert "without xms_edov true, and this token has no xms_edov claim" in report
    assert "only group object IDs from the groups claim are matched" in report
