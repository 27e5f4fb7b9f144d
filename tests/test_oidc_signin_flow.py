"""Sign in with SSO over OIDC, end to end against a real IdP (oidc-provider, shaped like Entra ID)."""

import pytest
import requests

from connections.models import Connection, SSOIdentity
from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Invitation, Membership, Organization, Plan
from tests.support.factories import oidc_connection_for_idp
from tests.support.sso_browser import oidc_sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server, settings, oidc_idp):
    settings.PUBLIC_BASE_URL = live_server.url
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID)
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    connection = oidc_connection_for_idp(org, oidc_idp, display_name="Entra ID")
    return live_server.url, org, connection


def signed_in_as(session, base_url) -> str | None:
    page = session.get(f"{base_url}/", allow_redirects=True)
    return None if "/login/" in page.url else page.text


def test_just_in_time_creates_the_account_from_preferred_username(site, oidc_idp):
    base_url, org, connection = site
    org.provisioning_mode = "jit"
    org.save()
    browser = requests.Session()
    landed = oidc_sign_in(browser, base_url, "ada@acme.test", "ada")
    assert landed.status_code == 200
    assert landed.url == f"{base_url}/orgs/acme/"
    assert "ada@acme.test" in landed.text
    user = User.objects.get(email="ada@acme.test")
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user, organization=org).role == "member"
    identity = SSOIdentity.objects.get(user=user)
    assert identity.connection == connection
    assert identity.subject == f"entra:{oidc_idp.tenant_id}:00000000-0000-0000-0000-00000000ada1"
    connection.refresh_from_db()
    assert connection.last_successful_signin_at is not None


def test_invite_only_accepts_an_invitation_and_gives_its_role(site):
    base_url, org, _ = site
    Invitation.objects.create(organization=org, email="bea@acme.test", role="admin")
    landed = oidc_sign_in(requests.Session(), base_url, "bea@acme.test", "bea")
    assert landed.url == f"{base_url}/orgs/acme/"
    assert Membership.objects.get(user__email="bea@acme.test").role == "admin"
    assert Invitation.objects.get().accepted_at is not None


def test_invite_only_refuses_someone_not_invited(site):
    base_url, _, _ = site
    browser = requests.Session()
    landed = oidc_sign_in(browser, base_url, "ada@acme.test", "ada")
    assert landed.status_code == 400
    assert "You have not been invited to Acme yet" in landed.text
    assert signed_in_as(browser, base_url) is None
    assert not User.objects.filter(email="ada@acme.test").exists()


def test_a_second_sign_in_finds_the_same_account_by_subject(site):
    base_url, org, _ = site
    org.provisioning_mode = "jit"
    org.save()
    oidc_sign_in(requests.Session(), base_url, "ada@acme.test", "ada")
    oidc_sign_in(requests.Session(), base_url, "ada@acme.test", "ada")
    assert User.objects.filter(email="ada@acme.test").count() == 1
    assert SSOIdentity.objects.count() == 1


def test_an_email_outside_the_verified_domains_is_refused(site):
    base_url, org, _ = site
    org.provisioning_mode = "jit"
    org.save()
    browser = requests.Session()
    landed = oidc_sign_in(browser, base_url, "ada@acme.test", "eve")  # the IdP vouches for eve@evil.test
    assert landed.status_code == 400
    assert "eve@evil.test is not on a domain your organization has verified" in landed.text
    assert signed_in_as(browser, base_url) is None


def test_no_usable_email_is_refused(site):
    base_url, org, _ = site
    org.provisioning_mode = "jit"
    org.save()
    landed = oidc_sign_in(requests.Session(), base_url, "ada@acme.test", "nomail")
    assert "did not send your email address" in landed.text


def test_a_connection_disabled_during_the_flow_stops_the_sign_in(site):
    from tests.support.oidc_idp import complete_login
    from tests.support.sso_browser import start_sso

    base_url, org, connection = site
    org.provisioning_mode = "jit"
    org.save()
    browser = requests.Session()
    to_idp = start_sso(browser, base_url, "ada@acme.test")
    Connection.objects.filter(pk=connection.pk).update(enabled=False)
    landed = browser.get(complete_login(browser, to_idp.headers["Location"], "ada"))
    assert "Single sign-on through this connection is turned off" in landed.text
    assert signed_in_as(browser, base_url) is None


def test_a_callback_in_another_browser_is_refused(site):
    from tests.support.oidc_idp import complete_login
    from tests.support.sso_browser import start_sso

    base_url, org, _ = site
    org.provisioning_mode = "jit"
    org.save()
    victim = requests.Session()
    to_idp = start_sso(requests.Session(), base_url, "ada@acme.test")  # the attacker starts the flow
    callback = complete_login(requests.Session(), to_idp.headers["Location"], "ada")
    landed = victim.get(callback)  # login CSRF: the victim is sent the attacker's callback
    assert landed.status_code == 400
    assert "could not be matched to your browser" in landed.text
    assert signed_in_as(victim, base_url) is None


