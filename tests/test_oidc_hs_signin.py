"""An IdP that signs ID tokens with the client secret (HS256, as LemonLDAP::NG does by default) and gives the email
only in UserInfo, end to end against the real test IdP (oidc-provider with id_token_signed_response_alg HS256)."""

import pytest
import requests
from django.urls import reverse

from connections.events import SignInEvent
from domains.models import Domain
from kloudsso.accounts.models import User
from tests.conftest import HS_CLIENT_SECRET
from tests.support.factories import oidc_connection_for_idp
from tests.support.sso_browser import oidc_sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme_jit(live_server, settings, acme):
    settings.PUBLIC_BASE_URL = live_server.url
    acme.provisioning_mode = "jit"
    acme.save()
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    return acme


def refusal(code: str) -> SignInEvent:
    event = SignInEvent.objects.get(outcome="failure")
    assert event.code == code, (event.code, event.detail)
    assert not User.objects.filter(email__endswith="@acme.test").exclude(email="alice@acme.test").exists()
    return event


def test_the_idp_offers_hs256_in_its_discovery_document(hs_oidc_idp, acme_jit):
    connection = oidc_connection_for_idp(acme_jit, hs_oidc_idp, id_token_signing_alg="HS256")
    assert "HS256" in connection.oidc.discovery_document["id_token_signing_alg_values_supported"]


def test_hs256_id_tokens_and_an_email_only_in_userinfo_sign_in_when_the_owner_chose_hs256(
    live_server, hs_oidc_idp, acme_jit
):
    oidc_connection_for_idp(acme_jit, hs_oidc_idp, display_name="LemonLDAP::NG", id_token_signing_alg="HS256")
    landed = oidc_sign_in(requests.Session(), live_server.url, "uma@acme.test", "uma")
    assert landed.url == f"{live_server.url}/orgs/acme/", landed.text[-1500:]
    event = SignInEvent.objects.get(outcome="success")
    assert "the email claim of the UserInfo response" in event.detail
    assert event.received["UserInfo response"]["email"] == "uma@acme.test"
    assert User.objects.filter(email="uma@acme.test").exists()
    assert HS_CLIENT_SECRET not in str(event.received) + event.detail


def test_hs256_id_tokens_are_refused_on_a_connection_left_on_the_idps_public_keys(
    live_server, hs_oidc_idp, acme_jit, alice, client
):
    connection = oidc_connection_for_idp(acme_jit, hs_oidc_idp)
    landed = oidc_sign_in(requests.Session(), live_server.url, "uma@acme.test", "uma")
    assert landed.status_code == 400
    assert "<code>hs_alg_not_chosen</code>" in landed.text
    event = refusal("hs_alg_not_chosen")
    assert "HS256" in event.detail
    # The owner's page names the setting on the IdP's side: the generic preset's words (the IdP is on 127.0.0.1).
    client.force_login(alice)
    page = client.get(reverse("connections:event", args=["acme", event.public_id])).content.decode()
    assert "ID Token signature algorithm" in page and "LemonLDAP::NG" in page
    assert "Entra ID:" not in page  # one IdP's words, not every preset's
    assert connection.display_name in page


def test_rs256_id_tokens_are_refused_on_a_connection_set_to_hs256(live_server, oidc_idp, acme_jit):
    # Saved through the service, not the form (which would refuse this 19-byte secret for HS256): the token's
    # RS256 is refused before the secret is looked at.
    connection = oidc_connection_for_idp(acme_jit, oidc_idp, id_token_signing_alg="HS256")
    assert connection.oidc.get_client_secret() == oidc_idp.client_secret
    landed = oidc_sign_in(requests.Session(), live_server.url, "bea@acme.test", "bea")
    assert "<code>id_token_alg_mismatch</code>" in landed.text
    event = refusal("id_token_alg_mismatch")
    assert "RS256" in event.detail and "HS256" in event.detail


def test_an_hs256_connection_whose_stored_secret_is_short_refuses_rather_than_use_it(live_server, acme_jit):
    """A secret kept from before the form's check: the IdP signs with it, and it is refused as a weak key."""
    from tests.support.oidc_idp import OIDCIdP, available

    if available():
        pytest.skip(available())
    with OIDCIdP(
        client_id="kloudsso-short",
        client_secret="short-secret",
        redirect_uris=[f"{live_server.url}/sso/oidc"],
        id_token_alg="HS256",
    ) as idp:
        oidc_connection_for_idp(acme_jit, idp, id_token_signing_alg="HS256")
        landed = oidc_sign_in(requests.Session(), live_server.url, "uma@acme.test", "uma")
    assert "<code>secret_too_short</code>" in landed.text
    assert "12 bytes long; HS256 needs one of at least 32 bytes" in refusal("secret_too_short").detail
