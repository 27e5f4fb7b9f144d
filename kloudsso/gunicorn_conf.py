"""gunicorn's settings for KloudSSO: `gunicorn -c python:kloudsso.gunicorn_conf kloudsso.wsgi`.

The defaults suit one server behind a reverse proxy; each can be changed from the environment:
- KLOUDSSO_BIND (127.0.0.1:8000): where gunicorn listens; the proxy in front terminates TLS.
- KLOUDSSO_WORKERS (2 x CPU cores + 1): sync worker processes. A sign-in waits on its IdP (the token request) and on
  the database, so a core serves about two workers' requests.
- KLOUDSSO_TIMEOUT (30 s): a request still running then is ended and its worker replaced. It is below a proxy's
  usual 60 s, so the proxy never gives up on a request gunicorn still runs; an IdP is waited on for at most
  SSO_HTTP_TIMEOUT_SECONDS (5 s) anyway.
- KLOUDSSO_GRACEFUL_TIMEOUT (25 s): on SIGTERM (a deploy, a scale-in), workers finish the requests they hold for at
  most this long before they are stopped; keep it below the orchestrator's own kill delay (often 30 s).
The access log goes to standard output, one line per request (the path, never its query string), with its request
id: the one the proxy sends (X-Request-ID, e.g. nginx's `proxy_set_header X-Request-ID $request_id;`) when it is
sane, else one KloudSSO made (kloudsso/request_log.py), as the response's X-Request-ID says. With LOG_FORMAT=json
there is no access log: Django's JSON request line replaces it (one line per request), and gunicorn's own lines are
JSON too.

Metrics: each worker writes its values to PROMETHEUS_MULTIPROC_DIR, so a scrape, answered by any one worker, adds up
all of them. Unset, a private directory is made for this server and removed when it stops. Set it (an empty
directory of its own, on local disk or tmpfs) to let `manage.py db_worker` on this machine add its task counts.
Files of processes no longer running are removed at start.
"""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

import environ

from kloudsso.logging import JSON_FORMATTER

# The same .env as the settings (ENV_FILE names another, empty for none), read into the environment the workers
# inherit: LOG_FORMAT and PROMETHEUS_MULTIPROC_DIR decide things here, before Django starts.
_env_file = os.environ.get("ENV_FILE", str(Path(__file__).resolve().parent.parent / ".env"))
if _env_file and Path(_env_file).is_file():
    environ.Env.read_env(_env_file)

bind = os.environ.get("KLOUDSSO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("KLOUDSSO_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
timeout = int(os.environ.get("KLOUDSSO_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("KLOUDSSO_GRACEFUL_TIMEOUT", "25"))
errorlog = "-"
if os.environ.get("LOG_FORMAT", "text").strip().lower() == "json":
    accesslog = None
    # gunicorn lays this over its defaults one top-level key at a time (handlers, loggers, root each whole), and
    # with any logconfig_dict it turns its access logger on: it is silenced here instead.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"mask_secrets": {"()": "kloudsso.logging.MaskSecretsFilter"}},
        "formatters": {"json": JSON_FORMATTER},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["mask_secrets"],
                "stream": "ext://sys.stderr",
            },
            "none": {"class": "logging.NullHandler"},
        },
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "CRITICAL", "handlers": ["none"], "propagate": False},
        },
    }
else:
    accesslog = "-"
    # The path without its query string: an OIDC callback's query carries the authorization code and the state.
    access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'

_made_metrics_dir = ""
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Set before the workers are forked, so that they inherit it; prometheus-client reads it as it is imported.
    _made_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kloudsso-metrics-")


def on_starting(server):
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for path in metrics_dir.glob("*.db"):
        if not _running(path.stem.rpartition("_")[2]):
            path.unlink(missing_ok=True)  # a previous run's: its counts would never reset, its gauges never go


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(_made_metrics_dir, ignore_errors=True)


def _running(pid: str) -> bool:
    """Whether a process with this id runs: a db_worker started before this server keeps its counts."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
