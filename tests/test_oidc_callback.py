"""The OIDC callback's refusals that need no IdP: the IdP's error parameter, a foreign state, a token error."""

import base64
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
    assert "code_verifier=" in sent and "grant_type=authorization_code" in sent  # PKCE
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
    assert "You're already signed in as alice@acme.test" in response.content.decode()
    assert "555-0100" not in response.content.decode()
    assert "_auth_user_id" in client.session  # the library's logout on `error` did not run


# ---------------------------------------------------------------------------------------------------
# Against a crafted IdP (tests/support/oidc.py): ID tokens and answers a real IdP would rarely send.

ANOTHER_TENANT = "99999999-0000-0000-0000-000000000000"


@pytest.fixture
def jit(acme):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    return acme


def connect(org, idp):
    from tests.support.factories import oidc_connection_for_idp

    return oidc_connection_for_idp(org, idp)


def sign_in(client, connection, idp, **answer):
    params = start(client, connection)
    idp.answer(params["nonce"], **answer)
    return client.get("/sso/oidc", {"code": "the-code", "state": params["state"]})


def refused_with(response, code: str):
    from connections.events import SignInEvent

    assert response.status_code == 400
    assert f"<code>{code}</code>" in response.content.decode()
    return SignInEvent.objects.get(code=code)


def test_an_entra_token_for_another_tenant_is_refused(client, jit, http_server):
    from connections.models import SSOIdentity
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server)
    landed = sign_in(client, connect(jit, idp), idp, tid=ANOTHER_TENANT, email="ada@acme.test")
    event = refused_with(landed, "entra_tenant_mismatch")
    assert ANOTHER_TENANT in event.detail and idp.tenant in event.detail
    assert not SSOIdentity.objects.exists()


def test_tid_and_oid_from_an_idp_that_is_not_entra_never_make_the_identity(client, jit, http_server):
    from connections.models import SSOIdentity
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server, prefix="/okta")  # not an Entra issuer: its tid and oid are nobody's promise
    landed = sign_in(client, connect(jit, idp), idp, tid=ANOTHER_TENANT, oid="victim", email="ada@acme.test")
    assert landed.status_code == 302
    assert SSOIdentity.objects.get().subject == f"{idp.issuer}|sub-1"


def test_a_tid_claim_does_not_open_the_preferred_username_fallback(client, jit, http_server):
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server, prefix="/okta", userinfo_endpoint=None)
    landed = sign_in(client, connect(jit, idp), idp, tid=ANOTHER_TENANT, preferred_username="ada@acme.test")
    assert "looked for: email;" in refused_with(landed, "no_email").detail


def test_the_entra_upn_fallback_is_named_on_the_success_event(client, jit, http_server):
    from connections.events import SignInEvent
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server)
    landed = sign_in(
        client, connect(jit, idp), idp, email="vera@mailbox.test", email_verified=False, upn="vera@acme.test"
    )
    assert landed.status_code == 302
    event = SignInEvent.objects.get(outcome="success")
    assert event.email == "vera@acme.test"
    assert "the upn claim" in event.detail


@pytest.mark.parametrize("userinfo_endpoint", [None, "default"])
def test_an_unverified_email_is_not_taken_from_preferred_username(client, jit, http_server, userinfo_endpoint):
    from kloudsso.accounts.models import User
    from tests.support.oidc import CraftedIdP

    if userinfo_endpoint is None:
        idp = CraftedIdP(http_server, userinfo_endpoint=None)
    else:
        idp = CraftedIdP(http_server)
    landed = sign_in(
        client, connect(jit, idp), idp, email="bob@acme.test", email_verified=False, preferred_username="bob@acme.test"
    )
    event = refused_with(landed, "email_not_verified")
    assert "bob@acme.test" in event.detail and "email_verified" in event.detail
    assert not User.objects.filter(email="bob@acme.test").exists()
    assert idp.requests_to("userinfo") == []  # the IdP has answered already


@pytest.mark.parametrize(
    ("methods", "basic"),
    [(["client_secret_basic"], True), (None, True), (["client_secret_post", "private_key_jwt"], False)],
)
def test_the_client_authenticates_as_the_discovery_document_allows(client, jit, http_server, methods, basic):
    from urllib.parse import quote_plus

    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server, token_endpoint_auth_methods_supported=methods)
    assert sign_in(client, connect(jit, idp), idp, email="ada@acme.test").status_code == 302
    (sent,) = idp.requests_to("token")
    body = parse_qs(http_server.httpd.bodies[-1].decode())
    if basic:
        # RFC 6749 §2.3.1: each of client_id and secret form-urlencoded, then joined with ':' and base64-encoded
        pair = f"{quote_plus(idp.client_id)}:{quote_plus(idp.client_secret)}".encode()
        assert sent["Authorization"] == "Basic " + base64.b64encode(pair).decode()
        assert "client_secret" not in body and "client_id" not in body  # one method per request
    else:
        assert "Authorization" not in sent
        assert body["client_secret"] == [idp.client_secret] and body["client_id"] == [idp.client_id]


