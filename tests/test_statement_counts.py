"""The statements each sign-in flow sends, pinned: a change that adds one has to say why here.

Counted with tests/support/queries.py, which leaves out BEGIN, COMMIT and savepoints, so a count means the same on
SQLite and PostgreSQL. Each flow is the common case: the IdP's answer carries a verified email on a verified domain
of a paid organization with just-in-time provisioning, and the JWKS or certificates are already at hand.
"""
# ruff: noqa: F811 -- a shared fixture is taken as an argument

import base64
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection as database
from django.test import Client
from django.urls import reverse

from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import saml_acs_url, service_provider_get_or_create, sp_metadata_xml
from domains.models import Domain
from domains.selectors import verified_domains_covering
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Organization, Plan
from signin.saml import replay
from tests.support.factories import oidc_connection, oidc_connection_for_idp
from tests.support.oidc import CraftedIdP
from tests.support.queries import assert_queries
from tests.support.saml_craft import CraftingIdP
from tests.test_oidc_callback import jit  # noqa: F401 -- a fixture

# ---------------------------------------------------------------------------------------------------------------
# OIDC: the callback at /sso/oidc, after the start chose state, nonce and PKCE verifier.


@pytest.fixture
def oidc(jit, http_server):
    idp = CraftedIdP(http_server)
    return idp, oidc_connection_for_idp(jit, idp)


def oidc_started(browser, connection, idp) -> dict:
    started = browser.post(reverse("sso_start", kwargs={"public_id": connection.public_id}))
    params = {k: v[0] for k, v in parse_qs(urlsplit(started["Location"]).query).items()}
    idp.answer(params["nonce"], email="ada@acme.test")
    return params


def oidc_callback(browser, params):
    landed = browser.get("/sso/oidc", {"code": "the-code", "state": params["state"]})
    assert landed.status_code == 302 and landed["Location"] == "/orgs/acme/"
    return landed


def test_an_oidc_callback_for_a_new_person(client, oidc):
    """13 statements:

    1. the session, read (its state, nonce, PKCE verifier; which connection the state is for);
    2. the session, saved with the state used up, before the token request (no replay, even after a crash);
    3. the connection, with its OIDC settings and organization;
    4. the verified domain routing the email (the most specific one), with its organization;
    5. the identity (connection, subject), with its user and whether they are a member: none;
    6. an account with this email, and whether it is a member: none;
    7. an open invitation for the email (locked: it is accepted in this transaction): none, just-in-time;
    8. the new account, its last_login included;
    9. its membership;
    10. its identity;
    11. the connection's last successful sign-in;
    12. the sign-in event for the owners;
    13. the session's row, moved to a new key (no session fixation) with the signed-in data, with the response.
    """
    idp, connection = oidc
    params = oidc_started(client, connection, idp)
    with assert_queries(13):
        oidc_callback(client, params)
    assert User.objects.get(email="ada@acme.test").last_login is not None


def test_an_oidc_callback_for_a_returning_person(client, oidc):
    """9 statements, in a browser that has not signed in before, less than a minute after the connection's last
    successful sign-in (which is then not written again):

    1. the session, read;
    2. the session, saved with the state used up, before the token request;
    3. the connection, with its OIDC settings and organization;
    4. the verified domain routing the email, with its organization;
    5. the identity (connection, subject), with its user and whether they are a member: a member;
    6. the identity's email and last sign-in (by its key: it was found in this transaction);
    7. the account's last_login (Django's receiver of user_logged_in);
    8. the sign-in event;
    9. the session's row, moved to a new key with the signed-in data, with the response.
    """
    idp, connection = oidc
    oidc_callback(client, oidc_started(client, connection, idp))  # the first sign-in, in another browser
    browser = Client()
    params = oidc_started(browser, connection, idp)
    with assert_queries(9):
        oidc_callback(browser, params)


# ---------------------------------------------------------------------------------------------------------------
# SAML: the finish step at /sso/saml/finish/<key>, after the ACS stashed the IdP's response (no statement there).


@pytest.fixture
def saml(jit, tmp_path, monkeypatch):
    monkeypatch.setattr(replay, "SWEEP_ONE_IN", 10**18)  # the replay table's sweep, one finish in 50, never here
    sp = service_provider_get_or_create(org=jit)
    idp = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp))
    connection = saml_connection_save(
        org=jit, display_name="Crafted", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
    )
    return idp, connection, sp


def saml_stashed(browser, saml) -> str:
    idp, connection, sp = saml
    started = browser.post(reverse("sso_start", kwargs={"public_id": connection.public_id}))
    query = parse_qs(urlsplit(started["Location"]).query)
    request_xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
    request_id = request_xml.split(' ID="', 1)[1].split('"', 1)[0]
    response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    stashed = browser.post("/sso/saml", {"SAMLResponse": response})
    assert stashed.status_code == 303
    return stashed["Location"]


