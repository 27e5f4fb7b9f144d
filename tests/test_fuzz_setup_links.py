"""Fuzz setup links and guides: the owners' list and revoke (as the owner, an admin or a member, with any body and
any UUID, Globex's too), and every page a link opens (any method, body and query, with the link's session, another
organization's or none). Nothing answers 500, and a link's pages change nothing but its one connection."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from connections.guides import GUIDES
from kloudsso.audit.record import Actor
from setup_links.models import SetupLink
from setup_links.services import setup_link_create
from tests.support import strategies
from tests.support.fuzzing import check, client_for, example_scope, fuzz, redirected, rows, send

GUIDE_SLUGS = [guide.slug for guide in GUIDES] + ["nope", "ENTRA-OIDC"]
CONNECTION_TABLES = {"connections.Connection", "connections.OIDCSettings", "connections.SAMLSettings"}


@pytest.fixture
def links(acme, globex, alice, ada, bob, charlie):
    own, own_token = setup_link_create(org=acme, by=Actor(user=alice, kind="owner"))
    foreign, foreign_token = setup_link_create(org=globex, by=Actor(user=charlie, kind="owner"))
    return {
        "people": {"alice": alice, "ada": ada, "bob": bob},
        "own": [str(own.public_id)],
        "foreign": [str(foreign.public_id)],
        "tokens": [own_token, foreign_token],
    }


@fuzz()
@given(data=st.data())
def test_the_owners_setup_link_pages_never_answer_500(links, data):
    who = data.draw(st.sampled_from(["alice", "alice", "ada", "bob"]), "as")
    action = data.draw(st.sampled_from(["create", "revoke", "list"]), "action")
    if action == "revoke":
        public_id = data.draw(st.one_of(st.sampled_from(links["own"] + links["foreign"]), strategies.uuids()), "link")
        path = reverse("setup_links:revoke", kwargs={"org_slug": "acme", "public_id": public_id})
    else:
        path = reverse("setup_links:list", kwargs={"org_slug": "acme"})
    fields = ("protocol", "guide", "days", "note")
    valid = {"protocol": "", "guide": "", "days": "7", "note": "For Dana"}
    body = data.draw(
        strategies.form_bodies(fields, valid=valid, values={"guide": GUIDE_SLUGS, "days": ["0", "30", "31", "-1"]})
    )
    with example_scope():
        client = client_for(links["people"][who])
        before_links = list(SetupLink.objects.values_list("public_id", "revoked_at"))
        before = rows()
        response = send(client, "GET" if action == "list" else "POST", path, None if action == "list" else body)
        check(response, before)
        if who != "alice" or action == "list":
            assert list(SetupLink.objects.values_list("public_id", "revoked_at")) == before_links
        foreign = SetupLink.objects.get(public_id=links["foreign"][0])
        assert foreign.revoked_at is None


LINK_PAGES = ["open", "start", "check", "test", "finish", "done", "guide", "connect"]


@fuzz()
@given(data=st.data())
def test_the_pages_a_link_opens_never_answer_500(links, data):
    page = data.draw(st.sampled_from(LINK_PAGES), "page")
    kwargs = {"slug": data.draw(st.sampled_from(GUIDE_SLUGS), "guide")} if page in {"guide", "connect"} else {}
    path = reverse(f"setup_links:{page}", kwargs=kwargs)
    method = data.draw(st.sampled_from(["GET", "POST"]), "method")
    fields = ("token", "display_name", "discovery_url", "client_id", "client_secret", "source", "metadata_xml")
    body = data.draw(strategies.form_bodies(fields, values={"token": links["tokens"]}))
    query = data.draw(strategies.query_strings(fields))
    holder = data.draw(st.sampled_from(["own", "foreign", "nobody"]), "session")
    with example_scope():
        client = client_for()
        if holder != "nobody":
            token = links["tokens"][0 if holder == "own" else 1]
            assert client.post(reverse("setup_links:open"), {"token": token}).status_code == 302
        before = rows()
        response = send(client, method, path, body if method == "POST" else query)
        may_change = CONNECTION_TABLES if redirected(response) and page == "connect" else ()
        check(response, before, may_change=may_change)


@fuzz()
@given(slug=st.one_of(st.sampled_from(GUIDE_SLUGS), st.from_regex(r"[a-z0-9-]{1,40}", fullmatch=True)))
def test_the_guides_never_answer_500(links, slug):
    with example_scope():
        client = client_for(links["people"]["alice"])
        response = client.get(reverse("connections:guide", kwargs={"org_slug": "acme", "slug": slug}))
        assert response.status_code in {200, 404}
        assert client.get(reverse("connections:guides", kwargs={"org_slug": "acme"})).status_code == 200
