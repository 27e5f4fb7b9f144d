"""Worker memory at start in about 15 seconds, without the whole of make bench: `python bench/startup_rss.py`.

The bench's own site (its environment, SQLite + database cache, migrated) under gunicorn with 2 sync workers, as
bench/run.py starts it: each worker's RSS once both have served sign-in pages, then after a few SCIM requests (which
import scim2-models and pydantic, directory/scim/urls.py), and whether those libraries are mapped into each worker.
"""

import os
import sys
import tempfile
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# bench/ itself must not be on the path: bench/onelogin.py would hide the onelogin package (python3-saml).
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]

import requests  # noqa: E402

from bench import site  # noqa: E402
from bench.cpu import Workers  # noqa: E402

PAGES = 20  # GET /sso/login, spread over both workers
SCIM_REQUESTS = 6  # unauthenticated (401): enough for both workers to load the SCIM views


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kloudsso-rss-") as folder:
        tmp = Path(folder)
        port = site.free_port()
        database_url, cache_url, _ = site.storage(tmp)
        os.environ.update(site.site_env(tmp, port, database_url=database_url, cache_url=cache_url))
        import django

        django.setup()
        from django.db import connections

        from bench import data

        data.migrate(cache_url)
        connections.close_all()
        gunicorn = site.Gunicorn("kloudsso.wsgi:application", port, dict(os.environ), tmp / "gunicorn.log").start()
        try:
            workers = Workers(gunicorn.process.pid)
            for _ in range(PAGES):
                requests.get(f"{gunicorn.base}/sso/login", timeout=10)
            _report(f"after {PAGES} sign-in pages", workers)
            for _ in range(SCIM_REQUESTS):
                requests.get(f"{gunicorn.base}/scim/v2/{uuid.uuid4()}/Users", timeout=10)
            _report(f"after {SCIM_REQUESTS} SCIM requests", workers)
        finally:
            gunicorn.stop()


def _report(label: str, workers: Workers) -> None:
    for pid, rss in workers.rss().items():
        mapped = "pydantic_core" in Path(f"/proc/{pid}/maps").read_text()
        print(f"{label}: worker {pid} {rss:.1f} MB, pydantic {'loaded' if mapped else 'not loaded'}", flush=True)


if __name__ == "__main__":
    main()
