"""The OIDC callback's refusals that need no IdP: the IdP's error parameter, a foreign state, a token error."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from domains.models import Domain
from tests.support.factories import oidc_connection


@pytest.fixture
def connection(acme, http_server):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    return oidc_connection(acme, issuer=http_server.url("/tenant/v2.0"))


def start(client, connection) -> dict:
    response = client.post(reverse("sso_start", kwargs={"public_id": connection.public_id}))
    assert response.status_code == 302
    params = parse_qs(urlsplit(response["Location"]).query)
    assert params["code_challenge_method"] == ["S256"] and params["nonce"] and params["state"]
    assert params["redirect_uri"] == ["http://testserver/sso/oidc"]
    return {k: v[0] for k, v in params.items()}


def test_the_start_sends_state_nonce_pkce_and_the_connections_values(client, connection):
    params = start(client, connection)
    assert params["client_id"] == "client-1"
    assert params["scope"] == "openid email profile"


def test_the_idps_error_parameter_is_quoted_and_no_one_is_signed_in(client, connection):
    params = start(client, connection)
    response = client.get(
        "/sso/oidc",
        {"error": "access_denied", "error_description": "AADSTS50105: not assigned", "state": params["state"]},
    )
    assert response.status_code == 400
    assert "did not sign you in (access_denied)" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_state_this_browser_did_not_start_is_refused(client, connection):
    response = client.get("/sso/oidc", {"code": "abc", "state": "forged"})
    assert response.status_code == 400
    assert "<code>state_mismatch</code>" in response.content.decode()


def test_a_token_endpoint_error_is_reported(client, connection, http_server):
    http_server.serve(
        "/tenant/v2.0/oauth2/v2.0/token",
        json.dumps({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}),
        status=401,
    )
    params = start(client, connection)
    response = client.get("/sso/oidc", {"code": "abc", "state": params["state"]})
    assert response.status_code == 400
    assert "<code>invalid_client</code>" in response.content.decode()
    assert "_auth_user_id" not in client.session
    sent = http_server.httpd.bodies[-1].decode()
    assert "code_verifier=" in sent and "grant_type=authorization_code" in sent  # PKCE, client_secret_post
    from connections.events import SignInEvent

    assert "AADSTS7000215: Invalid client secret provided." in SignInEvent.objects.get().detail


def test_a_free_plan_stops_the_start(client, connection, acme):
    acme.plan = "free"
    acme.save()
    response = client.post(reverse("sso_start", kwargs={"public_id": connection.public_id}))
    assert response.status_code == 400
    assert "not available for your organization" in response.content.decode()


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("someone@unknown.test", "We could not find single sign-on for unknown.test"),
        ("not-an-email", "Enter a valid email address"),
    ],
)
def test_the_email_prompt_explains_what_it_cannot_do(client, connection, email, message):
    response = client.post("/sso/login", {"email": email})
    assert message in response.content.decode()


def test_the_email_prompt_offers_a_choice_when_there_are_several_connections(client, connection, acme):
    oidc_connection(acme, display_name="Backup IdP", issuer="https://idp.example/x")
    html = client.post("/sso/login", {"email": "ada@acme.test"}).content.decode()
    assert "Choose how to sign in" in html
    assert "Backup IdP" in html and "Entra ID" in html


def test_a_subdomain_email_finds_its_organization(client, connection):
    response = client.post("/sso/login", {"email": "ada@eu.acme.test"})
    assert response.status_code == 302
    assert response["Location"].startswith(connection.oidc.authorization_endpoint + "?")
    assert "login_hint=ada%40eu.acme.test" in response["Location"]


def test_a_sign_in_cannot_be_started_by_a_link_from_another_site(client, connection):
    from django.test import Client

    url = reverse("sso_start", kwargs={"public_id": connection.public_id})
    assert client.get(url).status_code == 405
    assert Client(enforce_csrf_checks=True).post(url).status_code == 403


def test_an_error_without_a_state_this_browser_started_changes_nothing(client, alice, connection):
    client.force_login(alice)
    response = client.get("/sso/oidc", {"error": "Your account is locked. Call 555-0100"})
    assert "<code>state_mismatch</code>" in response.content.decode()
    assert "555-0100" not in response.content.decode()
    assert "_auth_user_id" in client.session  # the library's logout on `error` did not run
