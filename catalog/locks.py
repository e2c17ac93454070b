"""Transaction-scoped advisory locks on PostgreSQL: short critical sections shared by every
worker process."""

from django.db import connection

# One key per critical section.
INGEST_WRITE = 7_341_000
CLONE_SETTLE = 7_341_001


def advisory_xact_lock(key: int) -> None:
    """Wait for, then hold until the end of the current transaction, the lock `key`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
