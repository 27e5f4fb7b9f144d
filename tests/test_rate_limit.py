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


def fail(key: str) -> int:
    turn = POLICY.begin(key)
    assert turn is not None, f"{key} was refused a turn"
    return turn.failed()


def test_allow_counts_up_to_the_limit(shared_cache):
    assert [rate_limit.allow("k", limit=2, window_seconds=60) for _ in range(3)] == [True, True, False]


def test_a_key_is_locked_only_after_its_allowance_of_failures(shared_cache):
    assert [fail("alice") for _ in range(3)] == [0, 0, 60]
    assert 59 <= POLICY.locked_for("alice") <= 60
    assert POLICY.locked_for("bob") == 0


def test_no_turn_while_locked_and_none_is_counted(shared_cache, clock):
    for _ in range(3):
        fail("alice")
    assert [POLICY.begin("alice") for _ in range(5)] == [None] * 5
    clock.advance(61)
    assert fail("alice") == 120  # the refused attempts did not count: the next failure is only the fourth


def test_each_further_failure_doubles_the_lock_up_to_the_cap(shared_cache, clock):
    locks = []
    for _ in range(6):
        locks.append(fail("alice"))
        clock.advance(locks[-1] + 1)
    assert locks == [0, 0, 60, 120, 200, 200]


def test_attempts_beyond_the_allowance_wait_for_those_being_checked(shared_cache):
    turns = [POLICY.begin("alice") for _ in range(5)]  # none has ended: all are being checked at once
    assert [turn is not None for turn in turns] == [True, True, True, False, False]
    assert POLICY.locked_for("alice") == 60


def test_after_a_lock_one_attempt_goes_ahead_not_all_that_arrive(shared_cache, clock):
    for _ in range(3):
        fail("alice")
    clock.advance(61)
    assert [POLICY.begin("alice") is not None for _ in range(4)] == [True, False, False, False]


def test_an_undone_turn_gives_its_place_back(shared_cache, clock):
    for _ in range(2):
        fail("alice")
    POLICY.begin("alice").undo()
    assert fail("alice") == 60  # still the third failure
    clock.advance(61)
    POLICY.begin("alice").undo()  # the one attempt after the lock, which did not fail
    assert fail("alice") == 120  # may still be made, and is the fourth failure


def test_the_failure_count_outlives_the_lock(shared_cache):
    for _ in range(3):
        fail("alice")
    if shared_cache == "redis":
        ttl = cache._cache.get_client(write=False).ttl(cache.make_key("backoff:alice:attempts"))
        assert 900 + 60 - 2 <= ttl <= 900 + 60


def test_reset_forgets_failures_and_lock(shared_cache):
    for _ in range(3):
        fail("alice")
    POLICY.reset("alice")
    assert POLICY.locked_for("alice") == 0
    assert fail("alice") == 0
