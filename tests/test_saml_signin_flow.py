"""Sign in with SSO over SAML 2.0, end to end against a real IdP (SimpleSAMLphp on 127.0.0.1)."""

import pytest
import requests

from connections.models import SSOIdentity
from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import service_provider_get_or_create
from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Invitation, Membership, Organization, Plan
from tests.support.sso_browser import saml_sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server, settings):
    from tests.support.saml_idp import SimpleSAMLphpIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    settings.PUBLIC_BASE_URL = live_server.url
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID)
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    sp = service_provider_get_or_create(org=org)
    with SimpleSAMLphpIdP(
        sp_entity_id=sp.entity_id, acs_url=f"{live_server.url}/sso/saml", sp_certificate_pem=sp.certificate_pem
    ) as idp:
        connection = saml_connection_save(
            org=org, display_name="SimpleSAMLphp", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
        )
        yield live_server.url, org, connection


def signed_in(session, base_url) -> bool:
    return "/login/" not in session.get(f"{base_url}/").url


def test_just_in_time_signs_in_with_the_email_nameid(site):
    base_url, org, connection = site
    org.provisioning_mode = "jit"
    org.save()
    browser = requests.Session()
    landed = saml_sign_in(browser, base_url, "ada@acme.test", "ada")
    assert landed.status_code == 200 and landed.url == f"{base_url}/orgs/acme/"
    user = User.objects.get(email="ada@acme.test")
    assert Membership.objects.get(user=user, organization=org).role == "member"
    identity = SSOIdentity.objects.get(user=user)
    assert (identity.connection, identity.subject) == (connection, "nameid:ada@acme.test")


def test_invite_only_accepts_an_invitation(site):
    base_url, org, _ = site
    Invitation.objects.create(organization=org, email="ada@acme.test", role="admin")
    landed = saml_sign_in(requests.Session(), base_url, "ada@acme.test", "ada")
    assert landed.url == f"{base_url}/orgs/acme/"
    assert Membership.objects.get(user__email="ada@acme.test").role == "admin"


def test_invite_only_refuses_someone_not_invited(site):
    base_url, _, _ = site
    browser = requests.Session()
    landed = saml_sign_in(browser, base_url, "ada@acme.test", "ada")
    assert landed.status_code == 400 and "You have not been invited to Acme yet" in landed.text
    assert not signed_in(browser, base_url)


def test_an_email_outside_the_verified_domains_is_refused(site):
    base_url, org, _ = site
    org.provisioning_mode = "jit"
    org.save()
    browser = requests.Session()
    landed = saml_sign_in(browser, base_url, "ada@acme.test", "eve")
    assert "eve@evil.test is not on a domain your organization has verified" in landed.text
    assert not signed_in(browser, base_url)


def test_an_account_without_email_is_refused(site):
    base_url, org, _ = site
    org.provisioning_mode = "jit"
    org.save()
    landed = saml_sign_in(requests.Session(), base_url, "ada@acme.test", "nomail")
    assert "did not send your email address" in landed.text


def sign_in_capturing_the_request(base_url: str, login: str):
    """Sign in through the IdP; return where it landed and the AuthnRequest our server sent."""
    import base64
    import zlib
    from urllib.parse import parse_qs, urlsplit

    from tests.support.saml_idp import complete_login
    from tests.support.sso_browser import start_sso

    browser = requests.Session()
    to_idp = start_sso(browser, base_url, f"{login}@acme.test")
    query = parse_qs(urlsplit(to_idp.headers["Location"]).query)
    authn_request = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
    form = complete_login(browser, to_idp.headers["Location"], login)
    landed = browser.post(form["action"], data={k: v for k, v in form.items() if k in ("SAMLResponse", "RelayState")})
    return landed, authn_request


@pytest.mark.parametrize(
    ("chosen", "subject"),
    [
        ("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", r"persistent:[0-9a-f]{40}"),
        ("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", r"nameid:ada@acme\.test"),
    ],
    ids=["persistent", "email"],
)
def test_the_idp_answers_with_the_nameid_format_the_owner_chose(site, chosen, subject):
    import re

    base_url, org, connection = site
    org.provisioning_mode = "jit"
    org.save()
    connection.saml.nameid_format = chosen
    connection.saml.save()
    landed, authn_request = sign_in_capturing_the_request(base_url, "ada")
    assert re.search(rf'<(\w+:)?NameIDPolicy [^>]*Format="{re.escape(chosen)}"', authn_request)
    assert re.search(r'<(\w+:)?NameIDPolicy [^>]*AllowCreate="true"', authn_request)
    assert landed.url == f"{base_url}/orgs/acme/"
    assert re.fullmatch(subject, SSOIdentity.objects.get(connection=connection).subject)
