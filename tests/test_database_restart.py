"""PostgreSQL stopped and started under load (a private cluster, gunicorn as users run it): no request answers 500 or
hangs, what needs the database answers 503 at once while it is down, and everything answers 200 again as soon as it
is back, with the same workers (each replaces its dropped connection by itself)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests

from tests.support import pg_cluster
from tests.support.gunicorn_server import GunicornServer, free_port, manage, production_env
from tests.support.sso_browser import CSRF

pytestmark = pytest.mark.skipif(bool(pg_cluster.available()), reason=pg_cluster.available() or "")
CLIENTS = 3
FAST = 2.0  # seconds: a request that fails, fails this fast


@dataclass(frozen=True)
class Answer:
    page: str
    asked: float
    came: float
    status: int | None  # None: no HTTP answer at all
    error: str = ""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("database-restart")
    cluster = pg_cluster.PrivateCluster()
    try:
        cluster.create_database("kloudsso")
        port = free_port()
        env = production_env(
            database_url=cluster.url("kloudsso"), public_base_url=f"http://127.0.0.1:{port}", static_root=folder / "s"
        )
        manage(env, "migrate", "--no-input")
        manage(env, "collectstatic", "--no-input")
        server = GunicornServer(env, folder / "gunicorn.log", port=port)
        try:
            yield server.start(), cluster
        finally:
            server.kill()
    finally:
        cluster.drop()


class Client:
    """One browser: the login page (no database), /readyz and home-realm discovery (the database), in turn."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()
        self.token = CSRF.search(self.session.get(f"{base}/sso/login", timeout=10).text).group(1)

    def ask(self, page: str) -> Answer:
        asked = time.monotonic()
        try:
            if page == "/sso/login":
                form = {"csrfmiddlewaretoken": self.token, "email": "ada@nowhere.test"}
                response = self.session.post(self.base + page, data=form, timeout=10)
            else:
                response = self.session.get(self.base + page, timeout=10)
        except requests.RequestException as exc:
            return Answer(page, asked, time.monotonic(), None, type(exc).__name__)
        return Answer(page, asked, time.monotonic(), response.status_code)

    def run(self, until: threading.Event) -> list[Answer]:
        answers = []
        while not until.is_set():
            for page in ("/login/", "/readyz", "/sso/login"):
                answers.append(self.ask(page))
            time.sleep(0.02)
        return answers


def test_a_database_restart_under_load_is_fast_503s_then_200s_with_the_same_workers(site):
    server, cluster = site
    clients = [Client(server.url) for _ in range(CLIENTS)]
    done = threading.Event()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        runs = [pool.submit(client.run, done) for client in clients]
        time.sleep(0.5)
        down = time.monotonic()
        cluster.stop()
        stopped = time.monotonic()
        time.sleep(1.5)
        starting = time.monotonic()
        cluster.start()
        back = time.monotonic()
        time.sleep(1.5)
        done.set()
        answers = [answer for run in runs for answer in run.result(timeout=30)]

    summary = {}
    for answer in answers:
        summary.setdefault((answer.page, answer.status or answer.error), 0)
        summary[(answer.page, answer.status or answer.error)] += 1
    print(f"{len(answers)} requests, database down for {back - down:.1f} s:", summary)
    assert {answer.status for answer in answers} <= {200, 503}, summary  # never a 500, always an answer
    assert all(answer.came - answer.asked < FAST for answer in answers), max(a.came - a.asked for a in answers)
    assert all(answer.status == 200 for answer in answers if answer.page == "/login/"), summary
    during = [answer for answer in answers if stopped < answer.asked and answer.came < starting]
    assert during and {answer.status for answer in during if answer.page != "/login/"} == {503}, summary
    after = [answer for answer in answers if answer.asked > back]
    assert after and all(answer.status == 200 for answer in after), [a for a in after if a.status != 200]
    assert server.log.read_text().count("Booting worker") == 2  # no worker was replaced, nothing restarted
