"""PostgreSQL stopped and started under load (a private cluster, gunicorn as users run it): no request answers 500 or
hangs, what needs the database answers 503 at once while it is down, and everything answers 200 again as soon as it
is back, with the same workers (each replaces its dropped connection by itself)."""

import os
import subprocess
import threading
import time
from collections import Counter
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


def under_load(clients: list[Client], seconds: float, during=lambda: None) -> list[Answer]:
    """Every client asking in turn for `seconds`, after `during()` (run meanwhile) returned."""
    done = threading.Event()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        runs = [pool.submit(client.run, done) for client in clients]
        during()
        time.sleep(seconds)
        done.set()
        return [answer for run in runs for answer in run.result(timeout=30)]


def took(answer: Answer) -> float:
    return answer.came - answer.asked


def test_a_database_restart_under_load_is_fast_503s_then_200s_with_the_same_workers(site):
    server, cluster = site
    clients = [Client(server.url) for _ in range(CLIENTS)]
    # More clients than workers, so each worker has loaded the views, connected and read the migrations.
    assert {answer.status for answer in under_load(clients, 1)} == {200}
    moments = {}

    def restart():
        moments["down"] = time.monotonic()
        cluster.stop()
        moments["stopped"] = time.monotonic()
        time.sleep(1.5)
        moments["starting"] = time.monotonic()
        cluster.start()
        moments["back"] = time.monotonic()

    answers = under_load(clients, 1.5, during=restart)
    down, back = moments["down"], moments["back"]
    summary = Counter((answer.page, answer.status or answer.error) for answer in answers)
    print(f"{len(answers)} requests, the database down for {back - down:.1f} s: {dict(summary)}")
    print(f"slowest answer: {max(took(answer) for answer in answers):.2f} s")
    assert {answer.status for answer in answers} <= {200, 503}, summary  # never a 500, always an answer
    slow = [(a.page, a.status, round(a.asked - down, 2), round(took(a), 2)) for a in answers if took(a) >= FAST]
    assert not slow, f"(page, status, asked at, seconds taken) of the slow answers: {slow}"
    assert all(answer.status == 200 for answer in answers if answer.page == "/login/"), summary
    during = [a for a in answers if moments["stopped"] < a.asked and a.came < moments["starting"]]
    assert during and {answer.status for answer in during if answer.page != "/login/"} == {503}, summary
    after = [answer for answer in answers if answer.asked > back]
    assert after and all(answer.status == 200 for answer in after), [a for a in after if a.status != 200]
    assert server.log.read_text().count("Booting worker") == 2  # no worker was replaced, nothing restarted


def test_a_private_cluster_that_does_not_start_is_dropped(monkeypatch):
    def fails(cluster):
        raise subprocess.CalledProcessError(1, ["pg_ctlcluster", "start"])

    def clusters() -> set[str]:
        listed = subprocess.run(["pg_lsclusters", "-h"], check=True, capture_output=True, text=True).stdout
        return {line.split()[1] for line in listed.splitlines()}

    before = clusters()
    monkeypatch.setattr(pg_cluster.PrivateCluster, "start", fails)
    with pytest.raises(subprocess.CalledProcessError):
        pg_cluster.PrivateCluster()
    mine = f"{pg_cluster.PREFIX}{os.getpid()}-"
    assert not [name for name in clusters() - before if name.startswith(mine)]  # not left for the next run to find
