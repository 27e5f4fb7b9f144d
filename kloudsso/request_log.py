"""The first middleware: each request's id and start time, its request metric, and (LOG_FORMAT=json) its log line.

The request id is the proxy's X-Request-ID when it is a sane token (nginx's $request_id, a UUID), else a new one;
it is echoed in the response's X-Request-ID, which gunicorn's access log prints, and the sign-in outcome line
carries it too, so a person's reference, a proxy's log and ours can be matched.

In JSON mode this line replaces gunicorn's access log (kloudsso/gunicorn_conf.py turns that off): one line per
request. In text mode it is not written: gunicorn's access line (or runserver's) is the request line. It never
holds a query string (an OIDC callback's carries the code and state) nor the SAML finish step's stash key.
"""

import logging
import re
import time
import uuid

from kloudsso import metrics
from kloudsso.logging import mask_secrets

logger = logging.getLogger("kloudsso.request")

REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")
MAX_LOGGED_PATH = 300


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.kloudsso_started = time.monotonic()
        request.request_id = request_id_of(request.META.get("HTTP_X_REQUEST_ID", ""))
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        seconds = time.monotonic() - request.kloudsso_started
        metrics.http_answered(status=response.status_code, seconds=seconds)
        if logger.isEnabledFor(logging.INFO):
            _log(request, response.status_code, seconds)
        return response


def _log(request, status: int, seconds: float) -> None:
    path = loggable_path(request.path)
    fields = {
        "method": request.method[:20],
        "path": path,
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "request_id": request.request_id,
        "organization": organization_slug(request),
    }
    logger.info("%s %s %s", fields["method"], path, status, extra=fields)


def request_id_of(header: str) -> str:
    return header if REQUEST_ID.fullmatch(header) else uuid.uuid4().hex


def loggable_path(path: str) -> str:
    path = mask_secrets(path)  # the SAML finish step's stash key
    return path if len(path) <= MAX_LOGGED_PATH else path[:MAX_LOGGED_PATH] + "…"


def organization_slug(request, *, org=None, connection=None) -> str:
    """The organization the request acts in, from what is already loaded: a log line must cost no query."""
    org = org or getattr(request, "org", None)
    connection = connection or getattr(request, "kloudsso_connection", None)
    if org is None and connection is not None and type(connection).organization.is_cached(connection):
        org = connection.organization
    return org.slug if org is not None else ""
