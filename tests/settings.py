"""Test settings: fixed test values, then the one real settings module.

The environment still wins, so `DATABASE_URL=postgres://... pytest` runs the same suite on PostgreSQL.
"""

import os

os.environ["ENV_FILE"] = ""  # never read a developer's .env into the tests
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("SECRETS_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=")
os.environ.setdefault("SSO_ALLOW_INSECURE_IDP", "true")
os.environ.setdefault("PUBLIC_BASE_URL", "http://testserver")
# Servers and workers the tests start in their own processes send no mail unless a test points them at its SMTP
# server (pytest-django's own outbox covers this process; the smtp fixture a real server).
os.environ.setdefault("EMAIL_URL", "dummymail://")

from kloudsso.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
# No collectstatic before the tests: files come from static/ as they are. The production storage (hashed names,
# compressed copies) is proven by tests/test_production_server.py, which runs collectstatic and gunicorn.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None  # nothing collected: whitenoise then has no folder to read (and no warning that it is missing)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrent tests (the domain verification race) then wait on SQLite's lock
    # the way a real deployment does, instead of failing at once with "database table is locked".
    import tempfile

    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"kloudsso-test-{os.getpid()}.sqlite3")}  # noqa: F405
