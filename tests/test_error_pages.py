"""No page or error shows a secret, a token or a stack trace."""

import json
import re

import pytest
from django.urls import reverse

from connections.events import SignInEvent
from domains.models import Domain
from tests.support.factories import CLIENT_SECRET, oidc_connection

# A token's header and payload; a bare "eyJ" turns up in random CSRF tokens now and then.
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+")


def test_the_server_error_page_has_no_stack_trace_and_no_secret(client, alice, acme, monkeypatch):
    from connections.oidc.models import OIDCSettings

    connection = oidc_connection(acme)
    client.raise_request_exception = False
    client.force_login(alice)

    def crash(*args, **kwargs):
        raise RuntimeError(f"boom {CLIENT_SECRET}")

    monkeypatch.setattr(OIDCSettings, "idp_label", property(crash))
    response = client.get(reverse("connections:list", kwargs={"org_slug": "acme"}))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "Traceback" not in page and "RuntimeError" not in page and CLIENT_SECRET not in page
    assert connection.oidc.client_secret_encrypted not in page


@pytest.fixture
def token_failure(client, acme, http_server):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    connection = oidc_connection(acme, issuer=http_server.url("/t/v2.0"))
    # An IdP that echoes what it got, secret included, in its error: it must not reach any page.
    http_server.serve(
        "/t/v2.0/oauth2/v2.0/token",
        json.dumps(
            {
                "error": "invalid_client",
                "error_description": f"bad secret {CLIENT_SECRET}",
                "id_token": "eyJhbGciOi.x.y",
            }
        ),
        status=401,
    )
    start = client.post(reverse("sso_start", kwargs={"public_id": connection.public_id}))
    state = start["Location"].split("state=", 1)[1].split("&", 1)[0]
    return client.get("/sso/oidc", {"code": "the-code", "state": state})


def test_the_failure_page_shows_no_secret_and_no_token(token_failure):
    page = token_failure.content.decode()
    assert token_failure.status_code == 400
    assert CLIENT_SECRET not in page and not JWT.search(page) and "the-code" not in page


def test_the_owners_event_page_shows_no_secret_and_no_token(token_failure, client, alice):
    client.force_login(alice)
    event = SignInEvent.objects.get()
    page = client.get(reverse("connections:event", kwargs={"org_slug": "acme", "public_id": event.public_id}))
    html = page.content.decode()
    assert "invalid_client" in html  # the IdP's error is quoted for the owner
    assert "bad secret ********" in html  # but the secret it echoed is masked
    assert CLIENT_SECRET not in html and not JWT.search(html) and "the-code" not in html
    assert "Traceback" not in html
