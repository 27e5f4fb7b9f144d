"""Sign-out without an IdP to reach: who signed in with a password, a connection whose owner turned the switch off
since, an ID token that can no longer be decrypted; and the page on the way to the IdP is never cached."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from kloudsso.crypto import encrypt_secret
from signin.sso_session import SESSION_KEY
from tests.support.factories import oidc_connection

END_SESSION = "https://login.example.test/tid-1/oauth2/v2.0/logout"


@pytest.fixture
def connection(acme):
    made = oidc_connection(acme)
    made.oidc.discovery_document = {**made.oidc.discovery_document, "end_session_endpoint": END_SESSION}
    made.oidc.single_logout = True
    made.oidc.save()
    return made


def signed_in_through(client, user, connection, id_token):
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = {"kind": "oidc", "connection": str(connection.public_id), "id_token": id_token}
    session.save()


def onward(response) -> str:
    return html.unescape(re.search(r'id="continue-sign-out" href="([^"]+)"', response.content.decode()).group(1))


def test_a_password_sign_in_signs_out_here_only(client, alice):
    client.force_login(alice)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_the_page_on_the_way_to_the_idp_is_not_cached(client, alice, connection):
    signed_in_through(client, alice, connection, encrypt_secret("header.payload.signature"))
    response = client.post(reverse("logout"))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    query = parse_qs(urlsplit(onward(response)).query)
    assert onward(response).startswith(END_SESSION + "?")
    assert query["id_token_hint"] == ["header.payload.signature"]


def test_the_switch_turned_off_since_the_sign_in_signs_out_here_only(client, alice, connection):
    signed_in_through(client, alice, connection, encrypt_secret("header.payload.signature"))
    connection.oidc.single_logout = False
    connection.oidc.save()
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_an_unreadable_id_token_still_asks_the_idp_without_a_hint(client, alice, connection):
    signed_in_through(client, alice, connection, "not-a-fernet-token")
    query = parse_qs(urlsplit(onward(client.post(reverse("logout")))).query)
    assert "id_token_hint" not in query and query["client_id"] == ["client-1"]


def test_someone_signed_out_is_signed_out_whatever_happens_next(client, alice, connection):
    signed_in_through(client, alice, connection, encrypt_secret("header.payload.signature"))
    client.post(reverse("logout"))
    assert client.get(reverse("org_home", kwargs={"org_slug": "acme"})).status_code == 302
