"""Every Prometheus metric KloudSSO keeps: names, labels and buckets in one place (README, "Metrics").

Each label value comes from a small fixed set (a protocol, a catalogue code, an IdP endpoint kind, a fetch error
code, a status class, a task function): never an email, an organization, a URL or anything a client sent, so the
number of series stays bounded however many tenants and people there are.

Under gunicorn, PROMETHEUS_MULTIPROC_DIR is set (kloudsso/gunicorn_conf.py) and each worker process writes its
values to a file there, which a scrape adds up (kloudsso/metrics_endpoint.py). Without it (the development server,
the tests, a management command) they live in the process. prometheus-client picks its mode when it is imported.
"""

from prometheus_client import Counter, Histogram

# From a cached page (10 ms) to an IdP that takes the whole SSO_HTTP_TIMEOUT_SECONDS (5 s by default) and more.
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

PROTOCOLS = frozenset({"oidc", "saml", "password", "sso"})  # sso: it ended before a connection was chosen
IDP_ENDPOINTS = frozenset({"discovery", "jwks", "token", "userinfo", "metadata", "other"})
CACHES = frozenset({"jwks", "saml_client"})

SIGNINS = Counter(
    "kloudsso_signins",
    "Sign-ins that ended, by protocol, outcome (success or failure) and the failure's catalogue code.",
    ["protocol", "outcome", "code"],
)
SIGNIN_SECONDS = Histogram(
    "kloudsso_signin_duration_seconds",
    "Duration of the request that ended a sign-in (the OIDC callback, the SAML finish step, the password POST).",
    ["protocol"],
    buckets=SECONDS_BUCKETS,
)
IDP_FETCH_SECONDS = Histogram(
    "kloudsso_idp_fetch_duration_seconds",
    "Requests to identity providers through the guarded HTTP client, by what was asked for.",
    ["endpoint"],
    buckets=SECONDS_BUCKETS,
)
IDP_FETCH_FAILURES = Counter(
    "kloudsso_idp_fetch_failures",
    "Requests to identity providers that failed (timeout, dns, tls, unreachable, ...) or answered HTTP 4xx/5xx.",
    ["endpoint", "reason"],
)
CACHE_LOOKUPS = Counter(
    "kloudsso_cache_lookups",
    "Lookups in the JWKS cache (shared) and the warm SAML clients (per process): hit, miss, or refetch (JWKS only: "
    "an unknown kid made the keys be fetched again).",
    ["cache", "result"],
)
TASKS_FINISHED = Counter(
    "kloudsso_tasks_finished",
    "Background tasks that finished in this machine's processes, by task function and status.",
    ["task", "status"],
)
HTTP_SECONDS = Histogram(
    "kloudsso_http_request_duration_seconds",
    "Requests answered by the application, by status class (2xx, 3xx, 4xx, 5xx).",
    ["status_class"],
    buckets=SECONDS_BUCKETS,
)


def signin_ended(*, protocol: str, code: str, seconds: float) -> None:
    """`code` is "" for a success, else the failure's code from a bounded set (checked by the caller)."""
    protocol = protocol if protocol in PROTOCOLS else "sso"
    SIGNINS.labels(protocol=protocol, outcome="failure" if code else "success", code=code).inc()
    SIGNIN_SECONDS.labels(protocol=protocol).observe(seconds)


def idp_fetched(*, endpoint: str, seconds: float, failure: str = "") -> None:
    endpoint = endpoint if endpoint in IDP_ENDPOINTS else "other"
    IDP_FETCH_SECONDS.labels(endpoint=endpoint).observe(seconds)
    if failure:
        IDP_FETCH_FAILURES.labels(endpoint=endpoint, reason=failure).inc()


def cache_lookup(cache: str, result: str) -> None:
    CACHE_LOOKUPS.labels(cache=cache, result=result).inc()


def http_answered(*, status: int, seconds: float) -> None:
    status_class = f"{status // 100}xx" if 100 <= status <= 599 else "other"
    HTTP_SECONDS.labels(status_class=status_class).observe(seconds)
