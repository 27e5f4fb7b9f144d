"""KloudSSO settings: every value comes from the environment (see README, "Settings").

This is the only module that reads the environment. Booleans are parsed strictly so that a typo such as
DEBUG=ture fails loudly instead of silently meaning False.
"""

import logging
import re
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

from domains.nameservers import parse_nameserver
from kloudsso.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
# Run from the source tree (`make run`, manage.py), the site's files live in it; installed (`pip install .`, the
# `kloudsso` command), the templates and static files are package data and the default .env, SQLite file and
# STATIC_ROOT are in the directory the command runs in.
SOURCE_TREE = (BASE_DIR / "manage.py").is_file()
WEB_ASSETS = BASE_DIR if SOURCE_TREE else Path(__file__).resolve().parent / "web_assets"
DATA_DIR = BASE_DIR if SOURCE_TREE else Path.cwd()

env = environ.Env()
_env_file = env.str("ENV_FILE", default=str(DATA_DIR / ".env"))
if _env_file and Path(_env_file).is_file():
    env.read_env(_env_file)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _strict_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (got {raw!r}).")


def _int_at_least(name: str, default: int, minimum: int) -> int:
    raw = env.str(name, default=str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number (got {raw!r}).") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum} (got {value}).")
    return value


def _positive_int(name: str, default: int) -> int:
    return _int_at_least(name, default, 1)


DEBUG = _strict_bool("DEBUG", default=False)

# A development default only: production must set its own.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
_public = urlsplit(PUBLIC_BASE_URL)
if _public.scheme not in {"http", "https"} or not _public.hostname or _public.path not in {"", "/"}:
    raise ImproperlyConfigured(
        f"PUBLIC_BASE_URL must be an origin such as https://sso.example.com (got {PUBLIC_BASE_URL!r})."
    )
