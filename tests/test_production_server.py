"""The production server as users run it: collectstatic, then gunicorn with kloudsso/gunicorn_conf.py, DEBUG off.

Its own database file and settings, in its own processes: nothing of the test run's settings reaches it.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE_", "CACHE_"))},
        "ENV_FILE": "",
        "DEBUG": "false",
        "SECRET_KEY": "production-like-secret-key-with-enough-entropy-" + "x" * 30,
        "SECRETS_ENCRYPTION_KEYS": "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "STATIC_ROOT": str(folder / "static"),
        "KLOUDSSO_BIND": f"127.0.0.1:{port}",
        "KLOUDSSO_WORKERS": "2",
    }
    for command in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    log = folder / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:kloudsso.gunicorn_conf", "kloudsso.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, server, log)
        yield base, server, log
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)


def _wait(base, server, log):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()}")
        try:
            requests.get(base + "/healthz", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer within 30 s: {log.read_text()}")


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


def test_sigterm_lets_the_workers_finish_and_the_server_exits_cleanly(production):
    base, server, log = production
    assert requests.get(base + "/readyz", timeout=10).status_code == 200
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0, log.read_text()
