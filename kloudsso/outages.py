"""What a database or a shared cache that does not answer raises, and the few uses of the cache that do without it.

Whatever needs a store that does not answer ends on the 503 page (kloudsso.error_views), never a 500, and the next
request after the store is back simply works: Django reconnects to the database (health-checked kept connections)
and django-redis to Redis on their own. Each use of the cache listed in the README's "When Redis or PostgreSQL
stops" either fails that way or, where losing it costs nothing that matters, goes on `without_cache`.
"""

import contextlib
import logging

from django.db import InterfaceError, OperationalError
from redis.exceptions import RedisError

# Redis's own errors (django-redis re-raises them as they are), and a socket's for any other cache backend.
CACHE_DOWN = (RedisError, ConnectionError, TimeoutError)
# A database that refuses connections, is restarting or dropped ours; not a programming or an integrity error.
DATABASE_DOWN = (OperationalError, InterfaceError)

logger = logging.getLogger(__name__)


def is_outage(exc: BaseException | None) -> bool:
    """True when `exc`, or what it was raised from, says the database or the shared cache does not answer."""
    while exc is not None:
        if isinstance(exc, CACHE_DOWN + DATABASE_DOWN):
            return True
        exc = exc.__cause__
    return False


@contextlib.contextmanager
def without_cache(what: str):
    """Go on when the shared cache does not answer inside the block: `what` says how the caller goes on.

    Only for uses whose loss costs nothing that matters (the caller's docstring says what); the block ends at the
    first failing call, so it should hold just the cache calls.
    """
    try:
        yield
    except CACHE_DOWN as exc:
        logger.warning("The shared cache does not answer (%s): %s.", type(exc).__name__, what)
