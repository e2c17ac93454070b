"""Helpers for the audit log's tests: appending events, and tampering with the tables the
way someone with direct database access could (the append-only triggers bypassed)."""

import pytest
from django.db import connection, transaction

from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append


def append(count: int = 1, *, actor: str = "test") -> list[ProvenanceEvent]:
    """Append `count` events through the service, as the apps do; returns them with ids."""
    events = [
        ProvenanceEvent(asset_id=n, kind=EventKind.INGEST_ACCEPTED, actor=actor,
                        data={"license": "cc0-1.0", "n": n, "note": "café"})
        for n in range(count)
    ]  # fmt: skip
    events_append(events)
    return events


def tamper(sql: str, params: list | dict | None = None) -> int:
    """Run `sql` with triggers and foreign keys off, as a superuser could; rows changed."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Checks the test's own inserts left pending run now, not after the tampering.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params or [])
        changed = cursor.rowcount
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return changed


@pytest.fixture
def sealed_log(db):
    """Five events, appended and sealed in two runs: seq 1..5 seal events in id order."""
    from provenance.services import events_seal

    events = append(3)
    events_seal()
    events += append(2)
    events_seal()
    return events
