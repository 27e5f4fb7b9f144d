"""Fuzz the anonymous doors: the password sign-in (/login/ and /admin/login/), the SSO email prompt (/sso/login)
and the start of a sign-in (/sso/start/<uuid>). No 500, and nothing written but a failure event for a known
organization (and last_login on a successful password sign-in)."""

import re

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from connections.sp import service_provider_get_or_create
from domains.models import Domain, Status
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Membership, Organization, Plan, Role
from tests.support import strategies
from tests.support.factories import oidc_connection, saml_connection
from tests.support.fuzzing import check, client_for, example_scope, fuzz, redirected, rows, send

PASSWORD = "correct-horse-battery"  # tests/conftest.py's personas
EMAILS = [
    "ada@acme.test",
    "ada@ACME.TEST",
    "x@sub.acme.test",
    "g@globex.test",
    "f@freeco.test",
    "n@noconn.test",
    "who@unknown.test",
    "alice@acme.test",
]


@pytest.fixture
def doors(acme, globex, freeco, alice, charlie, frank):
    """acme.test: one OIDC connection; globex.test: a chooser of two; freeco.test: the free plan;
    noconn.test: verified, no connection."""
    User.objects.create_superuser("support@kloudsso.test", "support-password-1")
    for org in (acme, globex, freeco):
        service_provider_get_or_create(org=org)  # made on the first SAML start: not a change an example may make
    noconn = Organization.objects.create(name="NoConn", slug="noconn", plan=Plan.PAID)
    Membership.objects.create(
        user=User.objects.create_user("o@noconn.test", PASSWORD), organization=noconn, role=Role.OWNER
    )
    for org, name in ((acme, "acme.test"), (globex, "globex.test"), (freeco, "freeco.test"), (noconn, "noconn.test")):
        Domain.objects.create(organization=org, name=name, status=Status.VERIFIED)
    connections = [
        oidc_connection(acme),
        oidc_connection(globex, display_name="Globex A"),
        saml_connection(globex, display_name="Globex B"),
        oidc_connection(freeco),
    ]
    disabled = saml_connection(acme, display_name="Old SAML")
    disabled.enabled = False
    disabled.save()
    return [str(c.public_id) for c in [*connections, disabled]]


LOGIN_VALUES = {
    "username": ["alice@acme.test", "ALICE@acme.test", "support@kloudsso.test", "bob@acme.test"],
    "password": [PASSWORD, "support-password-1", ""],
    "next": ["/orgs/acme/", "https://evil.test/", "//evil.test", "/admin/", "javascript:alert(1)"],
}


@fuzz()
@given(path=st.sampled_from(["/login/", "/admin/login/"]), data=st.data())
def test_password_sign_in_never_answers_500(doors, path, data):
    admin = "admin" in path
    valid = {
        "username": "support@kloudsso.test" if admin else "alice@acme.test",
        "password": "support-password-1" if admin else PASSWORD,
    }
    body = data.draw(strategies.form_bodies(("username", "password", "next"), valid=valid, values=LOGIN_VALUES))
    with example_scope():
        before = rows()
        response = send(client_for(), "POST", path, body)
        check(response, before, may_change={"accounts.User"} if redirected(response) else ())  # last_login


@fuzz()
@given(data=st.data())
def test_the_sso_email_prompt_never_answers_500(doors, data):
    method = data.draw(st.sampled_from(["POST", "POST", "GET"]), "method")
    if method == "POST":
        body = data.draw(strategies.form_bodies(("email",), valid={"email": "ada@acme.test"}, values={"email": EMAILS}))
    else:
        body = data.draw(strategies.query_strings(("email",), values={"email": EMAILS}))
    with example_scope():
        before = rows()
        response = send(client_for(), method, reverse("sso_login"), body)
        after = check(response, before, may_change={"connections.SignInEvent"})
        assert len(after["connections.SignInEvent"]) - len(before["connections.SignInEvent"]) <= 1


@fuzz()
@given(data=st.data())
def test_starting_a_sign_in_never_answers_500(doors, data):
    public_id = data.draw(st.one_of(st.sampled_from(doors), strategies.uuids()), "connection")
    method = data.draw(st.sampled_from(["POST", "POST", "GET"]), "method")
    body = data.draw(strategies.form_bodies(("email", "next"), values={"email": EMAILS})) if method == "POST" else ""
    with example_scope():
        before = rows()
        response = send(client_for(), method, reverse("sso_start", kwargs={"public_id": public_id}), body)
        after = check(response, before, may_change={"connections.SignInEvent"})
        assert len(after["connections.SignInEvent"]) - len(before["connections.SignInEvent"]) <= 1
        if public_id not in doors:
            assert response.status_code in (404, 405)


@fuzz()
@given(data=st.data())
def test_the_prompt_while_signed_in_and_sign_in_as_someone_else_never_answer_500(doors, alice, data):
    route = data.draw(st.sampled_from(["sso_login", "sso_someone_else"]), "route")
    method = data.draw(st.sampled_from(["GET", "POST", "PUT"]), "method")
    signed_in = data.draw(st.booleans(), "signed in")
    if method == "GET":
        body = data.draw(strategies.query_strings(("next", "email")), "query")
    else:
        body = data.draw(strategies.form_bodies(("next", "email", "csrfmiddlewaretoken")), "body")
    with example_scope():
        client = client_for(alice if signed_in else None)
        before = rows()
        if method == "PUT":
            response = client.generic("PUT", reverse(route), data=b"x")
        else:
            response = send(client, method, reverse(route), body)
        check(response, before, may_change={"connections.SignInEvent"})
        if signed_in and route == "sso_login" and method == "GET":
            continues = re.search(r'<a class="btn primary" id="continue" href="([^"]+)"', response.content.decode())
            assert continues and continues.group(1).startswith("/") and not continues.group(1).startswith("//")
