"""Fuzz the owner's connection pages other than the forms: toggle, delete, test, the sign-in events list and its
filters, an event's page, troubleshooting, the SP metadata download. Any method, any body, any UUID (random ones,
and Globex's real connections, which must stay out of Alice's reach).
"""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from connections.events import Outcome, SignInEvent
from connections.sp import service_provider_get_or_create
from tests.support import strategies
from tests.support.factories import oidc_connection, saml_connection
from tests.support.fuzzing import CONNECTION_TABLES, check, client_for, example_scope, fuzz, redirected, rows, send

ACTIONS = ("toggle", "delete", "test", "edit")


@pytest.fixture
def targets(acme, globex, charlie):
    service_provider_get_or_create(org=acme)  # made on the first visit: not a change an example may make
    own = [oidc_connection(acme), saml_connection(acme)]
    foreign = [oidc_connection(globex, display_name="Globex"), saml_connection(globex, display_name="Globex SAML")]
    for n in range(30):  # two pages, every outcome, one event of Globex's
        SignInEvent.objects.create(
            organization=acme, connection=own[n % 2], outcome=Outcome.values[n % 2], code="state_mismatch"
        )
    SignInEvent.objects.create(organization=globex, connection=foreign[0], outcome=Outcome.FAILURE, code="unknown")
    return {"own": [str(c.public_id) for c in own], "foreign": [str(c.public_id) for c in foreign]}


def connection_ids(targets):
    return st.one_of(st.sampled_from(targets["own"] + targets["foreign"]), strategies.uuids())


@fuzz(share=1.5)
@given(data=st.data())
def test_connection_actions_never_answer_500(alice, targets, data):
    action, public_id = data.draw(st.sampled_from(ACTIONS), "action"), data.draw(connection_ids(targets), "id")
    method = data.draw(st.sampled_from(["POST", "GET"]), "method")
    body = data.draw(strategies.form_bodies(("enabled", "confirm", "org")) if method == "POST" else st.just(""))
    with example_scope():
        owner = client_for(alice)
        before = rows()
        path = reverse(f"connections:{action}", kwargs={"org_slug": "acme", "public_id": public_id})
        response = send(owner, method, path, body)
        if public_id not in targets["own"]:
            assert response.status_code == 404
        changes = action in ("toggle", "delete") and method == "POST" and redirected(response)
        check(response, before, may_change=CONNECTION_TABLES | {"connections.SignInEvent"} if changes else ())


@fuzz()
@given(data=st.data())
def test_the_sign_in_events_list_takes_any_filter(alice, targets, data):
    query = data.draw(
        strategies.query_strings(
            ("outcome", "connection", "reference", "page"),
            values={
                "outcome": Outcome.values,
                "connection": st.one_of(connection_ids(targets), st.just("")),
                "page": ["1", "2", "3", "last", "0", "-1", "9" * 30, "1.5"],
                "reference": ["", "ABCDEF1234", "abcdef1234 ", "%"],
            },
        )
    )
    with example_scope():
        owner = client_for(alice)
        before = rows()
        response = send(owner, "GET", reverse("connections:events", kwargs={"org_slug": "acme"}), query)
        check(response, before)
        assert response.status_code == 200
        assert "Globex" not in response.content.decode()


@fuzz(share=0.5)
@given(public_id=strategies.uuids(), query=strategies.query_strings(("page", "code")))
def test_other_owner_pages_take_any_query(alice, targets, public_id, query):
    with example_scope():
        owner = client_for(alice)
        before = rows()
        for path in (
            reverse("connections:event", kwargs={"org_slug": "acme", "public_id": public_id}),
            reverse("connections:troubleshooting", kwargs={"org_slug": "acme"}),
            reverse("connections:sp_metadata", kwargs={"org_slug": "acme"}),
            reverse("connections:list", kwargs={"org_slug": "acme"}),
        ):
            check(send(owner, "GET", path, query), before)


@fuzz()
@given(data=st.data())
def test_adding_and_retiring_certificates_never_answer_500(alice, targets, data):
    """Any text as the next certificate (real metadata and certificates, edited), any certificate ID, any method."""
    from connections.models import SAMLCertificate

    own_saml, foreign_saml = targets["own"][1], targets["foreign"][1]
    certificate_ids = [str(c.public_id) for c in SAMLCertificate.objects.all()]
    public_id = data.draw(st.sampled_from([own_saml, foreign_saml, targets["own"][0]]), "connection")
    method = data.draw(st.sampled_from(["POST", "GET"]), "method")
    with example_scope():
        owner = client_for(alice)
        before = rows()
        if data.draw(st.booleans(), "retire"):
            certificate_id = data.draw(st.one_of(st.sampled_from(certificate_ids), strategies.uuids()), "cert")
            path = reverse(
                "connections:certificate_retire",
                kwargs={"org_slug": "acme", "public_id": public_id, "certificate_id": certificate_id},
            )
            body = data.draw(strategies.form_bodies(("confirm",)) if method == "POST" else st.just(""))
        else:
            path = reverse("connections:certificate_add", kwargs={"org_slug": "acme", "public_id": public_id})
            body = data.draw(
                strategies.form_bodies(("certificate",), values={"certificate": strategies.metadata_documents()})
                if method == "POST"
                else st.just("")
            )
        response = send(owner, method, path, body)
        if public_id != own_saml:
            assert response.status_code == 404
        check(response, before, may_change={"connections.SAMLCertificate"} if public_id == own_saml else ())


@fuzz(share=0.5)
@given(data=st.data())
def test_the_idp_initiated_switch_never_answers_500(alice, targets, data):
    """Any body, any method, any connection: only Acme's own SAML connection's switch may move."""
    own_saml = targets["own"][1]
    public_id = data.draw(connection_ids(targets), "id")
    method = data.draw(st.sampled_from(["POST", "GET"]), "method")
    values = {"allow_idp_initiated": st.sampled_from(["on", "true", "false", "0", "1", "", "\x00", "on" * 500])}
    bodies = strategies.form_bodies(("allow_idp_initiated",), values=values)
    body = data.draw(bodies if method == "POST" else st.just(""), "body")
    with example_scope():
        owner = client_for(alice)
        before = rows()
        path = reverse("connections:idp_initiated", kwargs={"org_slug": "acme", "public_id": public_id})
        response = send(owner, method, path, body)
        if public_id != own_saml:  # Globex's, a random UUID, or Acme's OIDC connection
            assert response.status_code == 404
        check(response, before, may_change={"connections.SAMLSettings"} if public_id == own_saml else ())
