"""Fuzz the Groups page of a connection: anyone, any method, any body, either organization's slug and connection.
Only Acme's owner changes Acme's mapping; nobody reaches Globex's from Acme's side; never a 500."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from connections.role_mapping import RoleMapping
from tests.support import strategies
from tests.support.factories import oidc_connection
from tests.support.fuzzing import check, client_for, example_scope, fuzz, rows, send

PAGES = {
    "groups": (("group", "role", "csrfmiddlewaretoken"), {"group": "Admins", "role": "admin"}),
    "groups_settings": (("unmatched", "groups_claim"), {"unmatched": "refuse", "groups_claim": "groups"}),
    "groups_remove": (("group",), {"group": "Admins"}),
}


@pytest.fixture
def connections(acme, globex):
    connections = {"acme": oidc_connection(acme), "globex": oidc_connection(globex)}
    RoleMapping.objects.create(connection=connections["globex"], rules_data=[{"group": "Admins", "role": "admin"}])
    return connections


@fuzz(share=0.5)
@given(data=st.data())
def test_the_groups_pages_never_answer_500_nor_reach_another_organization(alice, bob, charlie, connections, data):
    people = {"alice": alice, "bob": bob, "charlie": charlie, None: None}
    who = data.draw(st.sampled_from(list(people)), "who")
    page = data.draw(st.sampled_from(list(PAGES)), "page")
    slug = data.draw(st.sampled_from(["acme", "globex"]), "slug")
    whose = data.draw(st.sampled_from(["acme", "globex"]), "whose connection")
    method = data.draw(st.sampled_from(["GET", "POST", "PUT"]), "method")
    fields, valid = PAGES[page]
    body = data.draw(strategies.form_bodies(fields, valid=valid)) if method == "POST" else ""
    globex_mapping = list(RoleMapping.objects.filter(connection=connections["globex"]).values())
    with example_scope():
        client = client_for(people[who])
        before = rows()
        path = reverse(f"connections:{page}", kwargs={"org_slug": slug, "public_id": connections[whose].public_id})
        response = client.generic(method, path, data=b"x") if method == "PUT" else send(client, method, path, body)
        owner_of = {"alice": "acme", "charlie": "globex"}.get(who)
        if owner_of and (slug != owner_of or whose != owner_of):
            assert response.status_code == 404
        acts_on_its_own = owner_of is not None and slug == owner_of == whose
        may_change = {"connections.RoleMapping", "audit.AuditEvent"} if acts_on_its_own else ()
        check(response, before, may_change=may_change)
        if who != "charlie":
            assert list(RoleMapping.objects.filter(connection=connections["globex"]).values()) == globex_mapping
