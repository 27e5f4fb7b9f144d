"""A second app server, in its own process, sharing the test database and cache: a load balancer's other node."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class SecondServer:
    def __init__(self, *, public_base_url: str):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url(),
            "PUBLIC_BASE_URL": public_base_url,
        }
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload", "--skip-checks"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = f"http://localhost:{self.port}"  # the live server's host name: the browser's cookies follow
        self._wait()

    def _wait(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the second server exited: {self.process.stderr.read()}")
            try:
                requests.get(f"{self.url}/login/", timeout=5)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
            except requests.Timeout:
                continue  # listening, but its first request (imports, the database) is slow on a busy machine
        raise RuntimeError("the second server did not start within 20 s")

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)
