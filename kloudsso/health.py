"""/healthz and /readyz, for load balancers and orchestrators.

Answered by the first middleware, before anything else runs: a probe usually names the server by its address, not a
name in ALLOWED_HOSTS, and over plain http behind a TLS proxy, so host validation and the https redirect must not
answer for it. Neither endpoint reads a session, sets a cookie, or says anything about organizations or settings.

- /healthz: the process answers. It touches nothing, so a database outage does not make every server look dead.
- /readyz: the database answers a query, the shared cache answers a write and a read, and every migration is
  applied; otherwise 503 and the failing parts, in words that name no host, user or secret.
"""

import json
import secrets

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from redis.exceptions import RedisError

PATHS = ("/healthz", "/readyz")
# What a cache that does not answer raises: Redis's own errors, a socket's, or the database cache's.
CACHE_ERRORS = (RedisError, OSError, DatabaseError)
_migrated = False  # once all are applied, a process does not ask again: a deploy migrates before it starts servers


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return _answer(200, {"status": "ok"})
        if request.path == "/readyz":
            failing = {name: reason for name, check in CHECKS.items() if (reason := check())}
            return _answer(503 if failing else 200, {"status": "unavailable" if failing else "ok", "failing": failing})
        return self.get_response(request)


def _answer(status: int, body: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def _database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "the database does not answer"
    return ""


def _cache() -> str:
    probe, value = f"readyz:{secrets.token_hex(8)}", secrets.token_hex(8)
    try:
        cache.set(probe, value, 10)
        answered = cache.get(probe)
        cache.delete(probe)
    except CACHE_ERRORS:
        return "the cache does not answer"
    return "" if answered == value else "the cache does not keep what is written to it"


def _migrations() -> str:
    global _migrated
    if _migrated:
        return ""
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return "the migrations could not be read from the database"
    if pending:
        return f"{len(pending)} migrations are not applied (run: migrate)"
    _migrated = True
    return ""


CHECKS = {"database": _database, "cache": _cache, "migrations": _migrations}
