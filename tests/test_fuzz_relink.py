"""Fuzz the re-link pages: anyone, any method, any body, either organization's slug and event. Only Acme's owner
re-links Acme's identities, and nobody reaches Globex's from Acme's side."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from connections.models import SSOIdentity
from connections.relink import fingerprint, relink_candidates
from domains.models import Domain
from signin import event_log
from signin.complete import Vouched, complete_sign_in
from signin.errors import SignInError
from tests.support import strategies
from tests.support.factories import saml_connection
from tests.support.fuzzing import check, client_for, example_scope, fuzz, rows, send

PAGES = ("relink", "relink_everyone", "relink_close")


def refused_event(org, domain: str):
    """A member of `org` known by an email NameID, refused once with a persistent one: the event offering re-link."""
    Domain.objects.create(organization=org, name=domain, status="verified")
    org.provisioning_mode = "jit"
    org.save()
    connection = saml_connection(org)
    complete_sign_in(Vouched(connection, f"nameid:pat@{domain}", f"pat@{domain}"))
    try:
        complete_sign_in(Vouched(connection, "persistent:0123456789abcdef", f"pat@{domain}"))
    except SignInError as error:
        return event_log.record_failure(RequestFactory().get("/"), error, connection=connection), connection
    raise AssertionError("the sign-in was not refused")


@pytest.fixture
def events(acme, globex):
    return {"acme": refused_event(acme, "acme.test"), "globex": refused_event(globex, "globex.test")}


@fuzz(share=0.5)
@given(data=st.data())
def test_the_relink_pages_never_answer_500_nor_reach_another_organization(alice, bob, charlie, globex, events, data):
    people = {"alice": alice, "bob": bob, "charlie": charlie, None: None}
    who = data.draw(st.sampled_from(list(people)), "who")
    page = data.draw(st.sampled_from(PAGES), "page")
    slug = data.draw(st.sampled_from(["acme", "globex"]), "slug")
    whose = data.draw(st.sampled_from(["acme", "globex", "none"]), "whose event")
    method = data.draw(st.sampled_from(["GET", "POST", "PUT"]), "method")
    event_id = events[whose][0].public_id if whose != "none" else data.draw(strategies.uuids(), "uuid")
    shown = {}
    if whose != "none":
        connection = events[whose][1]
        shown = {
            "shown": fingerprint(
                relink_candidates(org=connection.organization, connection=connection, kind_code="email_nameid")
            )
        }
    body = data.draw(strategies.form_bodies(("csrfmiddlewaretoken", "shown"), valid=shown)) if method == "POST" else ""
    globex_identities = list(SSOIdentity.objects.filter(connection=events["globex"][1]).values())
    with example_scope():
        client = client_for(people[who])
        before = rows()
        path = reverse(f"connections:{page}", kwargs={"org_slug": slug, "public_id": event_id})
        response = client.generic(method, path, data=b"x") if method == "PUT" else send(client, method, path, body)
        owner_of = {"alice": "acme", "charlie": "globex"}.get(who)
        if owner_of and (slug != owner_of or whose != owner_of):
            assert response.status_code == 404
        acts_on_its_own = owner_of is not None and slug == owner_of == whose
        check(response, before, may_change={"connections.SSOIdentity"} if acts_on_its_own else ())
        if who != "charlie":
            assert list(SSOIdentity.objects.filter(connection=events["globex"][1]).values()) == globex_identities
