"""The site under test: its environment, database, and gunicorn (2 sync workers), started and always stopped.

SQLite by default, in a temporary folder, with Django's database cache in the same file: two workers need a shared
cache, and a file cache lists its whole folder on every write (it would measure the folder, not the site).
BENCH_DATABASE_URL / BENCH_CACHE_URL switch to PostgreSQL + Redis; that database is dropped and created anew, that
Redis database flushed.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

REPO = Path(__file__).resolve().parent.parent
CACHE_TABLE = "kloudsso_bench_cache"
# Each simulated browser sends its own address here (site setting CLIENT_IP_HEADER), as a proxy would: thousands of
# sign-ins from 127.0.0.1 would pass the per-IP cap on AuthnRequest notes (signin/saml/issued) and skip that work.
CLIENT_IP_HEADER = "X-Bench-Client-IP"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_env(tmp: Path, port: int, *, database_url: str, cache_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        "ENV_FILE": "",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "SECRETS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "SSO_ALLOW_INSECURE_IDP": "true",  # the IdP stand-in is http://127.0.0.1
        "CLIENT_IP_HEADER": "HTTP_" + CLIENT_IP_HEADER.upper().replace("-", "_"),
        "STATIC_ROOT": str(tmp / "static"),
        "DJANGO_SETTINGS_MODULE": "kloudsso.settings",
    }


def storage(tmp: Path) -> tuple[str, str, str]:
    """(database URL, cache URL, label) for this run; a PostgreSQL database and a Redis database start empty."""
    database_url = os.environ.get("BENCH_DATABASE_URL", "")
    cache_url = os.environ.get("BENCH_CACHE_URL", "")
    if not database_url:
        database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    elif database_url.startswith(("postgres://", "postgresql://")):
        _recreate_postgres(database_url)
    if not cache_url:
        cache_url = f"dbcache://{CACHE_TABLE}?max_entries=10000000"
    elif cache_url.startswith("redis://"):
        import redis

        redis.Redis.from_url(cache_url).flushdb()
    db = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    cache = (
        "Redis" if cache_url.startswith("redis") else "database cache" if cache_url.startswith("dbcache") else cache_url
    )
    return database_url, cache_url, f"{db} + {cache}"


def _recreate_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"BENCH_DATABASE_URL must name a database of its own to drop and create (got {name!r})")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Gunicorn:
    """`python -m gunicorn APP --workers 2` on a port, in its own process group; stop() ends it and its workers."""

    def __init__(self, app: str, port: int, env: dict[str, str], log: Path, *, cwd: Path = REPO, pythonpath=None):
        self.app, self.port, self.env, self.log, self.cwd = app, port, env, log, cwd
        self.pythonpath = pythonpath
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, workers: int = 2) -> "Gunicorn":
        from bench.cpu import children

        env = {**os.environ, **self.env}
        if self.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join([str(p) for p in self.pythonpath])
        command = [sys.executable, "-m", "gunicorn", self.app, "--workers", str(workers), "--worker-class", "sync"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "--timeout", "120"]
        self.process = subprocess.Popen(
            command,
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_until_ready(workers, children)
        except BaseException:
            self.stop()  # it runs in a session of its own: nothing else would stop it
            raise
        return self

    def _wait_until_ready(self, workers: int, children) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                requests.get(self.base + "/", timeout=2, allow_redirects=False)
                if len(children(self.process.pid)) == workers:
                    return
            except requests.RequestException:  # not listening yet, or its first request still slow
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group this bench started, workers included
            process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class OIDCServer:
    """The OIDC IdP stand-in (bench/idp.py) in its own process."""

    def __init__(self, key_file: Path, log: Path):
        self.key_file, self.log = key_file, log
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "OIDCServer":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.idp", "0", str(self.key_file)],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log.open("ab"),
            text=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"the OIDC IdP stand-in did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def stats(self) -> dict[str, int]:
        return requests.get(self.issuer + "/_stats", timeout=5).json()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
