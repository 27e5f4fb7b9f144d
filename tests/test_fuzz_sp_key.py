"""Fuzz the SP key rotation page and its steps: anyone, any method, any body, either organization's slug. Only
Acme's owner changes Acme's service provider, and nobody reaches Globex's from Acme's side."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from connections.models import ServiceProvider
from connections.sp import service_provider_get_or_create
from connections.sp_keys import sp_key_rotation_start
from tests.support import strategies
from tests.support.fuzzing import check, client_for, example_scope, fuzz, rows, send

STEPS = ("sp_key_start", "sp_key_finish", "sp_key_cancel")
PAGES = (*STEPS, "sp_key", "sp_certificate")


@pytest.fixture
def globex_sp(globex):
    sp_key_rotation_start(sp=service_provider_get_or_create(org=globex))
    return ServiceProvider.objects.values().get(organization=globex)


@fuzz(share=0.5)
@given(data=st.data())
def test_the_key_rotation_pages_never_answer_500_nor_reach_another_organization(
    alice, bob, charlie, globex, globex_sp, data
):
    people = {"alice": alice, "bob": bob, "charlie": charlie, None: None}
    who = data.draw(st.sampled_from(list(people)), "who")
    page = data.draw(st.sampled_from(PAGES), "page")
    slug = data.draw(st.sampled_from(["acme", "globex"]), "slug")
    method = data.draw(st.sampled_from(["GET", "POST", "PUT"]), "method")
    body = data.draw(strategies.form_bodies(("csrfmiddlewaretoken", "which")) if method == "POST" else st.just(""))
    kwargs = {
        "org_slug": slug,
        **({"which": data.draw(st.sampled_from(["current", "next"]))} if page == "sp_certificate" else {}),
    }
    with example_scope():
        client = client_for(people[who])
        before = rows()
        path = reverse(f"connections:{page}", kwargs=kwargs)
        response = client.generic(method, path, data=b"x") if method == "PUT" else send(client, method, path, body)
        acts_on_its_own = (who, slug) in {("alice", "acme"), ("charlie", "globex")}
        if who in ("alice", "charlie") and not acts_on_its_own:
            assert response.status_code == 404
        check(response, before, may_change={"connections.ServiceProvider"} if acts_on_its_own else ())
        if who != "charlie":
            assert ServiceProvider.objects.values().get(organization=globex) == globex_sp