PUBLIC_BASE_IS_HTTPS = _public.scheme == "https"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[_public.hostname, "127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = [f"{_public.scheme}://{_public.netloc}"]
# A form from before a sign-in or sign-out in another tab (its token rotated): a page with one button that works.
CSRF_FAILURE_VIEW = "kloudsso.error_views.csrf_failure"

# Mail (kloudsso/notify): EMAIL_URL in django-environ's form: smtp+tls://user:password@mail.example.com:587 for
# STARTTLS, smtp+ssl://...:465 for implicit TLS, consolemail:// to print messages instead of sending them. Unset,
# development prints them and production hands them to an SMTP server on localhost:25 (a local relay), which
# `check --deploy` points out (kloudsso.W003): a security alert that nobody receives must not pass unseen.
EMAIL_URL_IS_SET = bool(env.str("EMAIL_URL", default="").strip())
try:
    _email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
except (ImproperlyConfigured, KeyError, ValueError):
    raise ImproperlyConfigured(
        "EMAIL_URL must be a mail URL such as smtp+tls://user:password@mail.example.com:587 (schemes: smtp, "
        "smtp+tls, smtp+ssl, consolemail); its value is not shown as it may hold a password."
    ) from None
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10  # seconds: a relay that does not answer fails the task (retried next run) instead of holding it
del _email


def _mail_address(name: str, default: str) -> str:
    value = env.str(name, default=default).strip()
    try:
        validate_email(parseaddr(value)[1])
    except ValidationError:
        raise ImproperlyConfigured(
            f"{name} must be an address such as KloudSSO <no-reply@example.com> (got {value!r})."
        ) from None
    return value


# By default an address at the site's own host name; one that is no mail domain (an IP address, "testserver")
# gives no-reply@localhost, for development.
try:
    validate_email(f"no-reply@{_public.hostname}")
    _mail_domain = _public.hostname
except ValidationError:
    _mail_domain = "localhost"
DEFAULT_FROM_EMAIL = _mail_address("DEFAULT_FROM_EMAIL", default=f"KloudSSO <no-reply@{_mail_domain}>")
SERVER_EMAIL = _mail_address("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# Fernet keys (comma-separated). The first encrypts; all of them decrypt, so a key can be rotated.
SECRETS_ENCRYPTION_KEYS = env.list("SECRETS_ENCRYPTION_KEYS", default=[])
if not SECRETS_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRETS_ENCRYPTION_KEYS must be set when DEBUG is off. Generate one with: "
            'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )
    # Development only: a fixed key, so a DEBUG database survives restarts.
    SECRETS_ENCRYPTION_KEYS = ["ZGV2ZWxvcG1lbnQtb25seS1rZXktZG8tbm90LXVzZSE="]

# Off: IdP URLs must be https and must not reach private or loopback addresses.
SSO_ALLOW_INSECURE_IDP = _strict_bool("SSO_ALLOW_INSECURE_IDP", default=False)
SSO_HTTP_TIMEOUT_SECONDS = env.float("SSO_HTTP_TIMEOUT_SECONDS", default=5.0)
SSO_HTTP_MAX_BYTES = env.int("SSO_HTTP_MAX_BYTES", default=1_000_000)
# Where an allowed Entra tenant's public OpenID configuration is looked up (<base>/<tenant id>/v2.0/...): empty = the
# connection's own Entra host. Fetched through the guarded HTTP client like any IdP URL.
SSO_ENTRA_METADATA_BASE_URL = env.str("SSO_ENTRA_METADATA_BASE_URL", default="")

# Domain verification: the DNS servers to ask ("127.0.0.1:5353", comma-separated; empty = the system resolver).
DNS_NAMESERVERS = env.list("DNS_NAMESERVERS", default=[])
for _entry in DNS_NAMESERVERS:
    try:
        parse_nameserver(_entry)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"DNS_NAMESERVERS: {_exc}.") from None
DNS_TIMEOUT_SECONDS = env.float("DNS_TIMEOUT_SECONDS", default=5.0)
DOMAIN_REVERIFY_GRACE_DAYS = env.int("DOMAIN_REVERIFY_GRACE_DAYS", default=7)
# pysaml2 clients kept warm per worker process, one per SAML connection in use (signin/saml/clients), ~120 KiB each.
SAML_CLIENT_CACHE_SIZE = _positive_int("SAML_CLIENT_CACHE_SIZE", default=100)
SIGNIN_EVENT_RETENTION_DAYS = env.int("SIGNIN_EVENT_RETENTION_DAYS", default=90)
# An owner's "re-link everyone at their next sign-in" (after an IdP changed its NameID format) lasts this many days.
SSO_RELINK_WINDOW_DAYS = _positive_int("SSO_RELINK_WINDOW_DAYS", default=7)
# The decoded SAML response (or OIDC token error) of a failed sign-in, shown to owners: kept this many days only.
SAML_RESPONSE_RETENTION_DAYS = _positive_int("SAML_RESPONSE_RETENTION_DAYS", default=7)
# The audit log of owners', admins' and support's changes is kept for ever unless this many days are set (0: for ever).
AUDIT_LOG_RETENTION_DAYS = _int_at_least("AUDIT_LOG_RETENTION_DAYS", default=0, minimum=0)
# Directory sync (SCIM): requests per directory per minute (an IdP's full sync sends bursts; beyond this, 429 and
# the IdP retries), the largest request body, how long a rotated token keeps working, and the request log's age.
SCIM_RATE_LIMIT_PER_MINUTE = _positive_int("SCIM_RATE_LIMIT_PER_MINUTE", default=1200)
SCIM_MAX_BODY_BYTES = _positive_int("SCIM_MAX_BODY_BYTES", default=1_048_576)
SCIM_TOKEN_OVERLAP_HOURS = _positive_int("SCIM_TOKEN_OVERLAP_HOURS", default=72)
SCIM_REQUEST_RETENTION_DAYS = _positive_int("SCIM_REQUEST_RETENTION_DAYS", default=30)
# Behind a reverse proxy: the WSGI META key of the header it sets with the client's address.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")

# Password sign-in (site and admin): after this many wrong passwords for an account (or from an IP address), it
# waits FIRST_LOCK seconds, doubling with each further failure up to MAX_LOCK. Failures are forgotten WINDOW seconds
# after the first one (or after the end of the last lock); a successful sign-in forgets the account's. A browser
# that signed in is a known device of the account for KNOWN_DEVICE_DAYS: it is counted on its own.
PASSWORD_THROTTLE_ACCOUNT_FAILURES = _positive_int("PASSWORD_THROTTLE_ACCOUNT_FAILURES", default=5)
PASSWORD_THROTTLE_IP_FAILURES = _positive_int("PASSWORD_THROTTLE_IP_FAILURES", default=30)
PASSWORD_THROTTLE_WINDOW_SECONDS = _positive_int("PASSWORD_THROTTLE_WINDOW_SECONDS", default=900)
PASSWORD_THROTTLE_FIRST_LOCK_SECONDS = _positive_int("PASSWORD_THROTTLE_FIRST_LOCK_SECONDS", default=60)
PASSWORD_THROTTLE_MAX_LOCK_SECONDS = _positive_int("PASSWORD_THROTTLE_MAX_LOCK_SECONDS", default=900)
if PASSWORD_THROTTLE_MAX_LOCK_SECONDS < PASSWORD_THROTTLE_FIRST_LOCK_SECONDS:
    raise ImproperlyConfigured(
        "PASSWORD_THROTTLE_MAX_LOCK_SECONDS must be at least PASSWORD_THROTTLE_FIRST_LOCK_SECONDS "
        f"({PASSWORD_THROTTLE_MAX_LOCK_SECONDS} < {PASSWORD_THROTTLE_FIRST_LOCK_SECONDS})."
    )
PASSWORD_KNOWN_DEVICE_DAYS = _positive_int("PASSWORD_KNOWN_DEVICE_DAYS", default=180)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",  # only for its system checks, which catch settings in django-csp 3's format
    "kloudsso.apps.KloudSSOConfig",
    "kloudsso.accounts",
    "kloudsso.tenancy",
    "connections",
    "domains",
    "setup_links",
    "kloudsso.audit",
    "django_tasks",
    "django_tasks_db",
    "kloudsso.scheduler",
    "kloudsso.notify",
    "directory",
]