def test_an_email_only_in_userinfo_signs_in_with_one_request_more_and_no_query_more(client, jit, http_server):
    from connections.events import SignInEvent
    from kloudsso.accounts.models import User
    from kloudsso.tenancy.models import Membership
    from tests.support.oidc import CraftedIdP
    from tests.support.queries import assert_queries

    idp = CraftedIdP(http_server)
    connection = connect(jit, idp)
    Membership.objects.create(user=User.objects.create_user("uma@acme.test"), organization=jit)
    params = start(client, connection)
    idp.answer(params["nonce"], userinfo={"sub": "sub-1", "email": "uma@acme.test"}, preferred_username="uma")
    before = len(http_server.requests)
    # as for a sign-in whose ID token carries the email (test_oidc_signin_flow): session (read, and saved with the
    # state used up), connection, domain, identity and user lookups (each with the membership), the account's links
    # (this connection's identities, memberships and identities elsewhere), the identity's insert, last sign-in,
    # last_login, the sign-in event, the session's save (its row moved to a new key)
    with assert_queries(14):
        landed = client.get("/sso/oidc", {"code": "the-code", "state": params["state"]})
    assert landed.status_code == 302
    # the token, the keys (first use), UserInfo: one request more than an ID token with an email
    assert http_server.requests[before:] == [idp.path("token"), idp.path("keys"), idp.path("userinfo")]
    (asked,) = idp.requests_to("userinfo")
    assert asked["Authorization"] == f"Bearer {idp.access_token}"
    event = SignInEvent.objects.get(outcome="success")
    assert "the email claim of the UserInfo response" in event.detail
    assert idp.access_token not in json.dumps(event.received) + event.detail


def test_userinfo_is_not_asked_when_the_id_token_has_an_email(client, jit, http_server):
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server)
    assert sign_in(client, connect(jit, idp), idp, email="ada@acme.test").status_code == 302
    assert idp.requests_to("userinfo") == []


@pytest.mark.parametrize(
    ("userinfo", "code"),
    [
        ({"sub": "someone-else", "email": "ada@acme.test"}, "userinfo_sub_mismatch"),
        ({"email": "ada@acme.test"}, "userinfo_sub_mismatch"),
        ({"sub": "sub-1", "email": "ada@acme.test", "email_verified": False}, "email_not_verified"),
        ({"sub": "sub-1", "name": "Ada"}, "no_email"),
    ],
)
def test_userinfo_answers_that_are_refused(client, jit, http_server, userinfo, code):
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server)
    event = refused_with(sign_in(client, connect(jit, idp), idp, userinfo=userinfo), code)
    assert idp.access_token not in event.detail


@pytest.mark.parametrize(
    ("body", "status", "content_type", "said"),
    [
        ('{"error": "invalid_token"}', 401, "application/json", "HTTP 401"),
        ("<html>busy</html>", 200, "text/html", "not a JSON object"),
        ("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", 200, "application/jwt", "signed"),
    ],
)
def test_a_userinfo_endpoint_that_fails_is_told_apart(client, jit, http_server, body, status, content_type, said):
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server)
    connection = connect(jit, idp)
    http_server.serve(idp.path("userinfo"), body, status=status, content_type=content_type)
    event = refused_with(sign_in(client, connection, idp), "userinfo_error")
    assert said in event.detail and idp.access_token not in event.detail


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("<html>Sign in</html>", "bad_token_response"),
        ("[1, 2]", "bad_token_response"),
        ('{"id_token": 42}', "bad_token_response"),
        ('{"id_token": ["a.b.c"]}', "bad_token_response"),
        ('{"id_token": {"a": 1}}', "bad_token_response"),
        ('{"access_token": "x"}', "no_id_token"),
        ('{"id_token": "not-a-jwt"}', "bad_token"),
    ],
)
def test_a_token_endpoint_answering_200_with_junk_is_told_so(client, jit, http_server, body, code):
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server)
    connection = connect(jit, idp)
    params = start(client, connection)
    http_server.serve(idp.path("token"), body)
    refused_with(client.get("/sso/oidc", {"code": "c", "state": params["state"]}), code)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("[" * 100_000 + "]" * 100_000, 200, "bad_token_response"),
        ('{"error": 5, "error_description": 7}', 400, "token_error"),
        ('{"error": ["invalid_client"], "error_description": {"AADSTS7000222": 1}}', 401, "token_error"),
    ],
)
def test_a_hostile_token_response_is_refused_not_a_crash(client, jit, http_server, body, status, code):
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server)
    connection = connect(jit, idp)
    params = start(client, connection)
    http_server.serve(idp.path("token"), body, status=status)
    refused_with(client.get("/sso/oidc", {"code": "c", "state": params["state"]}), code)


