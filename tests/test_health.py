"""/healthz and /readyz (kloudsso/health): cheap, anonymous, and 503 naming the failing part."""

import json

import pytest
from django.db import OperationalError
from django.db.migrations.executor import MigrationExecutor

from kloudsso import health
from tests.support.redis_server import LocalRedis, available


@pytest.fixture(autouse=True)
def not_yet_migrated(monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)


def body(response) -> dict:
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return json.loads(response.content)


def test_healthz_answers_without_touching_the_database_or_the_session(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and body(response) == {"status": "ok"}
    assert not response.cookies


def test_probes_by_address_over_plain_http_are_answered_not_redirected_or_refused(db, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["sso.example.com"]
    for path in ("/healthz", "/readyz"):
        assert client.get(path, HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400  # everything else still checks the host


def test_readyz_is_ok_when_database_cache_and_migrations_are(db, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert body(response) == {"status": "ok", "failing": {}}


def test_readyz_names_a_database_that_does_not_answer(db, client, monkeypatch):
    class Down:
        def cursor(self):
            raise OperationalError("connection to server at 10.1.2.3 port 5432 failed: password authentication failed")

    monkeypatch.setattr(health, "connections", {"default": Down()})
    response = client.get("/readyz")
    assert response.status_code == 503
    failing = body(response)["failing"]
    assert failing["database"] == "the database does not answer"
    assert "10.1.2.3" not in response.content.decode() and "password" not in response.content.decode()


def test_readyz_names_pending_migrations(db, client, monkeypatch):
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("m1", False), ("m2", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert body(response)["failing"] == {"migrations": "2 migrations are not applied (run: migrate)"}


def test_applied_migrations_are_not_read_again(db, client, monkeypatch):
    assert client.get("/readyz").status_code == 200
    monkeypatch.setattr(MigrationExecutor, "__init__", lambda *a, **k: pytest.fail("the migrations were read again"))
    assert client.get("/readyz").status_code == 200


@pytest.mark.skipif(bool(available()), reason="redis-server is not installed")
def test_readyz_names_a_redis_that_stopped_and_recovers_with_it(db, client, settings):
    redis = LocalRedis()
    try:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis.url}}
        assert client.get("/readyz").status_code == 200
        port = redis.port
        redis.close()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert body(response)["failing"] == {"cache": "the cache does not answer"}
        assert str(port) not in response.content.decode()
    finally:
        redis.close() if redis.process.poll() is None else None
