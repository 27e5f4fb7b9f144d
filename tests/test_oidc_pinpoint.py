"""Each OIDC refusal's explanation compares the connection's configuration with what arrived and names the values
and the likely mistake (issue 12, item 4); the token endpoint's error answer is kept in full, secrets masked."""

import html
import json
import time

import jwt
import pytest
import time_machine

from connections.answers import SignInAnswer
from connections.events import SignInEvent
from domains.models import Domain
from tests.support.factories import oidc_connection
from tests.test_catalogue import oidc_state, shown
from tests.test_oidc_id_token import CLIENT_ID, idp, keys, refused, token  # noqa: F401 -- fixtures and helpers

NOW = 1_800_000_000  # 2027-01-15T08:00:00Z
TENANT_A = "aaaaaaaa-1111-2222-3333-444444444444"
TENANT_B = "bbbbbbbb-1111-2222-3333-444444444444"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


# -- the ID token's times ------------------------------------------------------------------------------------------


def test_an_expired_token_gives_the_seconds_and_both_clocks(idp, keys, frozen):  # noqa: F811
    error = refused(idp, token(idp, keys, iat=NOW - 3600, exp=NOW - 600))
    assert error.code == "token_expired"
    assert "exp 2027-01-15T07:50:00Z is 600 s in the past by this server's clock (2027-01-15T08:00:00Z)" in error.detail
    assert "the allowed skew is 120 s" in error.detail
    assert "iat 2027-01-15T07:00:00Z is -3600 s from this server's clock: an old token" in error.detail


def test_a_token_not_valid_yet_gives_the_seconds_and_both_clocks(idp, keys, frozen):  # noqa: F811
    error = refused(idp, token(idp, keys, nbf=NOW + 600))
    assert error.code == "token_not_yet_valid"
    assert "nbf (not before) 2027-01-15T08:10:00Z is 600 s ahead of this server's clock" in error.detail
    assert "this server's clock reads 2027-01-15T08:00:00Z" in error.detail


def test_a_token_issued_in_the_future_gives_the_seconds_and_both_clocks(idp, keys, frozen):  # noqa: F811
    error = refused(idp, token(idp, keys, iat=NOW + 900, exp=NOW + 1800))
    assert error.code == "token_issued_in_future"
    assert "iat (issued at) 2027-01-15T08:15:00Z is 900 s ahead" in error.detail
    assert "this server's clock reads 2027-01-15T08:00:00Z" in error.detail


# -- issuer, audience, nonce ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "sent", "cause"),
    [
        (
            f"https://login.microsoftonline.com/{TENANT_A}/v2.0",
            f"https://sts.windows.net/{TENANT_A}/",
            "same Entra ID tenant's v1.0 issuer",
        ),
        (
            f"https://login.microsoftonline.com/{TENANT_A}/v2.0",
            f"https://login.microsoftonline.com/{TENANT_B}/v2.0",
            f"Another Entra ID tenant issued it ({TENANT_B}, not {TENANT_A})",
        ),
        ("https://idp.example.test/realm", "https://idp.example.test/realm/", "only by a trailing slash"),
        ("https://idp.example.test/realm", "https://elsewhere.example.test/", "Another IdP issued it"),
    ],
    ids=["entra-v1", "entra-other-tenant", "trailing-slash", "another-idp"],
)
def test_an_issuer_names_both_and_the_likely_cause(idp, keys, expected, sent, cause):  # noqa: F811
    idp.oidc.issuer = expected
    error = refused(idp, token(idp, keys, iss=sent))
    assert error.code == "issuer_mismatch"
    assert (
        f"iss is {sent!r}" in error.detail and f"issuer (from its discovery document) is {expected!r}" in error.detail
    )
    assert cause in error.detail


@pytest.mark.parametrize(
    ("claims", "cause"),
    [
        ({"aud": "another-app"}, "another app registration"),
        ({"aud": "real-app-id", "tid": CLIENT_ID}, "holds the Directory (tenant) ID"),
        ({"aud": "api://real-app-id"}, "for an API (api://…)"),
    ],
    ids=["other-app", "tenant-id-as-client-id", "api"],
)
def test_an_audience_names_both_and_the_likely_cause(idp, keys, claims, cause):  # noqa: F811
    error = refused(idp, token(idp, keys, **claims))
    assert error.code == "aud_mismatch"
    assert f"aud is {claims['aud']!r}" in error.detail and f"Client ID is {CLIENT_ID!r}" in error.detail
    assert cause in error.detail


def test_a_nonce_mismatch_says_why_without_showing_either_nonce(idp, keys):  # noqa: F811
    error = refused(idp, token(idp, keys, nonce="sent-by-another-tab"), nonce="kept-in-this-session")
    assert error.code == "nonce_mismatch"
    assert "another tab" in error.detail and "nonces are not shown" in error.detail
    assert "sent-by-another-tab" not in error.detail and "kept-in-this-session" not in error.detail


def test_a_missing_nonce_is_its_own_code(idp, keys):  # noqa: F811
    assert refused(idp, token(idp, keys, nonce=None)).code == "nonce_missing"


# -- the token endpoint --------------------------------------------------------------------------------------------


@pytest.fixture
def entra(acme, http_server):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")

    def connection(*, secret="a-secret-value-0123456789", answer, status=401):
        made = oidc_connection(acme, issuer=http_server.url("/t/v2.0"), secret=secret)
        http_server.serve("/t/v2.0/oauth2/v2.0/token", json.dumps(answer), status=status)
        return made

    return connection


