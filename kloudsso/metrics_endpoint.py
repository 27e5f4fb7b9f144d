"""GET /metrics for Prometheus, with `Authorization: Bearer <METRICS_TOKEN>`; not served at all without the setting.

Answered by an early middleware, like /healthz: Prometheus scrapes each app server by its address (not a name in
ALLOWED_HOSTS), over plain http inside the network, and it has no session or CSRF token. That is safe because
nothing is answered without the token (compared in constant time), and what is answered holds counts only, no
tenant data. Without METRICS_TOKEN the request goes on like any other and gets the site's 404. A wrong or missing
token is a 401 with WWW-Authenticate, so a misconfigured scrape says so on Prometheus's Targets page.

Under gunicorn the values are the sum over this machine's worker processes (PROMETHEUS_MULTIPROC_DIR); the task
queue depth is read from the database at scrape time, one COUNT.
"""

import hmac

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder

from kloudsso.task_metrics import TaskQueueCollector

PATH = "/metrics"


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != PATH or not settings.METRICS_TOKEN:
            return self.get_response(request)
        if not _authorized(request, settings.METRICS_TOKEN):
            response = HttpResponse("A bearer token is needed.\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        response = HttpResponse(encoder(scrape_registry()), content_type=content_type)
        response["Cache-Control"] = "no-store"
        return response


def _authorized(request, token: str) -> bool:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    # Bytes, so any header value compares (compare_digest refuses non-ASCII str) and in constant time.
    same = hmac.compare_digest(presented.strip().encode(), token.encode())
    return scheme.lower() == "bearer" and same


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if settings.PROMETHEUS_MULTIPROC_DIR:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)  # this process's metrics, and its process and platform collectors
    registry.register(TaskQueueCollector())
    return registry
