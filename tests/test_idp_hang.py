"""An IdP that hangs holds a worker for SSO_HTTP_TIMEOUT_SECONDS and no longer: gunicorn with a single worker, an OIDC
token endpoint that accepts the connection and never answers. The callback ends on its failure page within the time
limit, and a request that arrived meanwhile is answered right after it."""

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connections.events import SignInEvent
from domains.models import Domain
from kloudsso.tenancy.models import Organization, Plan
from tests.support.factories import oidc_connection
from tests.support.gunicorn_server import GunicornServer, free_port, manage, production_env
from tests.support.second_server import database_url
from tests.support.sso_browser import start_sso

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 2  # SSO_HTTP_TIMEOUT_SECONDS of the app server
SLACK = 1.5  # the rest of the callback, on a busy machine


class HangingPort:
    """A TCP port on 127.0.0.1 that accepts every connection and never sends a byte."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.accepted.append(self.listener.accept()[0])
            except OSError:  # closed
                return

    def wait_for_a_connection(self, timeout: float = 10) -> None:
        """Returns once someone connected: a fixed sleep would race a busy machine's thread start."""
        deadline = time.monotonic() + timeout
        while not self.accepted and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.accepted, "nobody connected"

    def close(self):
        self.listener.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def hanging():
    port = HangingPort()
    yield port
    port.close()


@pytest.fixture
def one_worker(django_db_setup, tmp_path):
    port = free_port()
    env = production_env(
        database_url=database_url(),
        public_base_url=f"http://127.0.0.1:{port}",
        static_root=tmp_path / "static",
        SSO_ALLOW_INSECURE_IDP="true",
        SSO_HTTP_TIMEOUT_SECONDS=str(TIMEOUT),
    )
    manage(env, "collectstatic", "--no-input")
    server = GunicornServer(env, tmp_path / "gunicorn.log", port=port, workers=1)
    yield server.start()
    server.kill()


def timed_get(url: str, **kwargs) -> tuple[requests.Response, float]:
    """The response, and when it came (time.monotonic())."""
    response = requests.get(url, timeout=30, **kwargs)
    return response, time.monotonic()


def test_a_token_endpoint_that_never_answers_frees_the_worker_after_the_time_limit(one_worker, hanging):
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID, provisioning_mode="jit")
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    oidc_connection(org, issuer=f"http://127.0.0.1:{hanging.port}/tenant/v2.0")
    browser = requests.Session()
    to_idp = start_sso(browser, one_worker.url, "ada@acme.test")
    state = parse_qs(urlsplit(to_idp.headers["Location"]).query)["state"][0]

    callback_url = f"{one_worker.url}/sso/oidc?code=c&state={state}"
    with ThreadPoolExecutor(max_workers=1) as pool:
        asked = time.monotonic()
        callback = pool.submit(timed_get, callback_url, cookies=browser.cookies)
        hanging.wait_for_a_connection()  # the callback now holds the only worker, waiting on the token endpoint
        page, page_came = timed_get(f"{one_worker.url}/login/")
        landed, came = callback.result(timeout=30)

    print(f"the callback ended after {came - asked:.2f} s, the page queued behind it after {page_came - asked:.2f} s")
    assert landed.status_code == 400 and "<code>token_endpoint_unreachable</code>" in landed.text
    assert TIMEOUT <= came - asked < TIMEOUT + SLACK
    assert page.status_code == 200
    assert asked + TIMEOUT <= page_came  # the only worker was busy with the callback until then
    assert page_came < came + SLACK  # and answered it as soon as it was free, not at gunicorn's 30 s timeout
    event = SignInEvent.objects.get(code="token_endpoint_unreachable")
    assert f"did not answer within {TIMEOUT} seconds" in event.detail