def test_an_invalid_client_refusal_names_the_client_authentication_used(client, jit, http_server):
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server, token_endpoint_auth_methods_supported=["client_secret_post", "client_secret_basic"])
    connection = connect(jit, idp)
    params = start(client, connection)
    http_server.serve(idp.path("token"), json.dumps({"error": "invalid_client"}), status=401)
    event = refused_with(client.get("/sso/oidc", {"code": "c", "state": params["state"]}), "invalid_client")
    assert "authenticated with client_secret_basic" in event.detail
    assert "allows: client_secret_post, client_secret_basic" in event.detail


@pytest.mark.parametrize(
    ("iss", "advertised", "refused"),
    [
        ("https://evil.example/v2.0", False, True),  # RFC 9207: another issuer's answer, a mix-up
        (None, True, True),  # the IdP says it always sends iss, and this answer has none
        (None, False, False),  # Entra ID sends no iss
        ("same", True, False),
    ],
)
def test_the_callbacks_iss_parameter_must_be_the_connections_issuer(client, jit, http_server, iss, advertised, refused):
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server, authorization_response_iss_parameter_supported=advertised or None)
    connection = connect(jit, idp)
    params = start(client, connection)
    idp.answer(params["nonce"], email="ada@acme.test")
    query = {"code": "c", "state": params["state"], **({"iss": idp.issuer if iss == "same" else iss} if iss else {})}
    landed = client.get("/sso/oidc", query)
    if refused:
        refused_with(landed, "response_issuer_mismatch")
        assert idp.requests_to("token") == []  # the code is not even redeemed
    else:
        assert landed.status_code == 302


def test_an_access_token_unfit_for_a_header_is_refused_without_being_quoted(client, jit, http_server):
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server)
    idp.access_token = "secret-at\r\nX-Injected: 1"
    event = refused_with(sign_in(client, connect(jit, idp), idp), "userinfo_error")
    assert "no usable access_token" in event.detail and "secret-at" not in event.detail
    assert idp.requests_to("userinfo") == []


def test_the_state_is_used_up_in_the_database_before_the_token_request(client, jit, http_server, monkeypatch):
    """Even when the request then fails on a 500 (whose session the middleware does not save): no replay."""
    from django.contrib.sessions.models import Session

    from signin.oidc import backend
    from tests.support.oidc import CraftedIdP

    def token_request_that_crashes(oidc, **kwargs):
        saved = Session.objects.get(session_key=client.session.session_key).get_decoded()
        assert params["state"] not in saved["oidc_states"]
        raise RuntimeError("the process dies during the token request")

    idp = CraftedIdP(http_server)
    params = start(client, connect(jit, idp))
    monkeypatch.setattr(backend, "request_tokens", token_request_that_crashes)
    client.raise_request_exception = False
    assert client.get("/sso/oidc", {"code": "the-code", "state": params["state"]}).status_code == 500
    client.raise_request_exception = True
    replayed = client.get("/sso/oidc", {"code": "the-code", "state": params["state"]})
    assert "<code>state_mismatch</code>" in replayed.content.decode()


def test_an_error_beside_a_code_ends_the_flow_without_exchanging_the_code(client, jit, http_server):
    """The IdP (or someone editing the URL) sends both: the error wins, as in mozilla-django-oidc's own branch."""
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server)
    connection = connect(jit, idp)
    params = start(client, connection)
    idp.answer(params["nonce"], email="ada@acme.test")  # a code that would sign Ada in
    response = client.get("/sso/oidc", {"code": "the-code", "state": params["state"], "error": "access_denied"})
    assert response.status_code == 400
    assert "did not sign you in (access_denied)" in response.content.decode()
    assert "_auth_user_id" not in client.session
