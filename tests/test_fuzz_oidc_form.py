"""Fuzz Connections → Add/Edit OIDC: hostile values never answer 500, a refusal saves nothing, a save is whole.

The discovery URL is fetched on save, so every URL drawn points at 127.0.0.1 (the test server, serving a valid or a
fuzzed discovery document, or a closed port) or, under production rules, at addresses refused before connecting.
"""

import json

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies
from tests.support.factories import oidc_connection
from tests.support.fuzzing import (
    CONNECTION_TABLES,
    added,
    check,
    client_for,
    example_scope,
    fuzz,
    redirected,
    rows,
    send,
)
from tests.support.oidc import discovery_document, serve_idp

FIELDS = ("display_name", "discovery_url", "client_id", "client_secret", "scopes")
CLOSED_PORT = "http://127.0.0.1:9"  # discard: nothing listens there


@pytest.fixture
def idp(http_server, settings):
    settings.SSO_HTTP_TIMEOUT_SECONDS = 0.5
    serve_idp(http_server, "/good/v2.0")
    return http_server


@pytest.fixture
def connection(acme, idp):
    return oidc_connection(acme, issuer=idp.url("/good/v2.0"))


def valid(idp) -> dict:
    return {
        "display_name": "Entra ID",
        "discovery_url": idp.url("/good/v2.0/.well-known/openid-configuration"),
        "client_id": "client-1",
        "client_secret": "s3cret",
        "scopes": "openid email",
    }


def discovery_urls(idp):
    local = (idp.base.removeprefix("http://"), "127.0.0.1:9", "localhost:9")
    return st.one_of(
        st.sampled_from([idp.url("/good/v2.0"), idp.url("/fuzzed/.well-known/openid-configuration"), CLOSED_PORT]),
        strategies.urls(hosts=local),
    )


fuzzed_documents = st.one_of(
    st.builds(
        lambda overrides: json.dumps({**json.loads(discovery_document("http://127.0.0.1/fuzzed")), **overrides}),
        st.dictionaries(
            st.sampled_from(["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"]),
            st.one_of(strategies.json_values, strategies.urls()),
            max_size=3,
        ),
    ),
    strategies.json_documents(),
)


def bodies(idp):
    return strategies.form_bodies(FIELDS, valid=valid(idp), values={"discovery_url": discovery_urls(idp)})


@fuzz()
@given(data=st.data())
def test_adding_an_oidc_connection_never_answers_500(alice, idp, data):
    body, document = data.draw(bodies(idp)), data.draw(fuzzed_documents)
    idp.serve("/fuzzed/.well-known/openid-configuration", document)
    with example_scope():
        owner = client_for(alice)
        before = rows()
        response = send(owner, "POST", reverse("connections:add_oidc", kwargs={"org_slug": "acme"}), body)
        saved = redirected(response) and response["Location"].endswith("/edit/#preflight")  # to its checklist
        after = check(response, before, may_change=CONNECTION_TABLES if saved else ())
        if saved:
            assert added(before, after, "connections.Connection") == 1
            assert added(before, after, "connections.OIDCSettings") == 1


@fuzz()
@given(data=st.data())
def test_editing_an_oidc_connection_never_answers_500(alice, connection, idp, data):
    body, document = data.draw(bodies(idp)), data.draw(fuzzed_documents)
    idp.serve("/fuzzed/.well-known/openid-configuration", document)
    with example_scope():
        owner = client_for(alice)
        before = rows()
        path = reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id})
        response = send(owner, "POST", path, body)
        saved = redirected(response) and response["Location"].endswith("/edit/#preflight")  # to its checklist
        after = check(
            response, before, may_change={"connections.Connection", "connections.OIDCSettings"} if saved else ()
        )
        assert added(before, after, "connections.Connection") == 0


@fuzz()
@given(body=strategies.form_bodies(FIELDS, values={"discovery_url": strategies.urls()}))
def test_under_production_rules_no_hostile_url_is_fetched_or_answers_500(alice, secure_idp_mode, settings, body):
    settings.SSO_HTTP_TIMEOUT_SECONDS = 0.5
    with example_scope():
        owner = client_for(alice)
        before = rows()
        response = send(owner, "POST", reverse("connections:add_oidc", kwargs={"org_slug": "acme"}), body)
        check(response, before)  # nothing reachable is public, so nothing can be saved
