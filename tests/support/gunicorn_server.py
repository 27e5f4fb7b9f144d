"""KloudSSO under gunicorn with kloudsso/gunicorn_conf.py and DEBUG off, as users run it, in its own processes.

Only the environment given here reaches it: none of the test run's settings, database or cache.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET_KEY = "production-like-secret-key-with-enough-entropy-" + "x" * 30
ENCRYPTION_KEYS = "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU="


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(*, database_url: str, public_base_url: str, static_root: Path, **extra: str) -> dict:
    """The environment of a production server: the machine's, minus anything that configures Django or a store."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE_", "CACHE_"))}
    return {
        **inherited,
        "ENV_FILE": "",
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "SECRETS_ENCRYPTION_KEYS": ENCRYPTION_KEYS,
        "PUBLIC_BASE_URL": public_base_url,
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(static_root),
        **extra,
    }


def manage(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class GunicornServer:
    """One app server. `start()` waits until /healthz answers; `kill()` is SIGKILL to the whole process group."""

    GUNICORN = (sys.executable, "-m", "gunicorn", "-c", "python:kloudsso.gunicorn_conf", "kloudsso.wsgi")

    def __init__(
        self, env: dict, log: Path, *, port: int | None = None, workers: int = 2, command=GUNICORN, cwd: Path = ROOT
    ):
        self.command, self.cwd = list(command), cwd
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {**env, "KLOUDSSO_BIND": f"127.0.0.1:{self.port}", "KLOUDSSO_WORKERS": str(workers)}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "GunicornServer":
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() reaches the workers too
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()}")
            try:
                requests.get(self.url + "/healthz", timeout=2)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s: {self.log.read_text()}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 30) -> int | None:
        if not self.process or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.terminate()
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