def exchange(client, connection, code):
    return shown(client.get("/sso/oidc", {"code": "c", "state": oidc_state(client, connection)}), code)


@pytest.mark.parametrize(
    ("secret", "description", "named"),
    [
        (
            "11111111-2222-3333-4444-555555555555",
            "AADSTS7000215: Invalid client secret provided.",
            ["wrong client secret for Client ID 'client-1'", "the Secret ID pasted instead of its Value"],
        ),
        (
            "a-secret-value-0123456789",
            "AADSTS7000215: Invalid client secret provided.",
            ["wrong client secret for Client ID 'client-1'", "authenticated with client_secret_basic, try "],
        ),
        (
            "a-secret-value-0123456789",
            "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
            [
                "the client authenticated with client_secret_basic; set the connection's Client authentication to "
                "client_secret_post"
            ],
        ),
        (
            "a-secret-value-0123456789",
            "AADSTS700016: Application with identifier 'client-1' was not found in the directory 'Acme'.",
            ["does not know the Client ID 'client-1'", "Application (client) ID"],
        ),
    ],
    ids=["secret-id-pasted", "wrong-secret", "auth-method", "unknown-client-id"],
)
def test_invalid_client_tells_the_mistakes_apart(client, entra, secret, description, named):
    connection = entra(secret=secret, answer={"error": "invalid_client", "error_description": description})
    exchange(client, connection, "invalid_client")
    detail = SignInEvent.objects.get().detail
    assert description[:40] in detail
    for words in named:
        assert words in detail
    assert secret not in detail


def test_invalid_grant_names_the_redirect_uri_sent(client, entra):
    answer = {"error": "invalid_grant", "error_description": "AADSTS70008: The provided authorization code expired."}
    exchange(client, entra(answer=answer, status=400), "token_error")
    assert "the code was used already" in SignInEvent.objects.get().detail
    assert "http://testserver/sso/oidc" in SignInEvent.objects.get().detail


def test_the_token_endpoints_error_answer_is_kept_in_full_with_secrets_masked(client, entra):
    secret = "s3cr3t-value-that-the-idp-echoes"
    answer = {
        "error": "invalid_client",
        "error_description": f"AADSTS7000215: Invalid client secret provided: {secret}.",
        "error_codes": [7000215],
        "trace_id": "0b1c-trace",
        "correlation_id": "9f8e-correlation",
        "timestamp": "2026-12-02 17:00:00Z",
        "refresh_token": "should-never-be-kept",
        "echo": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
    }
    exchange(client, entra(secret=secret, answer=answer), "invalid_client")
    kept = SignInAnswer.objects.get(event=SignInEvent.objects.get())
    assert kept.kind == "token_error"
    assert kept.body.startswith("HTTP 401")
    for value in ["0b1c-trace", "9f8e-correlation", "7000215", "AADSTS7000215: Invalid client secret provided"]:
        assert value in kept.body
    for leaked in [secret, "should-never-be-kept", "eyJhbGciOiJSUzI1NiJ9"]:
        assert leaked not in kept.body
    assert '"refresh_token": "********"' in kept.body


@pytest.mark.parametrize("secret", ['quo"te\\back', "amp&<lt>"])
def test_a_secret_echoed_in_an_escaped_form_is_masked_too(client, entra, secret):
    answer = {"error": "invalid_client", "error_description": f"Invalid client secret provided: {secret}"}
    exchange(client, entra(secret=secret, answer=answer), "invalid_client")
    body = SignInAnswer.objects.get().body
    for form in (secret, json.dumps(secret)[1:-1], html.escape(secret)):
        assert form not in body


def test_a_token_endpoint_answer_that_is_not_json_is_kept_as_text(client, acme, http_server):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    connection = oidc_connection(acme, issuer=http_server.url("/t/v2.0"))
    http_server.serve("/t/v2.0/oauth2/v2.0/token", "<html>502 Bad Gateway</html>", status=502)
    exchange(client, connection, "token_error")
    assert "<html>502 Bad Gateway</html>" in SignInAnswer.objects.get().body


def test_a_clock_in_the_token_is_read_in_utc():
    from signin.oidc.mistakes import utc

    assert utc(NOW) == "2027-01-15T08:00:00Z"
    assert utc("not a time") == "'not a time'"
    assert time.gmtime(NOW).tm_year == 2027


def test_an_azp_mismatch_names_both(idp, keys):  # noqa: F811
    error = refused(idp, token(idp, keys, aud=[CLIENT_ID, "other"], azp="other"))
    assert error.code == "azp_mismatch" and "azp 'other'" in error.detail and CLIENT_ID in error.detail


def test_a_refused_algorithm_is_named(idp, keys):  # noqa: F811
    error = refused(idp, token(idp, keys, alg="HS256", key="a-shared-secret-of-enough-length-0123456789"))
    assert error.code == "hs_alg_not_chosen" and "HS256" in error.detail
    unsigned = jwt.encode({"iss": idp.oidc.issuer}, None, algorithm="none")
    error = refused(idp, unsigned)
    assert error.code == "bad_alg" and "'none'" in error.detail


def test_a_redirect_uri_refusal_names_the_redirect_uri_sent(client, entra):
    answer = {"error": "invalid_grant", "error_description": "AADSTS50011: The redirect URI specified does not match."}
    exchange(client, entra(answer=answer, status=400), "redirect_uri_mismatch")
    assert "The redirect URI sent was http://testserver/sso/oidc." in SignInEvent.objects.get().detail
    assert SignInAnswer.objects.get().kind == "token_error"
