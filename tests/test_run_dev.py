"""`make run`'s last step (scripts/run_dev.py): the development site, a task worker and the scheduler together,
all stopped by one Ctrl-C."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests

from kloudsso.scheduler.jobs import scheduled_jobs
from tests.support.gunicorn_server import ROOT, free_port, manage
from tests.test_tasks_processes import ONE_PERIOD

# What tests/settings.py put in the environment, which would win over the development .env.
TEST_SETTINGS = {"DEBUG", "SECRET_KEY", "SECRETS_ENCRYPTION_KEYS", "SSO_ALLOW_INSECURE_IDP", "PUBLIC_BASE_URL"}


def processes_reading(env_file: Path) -> set[int]:
    """The live processes started with this ENV_FILE: everything the script started, and their children."""
    marker = f"ENV_FILE={env_file}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            alive = entry.name.isdigit() and (entry / "stat").read_text().split(") ")[1][0] != "Z"
            if alive and marker in (entry / "environ").read_bytes().split(b"\0"):
                found.add(int(entry.name))
        except (OSError, IndexError):
            continue  # ended meanwhile, or not ours to read
    return found


def finished_tasks(database: Path) -> int:
    try:
        with sqlite3.connect(database, timeout=10) as db:
            query = "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'SUCCESSFUL'"
            return db.execute(query).fetchone()[0]
    except sqlite3.OperationalError:  # not migrated yet
        return 0


def site_answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


def test_the_site_the_worker_and_the_scheduler_start_and_stop_together_even_on_a_double_ctrl_c(tmp_path):
    port, database, env_file = free_port(), tmp_path / "db.sqlite3", tmp_path / "dev.env"
    env_file.write_text(f"DEBUG=true\nDATABASE_URL=sqlite:///{database}\nPUBLIC_BASE_URL=http://127.0.0.1:{port}\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in TEST_SETTINGS and not k.startswith(("DJANGO", "DATABASE_", "CACHE_"))
    }
    env.update(ENV_FILE=str(env_file), **ONE_PERIOD)
    manage(env, "migrate", "--no-input")
    script = subprocess.Popen(
        [sys.executable, "scripts/run_dev.py", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the test's terminal: Ctrl-C goes to this group only
    )
    try:
        deadline = time.monotonic() + 40
        while not (site_answers(port) and finished_tasks(database) == len(scheduled_jobs())):
            assert time.monotonic() < deadline, "the site, the scheduler or the worker did not start"
            assert script.poll() is None, "scripts/run_dev.py exited"
            time.sleep(0.2)
        started = processes_reading(env_file)
        assert len(started) == 6  # the script, the scheduler, runserver and db_worker each with its reloader

        os.killpg(script.pid, signal.SIGINT)
        time.sleep(0.35)
        os.killpg(script.pid, signal.SIGINT)  # impatient: a second Ctrl-C while it stops the others
        assert script.wait(timeout=40) == 0
        deadline = time.monotonic() + 10
        while processes_reading(env_file) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_reading(env_file) == set()
    finally:
        for pid in processes_reading(env_file):  # only after a failure: leave nothing running
            os.kill(pid, signal.SIGKILL)
