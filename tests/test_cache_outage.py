"""A shared cache that does not answer (a Redis that refuses connections, django-redis as production runs it): what
needs it answers the 503 page, never a 500; what can do without it goes on. And a database that does not answer is
the same 503 page. Under gunicorn, with Redis and PostgreSQL really stopped and started: test_redis_outage.py and
test_database_restart.py."""

import base64
import time

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.utils import CursorWrapper
from django.urls import reverse

from connections.events import SignInEvent
from kloudsso.accounts.models import User
from tests.support.gunicorn_server import free_port
from tests.support.oidc import CraftedIdP
from tests.test_oidc_callback import connect, jit, sign_in  # noqa: F401 (jit is a fixture)

UNAVAILABLE = "KloudSSO is temporarily unavailable"
# Well-formed enough for the ACS to stash: what it says does not matter when it cannot be stashed.
SAML_RESPONSE = base64.b64encode(b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>').decode()


@pytest.fixture
def cache_down(settings, client):
    """The default cache on a Redis port nobody listens on: a stopped Redis. Returns the port."""
    port = free_port()
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    client.raise_request_exception = False  # as a server runs: the error becomes a page
    return port


def assert_unavailable_page(response, port=None):
    page = response.content.decode()
    assert response.status_code == 503
    assert UNAVAILABLE in page and "start again" in page
    assert "Traceback" not in page and "Error" not in page and "Redis" not in page
    assert port is None or str(port) not in page


def test_the_saml_acs_that_cannot_stash_the_answer_is_the_503_page(db, client, cache_down):
    started = time.monotonic()
    response = client.post("/sso/saml", {"SAMLResponse": SAML_RESPONSE})
    assert_unavailable_page(response, cache_down)
    assert time.monotonic() - started < 2  # a refused connection is not waited on


def test_the_saml_finish_step_that_cannot_read_the_stash_is_the_503_page(db, client, cache_down):
    assert_unavailable_page(client.get(reverse("saml_finish", kwargs={"key": "k" * 43})), cache_down)


@pytest.mark.parametrize("page", ["login", "admin:login"])
def test_password_sign_in_is_the_503_page_rather_than_unthrottled(client, alice, cache_down, page):
    assert client.get(reverse(page)).status_code == 200  # the page itself needs no cache
    response = client.post(reverse(page), {"username": "alice@acme.test", "password": "correct-horse-battery"})
    assert_unavailable_page(response, cache_down)
    assert "_auth_user_id" not in client.session


def test_an_oidc_sign_in_completes_with_the_keys_fetched_from_the_idp(client, jit, http_server, cache_down):  # noqa: F811
    idp = CraftedIdP(http_server)
    connection = connect(jit, idp)  # saving it fetched the keys once
    fetched = len(idp.requests_to("keys"))
    for _ in range(2):
        client.logout()
        landed = sign_in(client, connection, idp, email="ada@acme.test")
        assert landed.status_code == 302 and landed["Location"] == "/orgs/acme/"
    assert User.objects.filter(email="ada@acme.test").exists()
    assert len(idp.requests_to("keys")) == fetched + 2  # a cache miss each time: fetched, kept nowhere
    assert SignInEvent.objects.filter(outcome="success").count() == 2


def test_a_failed_sign_in_shows_its_page_but_is_not_recorded(client, jit, http_server, cache_down):  # noqa: F811
    idp = CraftedIdP(http_server)
    landed = sign_in(client, connect(jit, idp), idp, email="eve@evil.test")
    page = landed.content.decode()
    assert landed.status_code == 400 and "<code>email_domain_not_verified</code>" in page
    assert "Reference:" not in page
    assert not SignInEvent.objects.exists()  # the cap on recorded failures could not be counted


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_database_that_does_not_answer_is_the_503_page(db, client, monkeypatch, error):
    client.raise_request_exception = False
    page = client.get(reverse("sso_login"))

    def down(*args, **kwargs):
        raise error("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    token = page.cookies["csrftoken"].value
    with monkeypatch.context() as outage:
        outage.setattr(CursorWrapper, "execute", down)
        response = client.post(reverse("sso_login"), {"email": "ada@acme.test", "csrfmiddlewaretoken": token})
    assert_unavailable_page(response, 5432)