def test_the_sign_in_endpoints_run_a_fixed_number_of_queries(site, client, oidc_idp):
    from urllib.parse import urlsplit

    from tests.support.oidc_idp import complete_login
    from tests.support.queries import assert_queries

    _, org, _ = site
    Membership.objects.create(user=User.objects.create_user("bea@acme.test"), organization=org)
    with assert_queries(0):
        client.get("/sso/login")
    # the verified domain with its organization (one indexed query), the enabled connections with their settings,
    # the session's save (the redirect to the IdP comes from this same request)
    with assert_queries(3):
        to_idp = client.post("/sso/login", {"email": "bea@acme.test"})
    callback = urlsplit(complete_login(requests.Session(), to_idp["Location"], "bea"))
    # session (read, and saved with the state used up before the token request), the connection, the domain check,
    # identity and user lookups (each with the membership), the checks that the existing account is this
    # organization's alone (this connection's identities, memberships and identities elsewhere), the identity's
    # insert, the account's names from the ID token's name claim (written only when they differ: the first time
    # here), the connection's last sign-in, the user's last_login, the sign-in event, the session's save (its row
    # moved to a new key). The JWKS comes from the shared cache: no fetch once warm (see test_oidc_id_token).
    with assert_queries(15):
        landed = client.get(f"{callback.path}?{callback.query}")
    assert landed["Location"] == "/orgs/acme/"


def test_an_unverified_email_is_refused_even_when_preferred_username_holds_it(site):
    from connections.events import SignInEvent

    base_url, org, _ = site
    org.provisioning_mode = "jit"
    org.save()
    browser = requests.Session()
    landed = oidc_sign_in(browser, base_url, "cleo@acme.test", "cleo")  # email_verified false
    assert landed.status_code == 400
    assert "<code>email_not_verified</code>" in landed.text
    assert signed_in_as(browser, base_url) is None
    assert not User.objects.filter(email="cleo@acme.test").exists()
    assert "cleo@acme.test" in SignInEvent.objects.get(code="email_not_verified").detail


def test_an_unverified_email_gives_way_to_the_tenants_own_upn_and_the_event_says_so(site):
    from connections.events import SignInEvent

    base_url, org, _ = site
    org.provisioning_mode = "jit"
    org.save()
    landed = oidc_sign_in(requests.Session(), base_url, "vera@acme.test", "vera")
    assert landed.url == f"{base_url}/orgs/acme/"
    assert User.objects.filter(email="vera@acme.test").exists()
    assert not User.objects.filter(email="vera@mailbox.test").exists()
    assert "the preferred_username claim" in SignInEvent.objects.get(outcome="success").detail


def test_an_email_the_idp_gives_only_in_userinfo_signs_in(site):
    from connections.events import SignInEvent

    base_url, org, _ = site
    org.provisioning_mode = "jit"
    org.save()
    landed = oidc_sign_in(requests.Session(), base_url, "uma@acme.test", "uma")
    assert landed.url == f"{base_url}/orgs/acme/"
    assert SSOIdentity.objects.get(user__email="uma@acme.test").subject.endswith(
        ":00000000-0000-0000-0000-000000000a1a"
    )
    event = SignInEvent.objects.get(outcome="success")
    assert "the email claim of the UserInfo response" in event.detail
    assert event.received["UserInfo response"]["email"] == "uma@acme.test"


@pytest.fixture(scope="module")
def basic_only_idp(live_server):
    """A provider whose token endpoint takes the client secret only in the Authorization header."""
    from tests.support.oidc_idp import OIDCIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the OIDC test IdP cannot run: {reason}")
    with OIDCIdP(
        client_id="kloudsso:basic",  # a colon, and a secret of characters form-urlencoding changes
        client_secret="b+sic/secret%=~ x",
        redirect_uris=[f"{live_server.url}/sso/oidc"],
        client_auth_methods=["client_secret_basic"],
    ) as idp:
        yield idp


def test_a_provider_that_allows_only_client_secret_basic_works(live_server, settings, basic_only_idp):
    settings.PUBLIC_BASE_URL = live_server.url
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID, provisioning_mode="jit")
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    connection = oidc_connection_for_idp(org, basic_only_idp)
    assert connection.oidc.discovery_document["token_endpoint_auth_methods_supported"] == ["client_secret_basic"]
    landed = oidc_sign_in(requests.Session(), live_server.url, "bea@acme.test", "bea")
    assert landed.url == f"{live_server.url}/orgs/acme/", landed.text[-2000:]
    assert User.objects.filter(email="bea@acme.test").exists()


@pytest.fixture(scope="module")
def userinfo_names_idp(live_server):
    """An account whose email, given and family names come only in UserInfo, beside a name and groups there that
    the ID token's own name, and its lack of groups, must win over."""
    from tests.support.oidc_idp import OIDCIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the OIDC test IdP cannot run: {reason}")
    with OIDCIdP(
        client_id="kloudsso-names",
        client_secret="names-secret-1",
        redirect_uris=[f"{live_server.url}/sso/oidc"],
        accounts={"una": {"name": "Una From The Token", "preferred_username": "una"}},
        userinfo={
            "una": {
                "email": "una@acme.test",
                "email_verified": True,
                "given_name": "Una",
                "family_name": "Ivers",
                "name": "Una From UserInfo",
                "groups": ["admins"],
            }
        },
    ) as idp:
        yield idp


def test_names_sent_only_in_userinfo_are_read_and_the_id_token_wins(live_server, settings, userinfo_names_idp):
    from connections.role_mapping import RoleMapping
    from kloudsso.tenancy.models import Membership

    settings.PUBLIC_BASE_URL = live_server.url
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID, provisioning_mode="jit")
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    connection = oidc_connection_for_idp(org, userinfo_names_idp)
    RoleMapping.objects.create(connection=connection, rules_data=[{"group": "admins", "role": "admin"}])
    landed = oidc_sign_in(requests.Session(), live_server.url, "una@acme.test", "una")
    assert landed.url == f"{live_server.url}/orgs/acme/", landed.text[-2000:]
    user = User.objects.get(email="una@acme.test")
    assert (user.first_name, user.last_name, user.full_name) == ("Una", "Ivers", "Una From The Token")
    assert Membership.objects.get(user=user).role == "member"  # groups: from the ID token only
