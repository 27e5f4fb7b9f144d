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
The access log goes to standard output, one line per request (the path, never its query string), with the request
id the proxy sends (X-Request-ID, e.g. nginx's `proxy_set_header X-Request-ID $request_id;`), or "-".
"""

import multiprocessing
import os

bind = os.environ.get("KLOUDSSO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("KLOUDSSO_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
timeout = int(os.environ.get("KLOUDSSO_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("KLOUDSSO_GRACEFUL_TIMEOUT", "25"))
accesslog = "-"
# The path without its query string: an OIDC callback's query carries the authorization code and the state.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}i)s'
errorlog = "-"
