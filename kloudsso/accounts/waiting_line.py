"""The waiting line: a second allowance of an account for networks that have not guessed wrong.

Someone who keeps an account's shared count locked (one wrong password each time its lock ends, a few an hour)
would otherwise keep the owner out of every browser that is not yet a known device. A network that has made no
failed attempt for the account and is refused by that lock joins the line; once it has waited
PASSWORD_THROTTLE_FIRST_LOCK_SECONDS it may try in the line's own count (same policy, per account), which the
guesser's networks cannot use: their failures keep them out of it. Arriving together does not help either: a
network is refused once before it may use the line.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache


def may_join(route) -> bool:
    """False once the network has failed for the account (until the failure is forgotten)."""
    return cache.get(route.key("failed-from", route.network)) is None


def join(route) -> None:
    """The network was refused by the account's lock: its wait starts now, unless it already waits."""
    cache.add(route.key("waiting-since", route.network), time.time(), timeout=_memory_seconds())


def wait_left(route) -> int:
    """Seconds before the network may use the line (the whole wait when it has not joined)."""
    wait = settings.PASSWORD_THROTTLE_FIRST_LOCK_SECONDS
    since = cache.get(route.key("waiting-since", route.network))
    return wait if since is None else max(0, math.ceil(since + wait - time.time()))


def mark_failed(route) -> None:
    cache.set(route.key("failed-from", route.network), 1, timeout=_memory_seconds())


def _memory_seconds() -> int:
    # As long as a failure can still count towards a lock: a window, and the longest lock it can start.
    return settings.PASSWORD_THROTTLE_WINDOW_SECONDS + settings.PASSWORD_THROTTLE_MAX_LOCK_SECONDS
