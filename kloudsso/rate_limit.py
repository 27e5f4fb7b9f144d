"""Rate limits in the shared cache, so every app server counts the same clicks.

`allow` is a fixed window. `Backoff` locks a key out for a while after repeated failures, doubling the wait with
each further failure up to a cap: guessing slows to a crawl, yet nobody can lock the key out for longer than the cap.
Both rely only on the cache's add, incr (atomic on Redis and Memcached), decr, get, set and touch.
"""

import contextlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt under `key`; False once `limit` attempts were made in the current window."""
    return _count(f"rate:{key}", window_seconds) <= limit


@dataclass(frozen=True)
class Backoff:
    """Attempts are counted before they are made (`begin`), so requests that arrive together cannot all slip in
    while the first of them is still being checked: the count, not a look at the lock, decides who may try.

    Attempt n (counted under `key`) may go ahead when n is within the allowance of `failures`, or when the lock
    that the failure of attempt n-1 started has passed: after each lock, one more attempt, whose failure locks for
    twice as long. A turn that fails keeps its count; one that ends otherwise is undone or the key reset.
    """

    failures: int  # failures allowed before the first lock
    window_seconds: int  # failures are forgotten this long after the first one, or after the end of the last lock
    first_lock_seconds: int
    max_lock_seconds: int

    def begin(self, key: str) -> "Turn | None":
        """Count an attempt under `key`: its Turn, or None when it must wait (then nothing stays counted)."""
        if self.locked_for(key):
            return None
        count_key = f"backoff:{key}:attempts"
        number = _count(count_key, self.window_seconds)
        if number <= self.failures or self._lock_of(key) == number - 1:
            return Turn(self, key, number)
        _uncount(count_key)  # the earlier attempts are still being checked, or the lock began meanwhile
        return None

    def locked_for(self, key: str) -> int:
        """Seconds until `key` may try again; 0 when it may now."""
        lock = cache.get(f"backoff:{key}:lock")
        if lock and lock[1] > time.time():
            return math.ceil(lock[1] - time.time())
        attempts = cache.get(f"backoff:{key}:attempts") or 0
        if attempts < self.failures or (lock and lock[0] == attempts):
            return 0
        return self.first_lock_seconds  # attempts beyond the allowance are still being checked

    def reset(self, key: str) -> None:
        cache.delete_many([f"backoff:{key}:attempts", f"backoff:{key}:lock"])

    def lock_seconds(self, number: int) -> int:
        """The lock that the failure of attempt `number` starts (0 within the allowance)."""
        if number < self.failures:
            return 0
        return min(self.first_lock_seconds * 2 ** min(number - self.failures, 32), self.max_lock_seconds)

    def _lock_of(self, key: str) -> int | None:
        """The attempt whose failure started the key's last lock, once that lock has passed."""
        lock = cache.get(f"backoff:{key}:lock")
        return lock[0] if lock and lock[1] <= time.time() else None


@dataclass(frozen=True)
class Turn:
    """One counted attempt: report how it ended with `failed` or `undo` (or `Backoff.reset`)."""

    policy: Backoff
    key: str
    number: int

    def failed(self) -> int:
        """The attempt failed: it stays counted. The seconds of the lock it starts, or 0."""
        lock = self.policy.lock_seconds(self.number)
        if lock:
            keep = self.policy.window_seconds + lock
            cache.set(f"backoff:{self.key}:lock", (self.number, time.time() + lock), timeout=keep)
            # The count must outlive the lock, or each lock would end with a fresh allowance of failures.
            cache.touch(f"backoff:{self.key}:attempts", keep)
        return lock

    def undo(self) -> None:
        """The attempt did not fail (or was never made): it no longer counts."""
        _uncount(f"backoff:{self.key}:attempts")


def _count(cache_key: str, timeout: int) -> int:
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=timeout)
        return 1


def _uncount(cache_key: str) -> None:
    with contextlib.suppress(ValueError):  # expired, or reset meanwhile: nothing left to undo
        cache.decr(cache_key)
