"""A private PostgreSQL 15 cluster on 127.0.0.1 (Debian's pg_createcluster), for tests that stop and start it.

The machine's own cluster on 5432 serves every other test run and is never touched. Each cluster is named after
the test process (and a random tail, so one process may hold several), so runs side by side never share one; a
cluster left by a run that was killed is dropped by the next. Connections on 127.0.0.1 are trusted (it listens
nowhere else).
"""

import os
import secrets
import shutil
import subprocess

import psycopg

from tests.support.gunicorn_server import free_port

VERSION = "15"
PREFIX = "kloudsso-failtest-"


def available() -> str | None:
    if os.geteuid() != 0:
        return "a private PostgreSQL cluster needs root (pg_createcluster)"
    if not shutil.which("pg_createcluster") or not os.path.isdir(f"/usr/lib/postgresql/{VERSION}/bin"):
        return f"PostgreSQL {VERSION} with Debian's pg_createcluster is not installed"
    return None


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


def _drop_abandoned() -> None:
    listed = subprocess.run(["pg_lsclusters", "-h"], check=True, capture_output=True, text=True).stdout
    for line in listed.splitlines():
        version, name = line.split()[:2]
        pid = name.removeprefix(PREFIX).split("-")[0]
        if version == VERSION and name.startswith(PREFIX) and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            _run("pg_dropcluster", "--stop", VERSION, name)


class PrivateCluster:
    def __init__(self):
        _drop_abandoned()
        self.name = f"{PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
        self.port = free_port()
        _run("pg_createcluster", VERSION, self.name, "-p", str(self.port), "--", "--auth=trust")
        try:
            self.start()
        except BaseException:  # the caller gets no cluster to drop: a port taken meanwhile, a log it cannot write
            self.drop()
            raise

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, database: str) -> None:
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')

    def start(self) -> None:
        """Returns once the server accepts connections."""
        _run("pg_ctlcluster", VERSION, self.name, "start")

    def stop(self) -> None:
        """Fast shutdown: open sessions are ended, as in a restart or a failover."""
        _run("pg_ctlcluster", VERSION, self.name, "stop", "--mode", "fast")

    def drop(self) -> None:
        _run("pg_dropcluster", "--stop", VERSION, self.name)
