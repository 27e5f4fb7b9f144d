"""Fuzz the metadata refresh buttons (Refresh now, Confirm, Dismiss): any method, any body, any key, any UUID
(random ones, Acme's connections and Globex's, which must stay out of Alice's reach)."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from connections.saml.metadata import parse_idp_metadata
from connections.saml.refresh_state import MetadataRefresh
from connections.saml.services import saml_connection_save
from connections.saml.tasks import refresh_saml_metadata
from tests.support import strategies
from tests.support.factories import oidc_connection, saml_connection
from tests.support.fuzzing import CONNECTION_TABLES, check, client_for, example_scope, fuzz, rows, send
from tests.support.metadata import sample

ACTIONS = ("metadata_refresh", "metadata_confirm", "metadata_dismiss")
KEYCLOAK = "https://keycloak.stars.wire.link/auth/realms/sven-matthias-anta"


def url_connection(org, http_server, path):
    url = http_server.serve(path, sample("keycloak_idp_metadata.xml"), content_type="application/xml")
    return saml_connection_save(
        org=org,
        display_name=f"{org.name} Keycloak",
        source="url",
        metadata_url=url,
        idp=parse_idp_metadata(sample("keycloak_idp_metadata.xml")),
    )


@pytest.fixture
def targets(acme, globex, charlie, http_server):
    acme_url, globex_url = url_connection(acme, http_server, "/acme"), url_connection(globex, http_server, "/globex")
    moved = sample("keycloak_idp_metadata.xml").replace(f'entityID="{KEYCLOAK}"', 'entityID="https://moved.test/"')
    for path in ("/acme", "/globex"):
        http_server.serve(path, moved, content_type="application/xml")
    refresh_saml_metadata.call()  # a change waits on both
    keys = [s.pending_key for s in MetadataRefresh.objects.all()]
    own = [acme_url, saml_connection(acme), oidc_connection(acme)]
    return {
        "own": [str(c.public_id) for c in own],
        "foreign": [str(globex_url.public_id)],
        "keys": keys,
        "globex": MetadataRefresh.objects.get(saml_settings__connection=globex_url),
    }


@fuzz(share=0.5)
@given(data=st.data())
def test_the_refresh_buttons_never_answer_500_nor_reach_another_organization(alice, targets, data):
    action = data.draw(st.sampled_from(ACTIONS), "action")
    public_id = data.draw(st.one_of(st.sampled_from(targets["own"] + targets["foreign"]), strategies.uuids()), "id")
    method = data.draw(st.sampled_from(["POST", "GET"]), "method")
    key = st.one_of(st.sampled_from(targets["keys"]), st.text(max_size=80))
    body = data.draw(strategies.form_bodies(("key",), values={"key": key}) if method == "POST" else st.just(""))
    with example_scope():
        owner = client_for(alice)
        before = rows()
        path = reverse(f"connections:{action}", kwargs={"org_slug": "acme", "public_id": public_id})
        response = send(owner, method, path, body)
        if public_id not in targets["own"]:
            assert response.status_code == 404
        check(response, before, may_change=CONNECTION_TABLES if public_id in targets["own"] else ())
        globex = MetadataRefresh.objects.get(pk=targets["globex"].pk)
        assert (globex.pending_since, globex.dismissed_key) == (targets["globex"].pending_since, "")
