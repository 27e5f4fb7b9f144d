"""The production server as users run it: collectstatic, then gunicorn with kloudsso/gunicorn_conf.py, DEBUG off.

Its own database file and settings, in its own processes: nothing of the test run's settings reaches it.
"""

import re
import signal
import time

import pytest
import requests

from tests.support.gunicorn_server import GunicornServer, free_port, manage, production_env


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    port = free_port()
    env = production_env(
        database_url=f"sqlite:///{folder / 'db.sqlite3'}",
        public_base_url=f"http://127.0.0.1:{port}",
        static_root=folder / "static",
    )
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input")
    server = GunicornServer(env, folder / "gunicorn.log", port=port)
    try:
        server.start()
        yield server.url, server.process, server.log
    finally:
        server.kill()


def test_static_files_are_served_hashed_compressed_and_cached_for_long(production):
    base, _, _ = production
    page = requests.get(base + "/login/", timeout=10)
    assert page.status_code == 200
    stylesheet = re.search(r'href="(/static/kloudsso/[^"]+\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the page names no hashed stylesheet"
    css = requests.get(base + stylesheet.group(1), headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert css.status_code == 200 and css.headers["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in css.headers["Cache-Control"] and "immutable" in css.headers["Cache-Control"]
    assert requests.get(base + "/static/kloudsso/no-such-file.css", timeout=10).status_code == 404


def test_each_request_is_logged_with_the_proxys_request_id(production):
    base, _, log = production
    requests.get(base + "/healthz", headers={"X-Request-ID": "req-7f3a"}, timeout=10)
    deadline = time.monotonic() + 5
    while "request_id=req-7f3a" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    line = next(line for line in log.read_text().splitlines() if "request_id=req-7f3a" in line)
    assert '"GET /healthz HTTP/1.1" 200' in line


def test_the_access_log_never_holds_a_query_string(production):
    base, _, log = production
    requests.get(base + "/sso/oidc?code=auth-code-4d2e9&state=st-81c0", headers={"X-Request-ID": "req-q1"}, timeout=10)
    deadline = time.monotonic() + 5
    # the refusal's own log line names the request too, and comes before the access log's
    while '"GET /sso/oidc HTTP/1.1"' not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    text = log.read_text()
    assert '"GET /sso/oidc HTTP/1.1"' in text
    assert "auth-code-4d2e9" not in text and "st-81c0" not in text


def test_sigterm_lets_the_workers_finish_and_the_server_exits_cleanly(production):
    base, server, log = production
    assert requests.get(base + "/readyz", timeout=10).status_code == 200
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0, log.read_text()
