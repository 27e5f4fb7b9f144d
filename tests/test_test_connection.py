"""Test connection: a real sign-in through the connection that ends on a report, signs no one in, creates nothing."""

import base64
import re
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse
from saml2.saml import NAMEID_FORMAT_PERSISTENT

from connections.sp import saml_acs_url
from kloudsso.accounts.models import User
from tests.test_saml_acs import connection, idp, post, sp  # noqa: F401 -- fixtures and helpers


def start_test(client, connection) -> str:  # noqa: F811
    url = reverse("connections:test", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    response = client.post(url)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    request_xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
    return request_xml.split(' ID="', 1)[1].split('"', 1)[0]


def test_a_working_connection_reports_who_would_sign_in_and_creates_nothing(client, alice, connection, idp, sp):  # noqa: F811
    client.force_login(alice)
    request_id = start_test(client, connection)
    report = post(client, idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id))
    html = report.content.decode()
    assert report.status_code == 200
    assert "it works" in html
    assert "ada@acme.test would be signed in (a new account would be created)" in html
    assert "Email: ada@acme.test (the NameID)" in html
    assert not User.objects.filter(email="ada@acme.test").exists()
    assert int(client.session["_auth_user_id"]) == alice.pk  # still the owner, nobody else


def test_a_failing_connection_reports_the_failed_check_and_the_fix(client, alice, connection, idp, sp):  # noqa: F811
    client.force_login(alice)
    request_id = start_test(client, connection)
    response = idp.response(
        in_response_to=request_id,
        destination=saml_acs_url(),
        audience=sp.entity_id,
        name_id="opaque-42",
        name_id_format=NAMEID_FORMAT_PERSISTENT,
        attributes={"displayName": ["Ada"]},
    )
    html = post(client, response).content.decode()
    assert "it would fail" in html
    assert "Email: none (looked for: an email NameID, then the attributes" in html
    assert "Name ID to user.mail in emailAddress format" in html  # the catalogue's fix
    assert "displayName" in html  # what was received


def test_a_wrong_audience_is_reported_with_the_sp_entity_id_to_set(client, alice, connection, idp, sp):  # noqa: F811
    client.force_login(alice)
    request_id = start_test(client, connection)
    html = post(
        client, idp.response(in_response_to=request_id, destination=saml_acs_url(), audience="urn:other")
    ).content.decode()
    assert "Audience mismatch" in html and "it would fail" in html


def test_only_owners_can_start_a_test(client, bob, connection):  # noqa: F811
    client.force_login(bob)
    url = reverse("connections:test", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    assert client.post(url).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_an_oidc_test_against_the_real_idp_reports_the_missing_email(live_server, settings, oidc_idp, alice, acme):
    from domains.models import Domain
    from tests.support.factories import oidc_connection_for_idp
    from tests.support.oidc_idp import complete_login

    settings.PUBLIC_BASE_URL = live_server.url
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    entra = oidc_connection_for_idp(acme, oidc_idp, display_name="Entra ID")
    owner = requests.Session()
    login_page = owner.get(f"{live_server.url}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    owner.post(
        f"{live_server.url}/login/",
        data={"csrfmiddlewaretoken": token, "username": "alice@acme.test", "password": "correct-horse-battery"},
    )
    connections_page = owner.get(f"{live_server.url}/orgs/acme/connections/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', connections_page.text).group(1)
    to_idp = owner.post(
        f"{live_server.url}/orgs/acme/connections/{entra.public_id}/test/",
        data={"csrfmiddlewaretoken": token},
        allow_redirects=False,
    )
    report = owner.get(complete_login(owner, to_idp.headers["Location"], "nomail"))
    assert "it would fail" in report.text
    assert "looked for: email, preferred_username, upn" in report.text
    assert "optional email claim" in report.text  # the catalogue's Entra fix
    assert "nomail-sub" in report.text  # the claims received
    assert not User.objects.filter(email__startswith="nomail").exists()


def test_a_disabled_connection_can_be_tested(client, alice, connection, idp, sp):  # noqa: F811
    connection.enabled = False
    connection.save()
    client.force_login(alice)
    request_id = start_test(client, connection)
    html = post(
        client, idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    ).content.decode()
    assert "would be signed in" in html and "The connection is disabled: enable it" in html
    connection.refresh_from_db()
    assert not connection.enabled


def test_an_oidc_test_that_the_idp_refuses_ends_on_a_report_and_keeps_the_owner_signed_in(client, alice, acme):
    from tests.support.factories import oidc_connection

    entra = oidc_connection(acme)
    client.force_login(alice)
    started = client.post(reverse("connections:test", kwargs={"org_slug": "acme", "public_id": entra.public_id}))
    state = started["Location"].split("state=", 1)[1].split("&", 1)[0]
    report = client.get(
        "/sso/oidc", {"state": state, "error": "invalid_request", "error_description": "AADSTS50011: x"}
    )
    html = report.content.decode()
    assert report.status_code == 200 and "it would fail" in html and "Redirect URI not registered" in html
    assert int(client.session["_auth_user_id"]) == alice.pk


def real_idp_report(live_server, settings, oidc_idp, acme, login: str) -> str:
    """Alice tests an OIDC connection to the real IdP, signing in there as `login`; the report's text."""
    from domains.models import Domain
    from tests.support.factories import oidc_connection_for_idp
    from tests.support.oidc_idp import complete_login

    settings.PUBLIC_BASE_URL = live_server.url
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    entra = oidc_connection_for_idp(acme, oidc_idp, display_name="Entra ID")
    owner = requests.Session()
    login_page = owner.get(f"{live_server.url}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    owner.post(
        f"{live_server.url}/login/",
        data={"csrfmiddlewaretoken": token, "username": "alice@acme.test", "password": "correct-horse-battery"},
    )
    connections_page = owner.get(f"{live_server.url}/orgs/acme/connections/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', connections_page.text).group(1)
    to_idp = owner.post(
        f"{live_server.url}/orgs/acme/connections/{entra.public_id}/test/",
        data={"csrfmiddlewaretoken": token},
        allow_redirects=False,
    )
    return owner.get(complete_login(owner, to_idp.headers["Location"], login)).text


@pytest.mark.django_db(transaction=True)
def test_an_unverified_email_is_reported_with_the_claim_it_was_in(live_server, settings, oidc_idp, alice, acme):
    import html

    report = html.unescape(real_idp_report(live_server, settings, oidc_idp, acme, "cleo"))
    assert "it would fail" in report
    assert "<code>email_not_verified</code>" in report
    assert "Email: none (the email claim holds cleo@acme.test with email_verified false" in report
    assert "Email: cleo@acme.test (the email claim)" not in report


@pytest.mark.django_db(transaction=True)
def test_the_report_names_the_claim_the_email_really_came_from(live_server, settings, oidc_idp, alice, acme):
    report = real_idp_report(live_server, settings, oidc_idp, acme, "vera")
    assert "it works" in report
    assert "Email: vera@acme.test (the preferred_username claim)" in report


@pytest.mark.django_db(transaction=True)
def test_an_email_from_userinfo_is_reported_as_such(live_server, settings, oidc_idp, alice, acme):
    report = real_idp_report(live_server, settings, oidc_idp, acme, "uma")
    assert "it works" in report
    assert "Email: uma@acme.test (the email claim of the UserInfo response)" in report
    assert "UserInfo response" in report.split("What the identity provider sent", 1)[1]
