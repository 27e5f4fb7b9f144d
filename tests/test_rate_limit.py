"""The shared-cache rate limits, on the test cache and on a real Redis (production's CACHE_URL)."""

import pytest
from django.core.cache import cache

from kloudsso import rate_limit
from kloudsso.rate_limit import Backoff
from tests.support.redis_server import redis_cache, redis_server  # noqa: F401 (fixtures)

POLICY = Backoff(failures=3, window_seconds=900, first_lock_seconds=60, max_lock_seconds=200)


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request, settings):
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    return request.param


def test_allow_counts_up_to_the_limit(shared_cache):
    assert [rate_limit.allow("k", limit=2, window_seconds=60) for _ in range(3)] == [True, True, False]


def test_a_key_is_locked_only_after_its_allowance_of_failures(shared_cache):
    assert [POLICY.fail("alice") for _ in range(3)] == [0, 0, 60]
    assert 59 <= POLICY.locked_for("alice") <= 60
    assert POLICY.locked_for("bob") == 0


def test_each_further_failure_doubles_the_lock_up_to_the_cap(shared_cache):
    assert [POLICY.fail("alice") for _ in range(6)] == [0, 0, 60, 120, 200, 200]


def test_the_failure_count_outlives_the_lock(shared_cache):
    for _ in range(3):
        POLICY.fail("alice")
    if shared_cache == "redis":
        ttl = cache._cache.get_client(write=False).ttl(cache.make_key("backoff:alice:failures"))
        assert 900 + 60 - 2 <= ttl <= 900 + 60


def test_reset_forgets_failures_and_lock(shared_cache):
    for _ in range(3):
        POLICY.fail("alice")
    POLICY.reset("alice")
    assert POLICY.locked_for("alice") == 0
    assert POLICY.fail("alice") == 0
