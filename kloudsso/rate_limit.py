"""Rate limits in the shared cache, so every app server counts the same clicks.

`allow` is a fixed window. `Backoff` locks a key out for a while after repeated failures, doubling the wait with
each further failure up to a cap: guessing slows to a crawl, yet nobody can lock the key out for longer than the cap.
Both rely only on the cache's add, incr (atomic on Redis and Memcached) and touch.
"""

import math
import time
from dataclasses import dataclass

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt under `key`; False once `limit` attempts were made in the current window."""
    return _count(f"rate:{key}", window_seconds) <= limit


@dataclass(frozen=True)
class Backoff:
    failures: int  # failures allowed before the first lock
    window_seconds: int  # failures are forgotten this long after the last one, or after the end of its lock
    first_lock_seconds: int
    max_lock_seconds: int

    def locked_for(self, key: str) -> int:
        """Seconds until `key` may try again; 0 when it is not locked."""
        until = cache.get(f"backoff:{key}:until")
        return max(0, math.ceil(until - time.time())) if until else 0

    def fail(self, key: str) -> int:
        """Count one failure under `key`; the seconds of the lock it starts, or 0."""
        count_key = f"backoff:{key}:failures"
        count = _count(count_key, self.window_seconds)
        if count < self.failures:
            return 0
        doublings = min(count - self.failures, 32)
        lock = min(self.first_lock_seconds * 2**doublings, self.max_lock_seconds)
        cache.set(f"backoff:{key}:until", time.time() + lock, timeout=lock)
        # The count must outlive the lock, or each lock would end with a fresh allowance of failures.
        cache.touch(count_key, self.window_seconds + lock)
        return lock

    def reset(self, key: str) -> None:
        cache.delete_many([f"backoff:{key}:failures", f"backoff:{key}:until"])


def _count(cache_key: str, timeout: int) -> int:
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=timeout)
        return 1
