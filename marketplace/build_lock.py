"""The lock held while one process builds a buyer's export (a manifest, a WebDataset shard
export), and while the retention job deletes its files: a PostgreSQL advisory lock keyed by
the kind of export and its id."""

from django.db import connection


class BuildLock:
    """A session-level advisory lock on one export, taken without waiting: held while one
    process builds it, released when it is done or its connection ends (a crash)."""

    def __init__(self, kind: int, export_id: int):
        self.keys = [kind, export_id]

    def __enter__(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", self.keys)
            self.held = cursor.fetchone()[0]
        return self.held

    def __exit__(self, *exc) -> None:
        if self.held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", self.keys)
