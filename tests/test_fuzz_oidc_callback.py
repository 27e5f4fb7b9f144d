"""Fuzz the OIDC callback (/sso/oidc): any state, code, error and error_description, repeated or missing, with and
without a sign-in (or an owner's test) started in this browser, while the IdP's token endpoint answers anything
from a plausible token response to junk. No 500, nobody signed in, at most one failure event."""

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from domains.models import Domain, Status
from tests.support import strategies
from tests.support.factories import oidc_connection
from tests.support.fuzzing import check, client_for, example_scope, fuzz, rows, send
from tests.support.oidc import jwks_document, serve_idp

JWKS = jwks_document()
STATE = "{state}"  # stands for the state of the sign-in this example started; replaced once it is known
PARAMETERS = ("state", "code", "error", "error_description", "session_state", "iss", "id_token")
VALUES = {
    "state": [STATE, STATE + "x", ""],
    "code": ["abc", "", "a" * 5000],
    "error": ["access_denied", "interaction_required", "server_error", "", "<b>"],
    "error_description": ["AADSTS50011: The redirect URI does not match", "AADSTS50105: not assigned", ""],
    "iss": ["http://127.0.0.1/wrong", ""],
}


@pytest.fixture
def connection(acme, alice, http_server, settings):
    settings.SSO_HTTP_TIMEOUT_SECONDS = 0.5
    Domain.objects.create(organization=acme, name="acme.test", status=Status.VERIFIED)
    issuer = serve_idp(http_server, "/tenant/v2.0")
    return oidc_connection(acme, issuer=issuer)


def started(client, connection, *, test: bool) -> str:
    """Start a sign-in (or an owner's test of the connection); return the state sent to the IdP."""
    if test:
        path = reverse("connections:test", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    else:
        path = reverse("sso_start", kwargs={"public_id": connection.public_id})
    response = client.post(path)
    assert response.status_code == 302
    return parse_qs(urlsplit(response["Location"]).query)["state"][0]


@fuzz(share=2)
@given(
    flow=st.sampled_from(["none", "sign-in", "test"]),
    query=strategies.query_strings(PARAMETERS, valid={"state": STATE, "code": "abc"}, values=VALUES),
    token=strategies.token_responses(),
    keys=st.one_of(st.just(JWKS), strategies.json_documents()),
)
def test_the_oidc_callback_never_answers_500(alice, connection, http_server, flow, query, token, keys):
    status, body, content_type = token
    http_server.serve("/tenant/v2.0/oauth2/v2.0/token", body, status=status, content_type=content_type)
    http_server.serve("/tenant/v2.0/discovery/v2.0/keys", keys)
    with example_scope():
        client = client_for(alice if flow == "test" else None)
        state = started(client, connection, test=flow == "test") if flow != "none" else "no-flow-started"
        before = rows()
        response = send(client, "GET", reverse("oidc_authentication_callback"), query.replace(quote(STATE), state))
        after = check(response, before, may_change={"connections.SignInEvent"})
        assert len(after["connections.SignInEvent"]) - len(before["connections.SignInEvent"]) <= 1
        assert client.session.get("_auth_user_id") in (None, str(alice.pk) if flow == "test" else None)


@fuzz(share=0.5)
@given(body=strategies.form_bodies(PARAMETERS, values=VALUES))
def test_posting_to_the_oidc_callback_never_answers_500(connection, body):
    with example_scope():
        before = rows()
        response = send(client_for(), "POST", reverse("oidc_authentication_callback"), body)
        check(response, before)
        assert response.status_code == 405
