"""Pinned query counts that mean the same on SQLite and PostgreSQL.

With IMMEDIATE transactions Django sends SQLite an explicit BEGIN that PostgreSQL never sees as a query, so
transaction control statements are left out of the count.
"""

import contextlib

from django.db import connection
from django.test.utils import CaptureQueriesContext

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@contextlib.contextmanager
def assert_queries(expected: int):
    with CaptureQueriesContext(connection) as captured:
        yield
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(TRANSACTION_CONTROL)]
    assert len(statements) == expected, f"{len(statements)} queries, expected {expected}:\n" + "\n".join(
        s[:200] for s in statements
    )
