"""IdP-initiated SAML sign-in, end to end against a real IdP (SimpleSAMLphp on 127.0.0.1): its portal link
(SSOService.php?spentityid=...&RelayState=...) is refused while the connection's switch is off, the refusal listed
for the owners with the switch as the fix; once an owner turns it on, the same link signs the person in and lands
on the RelayState when it is a path on this site, else on the organization's page."""

import base64

import pytest
import requests

from connections.events import SignInEvent
from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save, saml_idp_initiated_set
from connections.sp import service_provider_get_or_create
from domains.models import Domain
from kloudsso.tenancy.models import Organization, Plan
from signin.catalogue import CATALOGUE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server, settings):
    from tests.support.saml_idp import SimpleSAMLphpIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    settings.PUBLIC_BASE_URL = live_server.url
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID, provisioning_mode="jit")
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    sp = service_provider_get_or_create(org=org)
    with SimpleSAMLphpIdP(
        sp_entity_id=sp.entity_id, acs_url=f"{live_server.url}/sso/saml", sp_certificate_pem=sp.certificate_pem
    ) as idp:
        connection = saml_connection_save(
            org=org, display_name="SimpleSAMLphp", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
        )
        yield live_server.url, org, connection, idp


def from_the_portal(idp, relay_state=None, login="ada"):
    """A fresh browser opens the IdP's tile for us, signs in there, and its page posts the answer to our ACS."""
    from tests.support.saml_idp import complete_login

    browser = direct()
    posted = complete_login(browser, idp.idp_initiated_url(relay_state=relay_state), login)
    assert "InResponseTo" not in base64.b64decode(posted["SAMLResponse"]).decode()  # it answers no request
    assert posted.get("RelayState") == relay_state  # as the link gave it: what we do with it is ours to decide
    fields = {k: v for k, v in posted.items() if k in ("SAMLResponse", "RelayState")}
    return browser, browser.post(posted["action"], data=fields)


def direct() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # everything is on 127.0.0.1: no HTTP(S)_PROXY
    return session


def signed_in(browser, base_url) -> bool:
    return "/login/" not in browser.get(f"{base_url}/").url


def test_while_the_switch_is_off_the_portal_is_refused_and_the_owners_are_told(site):
    base_url, org, connection, idp = site
    browser, landed = from_the_portal(idp, relay_state="/orgs/acme/connections/")
    assert landed.status_code == 400 and "<code>unsolicited_response</code>" in landed.text
    assert "not from your identity provider" in landed.text
    assert not signed_in(browser, base_url)
    event = SignInEvent.objects.get(code="unsolicited_response")
    assert (event.organization, event.connection, event.outcome) == (org, connection, "failure")
    assert "Allow IdP-initiated sign-in" in event.detail and "signed with a certificate on file" in event.detail
    assert event.received["NameID"] == "ada@acme.test"  # who the IdP signed in, for the owners
    assert "allow IdP-initiated sign-in" in CATALOGUE[event.code].fix and "Connections" in CATALOGUE[event.code].fix


def test_once_the_owner_turns_it_on_the_portal_signs_in_and_lands_on_the_relay_state(site):
    base_url, org, connection, idp = site
    saml_idp_initiated_set(org=org, connection=connection, allowed=True)
    browser, landed = from_the_portal(idp, relay_state="/orgs/acme/")
    assert landed.status_code == 200 and landed.url == f"{base_url}/orgs/acme/"
    assert landed.history[-1].headers["Location"] == "/orgs/acme/"  # the RelayState, followed
    assert signed_in(browser, base_url)
    assert SignInEvent.objects.get(outcome="success").connection == connection


def test_without_a_relay_state_it_lands_on_the_organizations_page(site):
    base_url, org, connection, idp = site
    saml_idp_initiated_set(org=org, connection=connection, allowed=True)
    browser, landed = from_the_portal(idp)
    assert landed.url == f"{base_url}/orgs/acme/" and signed_in(browser, base_url)


@pytest.mark.parametrize(
    "relay_state",
    ["https://evil.test/phish", "//evil.test/phish", "/\\evil.test/phish", "/\t/evil.test", "javascript:alert(1)"],
    ids=["absolute", "scheme-relative", "backslash", "tab", "javascript"],
)
def test_a_relay_state_off_this_site_lands_on_the_organizations_page(site, relay_state):
    base_url, org, connection, idp = site
    saml_idp_initiated_set(org=org, connection=connection, allowed=True)
    browser, landed = from_the_portal(idp, relay_state=relay_state)
    assert landed.history[-1].headers["Location"] == "/orgs/acme/"
    assert landed.url == f"{base_url}/orgs/acme/" and signed_in(browser, base_url)


def test_the_same_answer_posted_again_is_refused_as_a_replay(site):
    from tests.support.saml_idp import complete_login

    base_url, org, connection, idp = site
    saml_idp_initiated_set(org=org, connection=connection, allowed=True)
    posted = complete_login(direct(), idp.idp_initiated_url(), "ada")
    fields = {k: v for k, v in posted.items() if k in ("SAMLResponse", "RelayState")}
    assert direct().post(posted["action"], data=fields).url == f"{base_url}/orgs/acme/"
    again = direct().post(posted["action"], data=fields)  # another browser, the same answer: no InResponseTo to bind
    assert again.status_code == 400 and "<code>replayed_assertion</code>" in again.text