MIDDLEWARE = [
    "kloudsso.request_log.RequestLogMiddleware",  # request id, duration, request metric and (JSON) log line
    "kloudsso.health.HealthMiddleware",  # /healthz and /readyz, before host checks and the https redirect
    "kloudsso.metrics_endpoint.MetricsMiddleware",  # /metrics with METRICS_TOKEN, likewise
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files from STATIC_ROOT, compressed, with DEBUG off
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kloudsso.accounts.known_device.KnownDeviceMiddleware",  # writes the cookie a password sign-in prepared
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kloudsso.urls"
WSGI_APPLICATION = "kloudsso.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_ASSETS / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kloudsso.tenancy.context_processors.current_organization",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
# DATABASE_CONN_MAX_AGE: seconds a worker keeps its database connection open for its next requests (0: a new
# connection per request, Django's default). A new PostgreSQL connection costs a server process and the
# authentication handshake, on every request otherwise. With health checks, a kept connection the database has
# dropped meanwhile (a restart, a failover, an idle timeout) is replaced at the next request instead of failing it.
# Keep it below the idle timeout of the database, or of a pooler in front of it. On SQLite a connection is an open
# file: keeping it is harmless, and the IMMEDIATE mode below applies to each connection, kept or new.
# django-environ would also take ?conn_max_age= and ?conn_health_checks= from the URL: one place decides.
if {"CONN_MAX_AGE", "CONN_HEALTH_CHECKS"} & DATABASES["default"].keys():
    raise ImproperlyConfigured(
        "DATABASE_URL must not carry conn_max_age or conn_health_checks: set DATABASE_CONN_MAX_AGE instead."
    )
DATABASES["default"]["CONN_MAX_AGE"] = _int_at_least("DATABASE_CONN_MAX_AGE", default=60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Write transactions take the lock up front, so two concurrent ones wait instead of failing with "locked".
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    # Write-ahead log: readers do not wait for a writer, and a commit (every sign-in's replay record) appends to
    # the log without a sync of the whole database; NORMAL syncs at checkpoints, which a crash cannot corrupt.
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # libpq waits for ever on a database host that does not answer: a request must end on the 503 page instead of
    # holding its worker. ?connect_timeout= in DATABASE_URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    # A Redis that does not answer must cost a request a second, not hold its worker (redis-py waits for ever by
    # default). ?socket_timeout= and ?socket_connect_timeout= in CACHE_URL win.
    _redis_options = CACHES["default"].setdefault("OPTIONS", {})
    # django-redis's ignore_exceptions answers None for each call that failed: the password throttle and the rate
    # limits would count nothing (or fail with a 500) and SAML answers would vanish, where they must end on the 503
    # page. Refused whatever its value, as "false" is a true string to django-redis.
    if "IGNORE_EXCEPTIONS" in _redis_options:
        raise ImproperlyConfigured("CACHE_URL must not carry ignore_exceptions: a cache outage must not pass unseen.")
    _redis_options.setdefault("SOCKET_CONNECT_TIMEOUT", 1)
    _redis_options.setdefault("SOCKET_TIMEOUT", 1)

# Background work runs on Django's Tasks framework (the django-tasks backport) with its database backend: the queue
# is a table in DATABASE_URL, so SQLite and PostgreSQL alike need nothing more, and `manage.py db_worker` runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# The periodic jobs (kloudsso/scheduler/jobs.py): each is enqueued once per period of this many hours, periods
# counted from midnight UTC, by whichever server's `manage.py run_scheduler` comes first.
SCHEDULE_DOMAIN_RECHECK_HOURS = _positive_int("SCHEDULE_DOMAIN_RECHECK_HOURS", default=24)
SCHEDULE_PRUNE_HOURS = _positive_int("SCHEDULE_PRUNE_HOURS", default=24)
# SAML connections added by metadata URL are fetched again this often (connections/saml/refresh.py).
SAML_METADATA_REFRESH_HOURS = _positive_int("SAML_METADATA_REFRESH_HOURS", default=12)
# A signing certificate gone from the fetched metadata is kept this many days (0: removed at the next refresh),
# for an IdP that still signs with it meanwhile; never the last unexpired one.
SAML_METADATA_CERT_GRACE_DAYS = _int_at_least("SAML_METADATA_CERT_GRACE_DAYS", default=7, minimum=0)
# Finished task results (successful or failed) and the scheduler's record of each period are kept this long.
TASK_RESULT_RETENTION_DAYS = _positive_int("TASK_RESULT_RETENTION_DAYS", default=14)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "signin.oidc.backend.ConnectionOIDCBackend",
    "signin.saml.backend.ConnectionSAMLBackend",
]
SAML_USE_NAME_ID_AS_USERNAME = True  # djangosaml2: the lookup value it hands our backend; never used to find a user
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [WEB_ASSETS / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(DATA_DIR / "staticfiles"))
# collectstatic writes hashed names (cached for a year by browsers) and gzip copies; whitenoise serves them.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Uploaded metadata is read in memory and refused above 1 MB by the form; keep the request cap above it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024

SESSION_ENGINE = "kloudsso.sessions"  # the database backend, with fewer statements per sign-in
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PUBLIC_BASE_IS_HTTPS
CSRF_COOKIE_SECURE = PUBLIC_BASE_IS_HTTPS
SECURE_SSL_REDIRECT = _strict_bool("SECURE_SSL_REDIRECT", default=PUBLIC_BASE_IS_HTTPS and not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if PUBLIC_BASE_IS_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _strict_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = False
# Accepted consciously (README, "Deployment checks"): HSTS for subdomains and preloading bind the whole parent
# domain, which a self-hosted sso.company.com must not decide for the company.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
# No Referer to IdPs or linked docs: our URLs name organizations, connections and sign-in event references.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # for browsers without CSP's frame-ancestors

# Pages load only our own static files: no inline script or style, no style="" attributes.
# form-action: pages whose forms start a sign-in drop it (kloudsso/csp_exceptions.py), because Chromium also
# applies it to the redirect to the IdP after the form is posted.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],  # no data: images: neither our pages nor the admin use any
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
if _strict_bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

DEFAULT_EXCEPTION_REPORTER_FILTER = "kloudsso.error_reports.SecretSafeExceptionReporterFilter"

LOG_FORMAT = env.str("LOG_FORMAT", default="text").strip().lower()
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json (got {LOG_FORMAT!r}).")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
if LOG_FORMAT == "json":
    logging.captureWarnings(True)  # Python's warnings are log lines too, not bare text amid the JSON

# /metrics answers only with `Authorization: Bearer <METRICS_TOKEN>`, and is not served at all without it.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if METRICS_TOKEN and not re.fullmatch(r"[\x21-\x7e]{32,}", METRICS_TOKEN):
    raise ImproperlyConfigured(
        "METRICS_TOKEN must be at least 32 ASCII characters without spaces; generate one with: openssl rand -hex 32"
    )
# Where each gunicorn worker writes its metrics for a scrape to add up; kloudsso/gunicorn_conf.py makes a private
# one when it is unset. prometheus-client reads it from the environment itself, as it is imported.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured(
        f"PROMETHEUS_MULTIPROC_DIR must be an existing directory (got {PROMETHEUS_MULTIPROC_DIR!r})."
    )