def saml_finish(browser, finish_url):
    landed = browser.get(finish_url)
    assert landed.status_code == 302 and landed["Location"] == "/orgs/acme/"


def test_a_saml_finish_for_a_new_person(client, saml):
    """15 statements (and one more in SWEEP_ONE_IN: expired assertions deleted from the replay table):

    1. the session, read (the requests this browser started, and for which connection);
    2. the connection, with its SAML settings, organization and the organization's service provider;
    3. the connection's IdP certificates still valid (what its warm pysaml2 client is keyed on, signin/saml/clients,
       with when each last signed a sign-in);
    4. this assertion, inserted in the replay table (a replay fails on its key, on any app server);
    5. the certificate that verified the response, its last_signed_at (the connection page shows which certificate
       signed the last sign-in during a rollover; like 13, written at most once a minute);
    6. the verified domain routing the email, with its organization;
    7. the identity (connection, subject), with its user and whether they are a member: none;
    8. an account with this email, and whether it is a member: none;
    9. an open invitation for the email (locked): none, just-in-time;
    10. the new account, its last_login included;
    11. its membership;
    12. its identity;
    13. the connection's last successful sign-in;
    14. the sign-in event;
    15. the session's row, moved to a new key with the signed-in data, with the response.
    """
    finish_url = saml_stashed(client, saml)
    with assert_queries(15):
        saml_finish(client, finish_url)
    assert User.objects.get(email="ada@acme.test").last_login is not None


def test_a_saml_finish_for_a_returning_person(client, saml):
    """10 statements, in a browser that has not signed in before, less than a minute after the connection's last
    successful sign-in and its certificate's last signature (which are then not written again):

    1. the session, read;
    2. the connection, with its SAML settings, organization and service provider;
    3. the connection's IdP certificates;
    4. this assertion, inserted in the replay table;
    5. the verified domain routing the email, with its organization;
    6. the identity (connection, subject), with its user and whether they are a member: a member;
    7. the identity's email and last sign-in (by its key);
    8. the account's last_login;
    9. the sign-in event;
    10. the session's row, moved to a new key with the signed-in data, with the response.
    """
    saml_finish(client, saml_stashed(client, saml))  # the first sign-in, in another browser
    browser = Client()
    finish_url = saml_stashed(browser, saml)
    with assert_queries(10):
        saml_finish(browser, finish_url)


# ---------------------------------------------------------------------------------------------------------------
# Home-realm discovery: the "Sign in with SSO" email prompt, posted.


def other_organizations(count: int) -> None:
    """`count` more paid organizations, each with a verified domain: the tables the email is looked up in."""
    organizations = Organization.objects.bulk_create(
        Organization(name=f"Org {n}", slug=f"org-{n}", plan=Plan.PAID) for n in range(count)
    )
    Domain.objects.bulk_create(
        Domain(organization=org, name=f"org-{n}.test", status="verified") for n, org in enumerate(organizations)
    )


# 100,000 organizations pass as well, in 20 seconds (mostly their inserts): 10,000 show the same flat count, and
# the query plan shows why it stays flat.
@pytest.mark.parametrize("organizations", [100, 10_000])
def test_home_realm_discovery_for_an_organization_among_many(client, jit, http_server, organizations):
    """3 statements, however many organizations there are:

    1. the verified domain routing the email (its domain or a parent, the most specific), with its organization:
       an indexed lookup of a few names (the partial unique index on verified names);
    2. the organization's enabled connections, with their settings (one here: the sign-in starts at once);
    3. the session's row (the email, and the OIDC state, nonce and PKCE verifier), with the redirect to the IdP.
    """
    other_organizations(organizations)
    connection = oidc_connection(jit, issuer=http_server.url("/tenant/v2.0"))
    with assert_queries(3):
        started = client.post("/sso/login", {"email": "ada@eu.acme.test"})
    assert started["Location"].startswith(connection.oidc.authorization_endpoint + "?")
    assert uses_an_index(verified_domains_covering("ada@eu.acme.test")[:1])  # the query verified_domain_for_email sends


def uses_an_index(lookup) -> bool:
    """Whether the database answers the domain lookup from an index rather than by reading the table."""
    with database.cursor() as cursor:
        if database.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a small table is read whole unless that is costly
        plan = lookup.explain()
    if database.vendor == "postgresql":
        return "Index" in plan and "Seq Scan on domains_domain" not in plan
    return "SEARCH domains_domain USING" in plan
