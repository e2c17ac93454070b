"""Sealing appended events into the audit log's hash chain."""

import hashlib
import json
from datetime import UTC

import pytest
from django.conf import settings
from django.db import connection

from provenance.models import GENESIS_HASH, AuditSeal, ProvenanceEvent
from provenance.selectors import audit_log_verify
from provenance.services import events_seal
from provenance.tasks import seal_events_task
from tests.provenance.conftest import append

pytestmark = pytest.mark.django_db


def documented_hash(prev_hash: str, event: ProvenanceEvent) -> str:
    """The link hash as provenance/chain.py documents it, written out independently."""
    content = {
        "id": event.id, "asset_id": event.asset_id, "kind": event.kind,
        "reason": event.reason, "actor": event.actor, "data": event.data,
        "created_at": event.created_at.astimezone(UTC).isoformat(),
    }  # fmt: skip
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(prev_hash.encode() + canonical.encode()).hexdigest()


def chain() -> list[AuditSeal]:
    return list(AuditSeal.objects.select_related("event").order_by("seq"))


def test_sealing_runs_extend_one_chain_from_the_genesis_hash():
    append(3)
    assert events_seal() == 3
    assert events_seal() == 0  # nothing new: the chain stays as it is
    append(2)
    assert events_seal() == 2

    seals = chain()
    assert [seal.seq for seal in seals] == [1, 2, 3, 4, 5]
    assert [seal.event_id for seal in seals] == sorted(seal.event_id for seal in seals)
    assert seals[0].prev_hash == GENESIS_HASH
    for previous, seal in zip([None, *seals], seals, strict=False):
        if previous is not None:
            assert seal.prev_hash == previous.hash
        assert seal.hash == documented_hash(seal.prev_hash, seal.event)
    assert len({seal.hash for seal in seals}) == 5


def test_sealing_stops_at_the_limit_and_the_next_run_continues():
    append(5)
    assert events_seal(limit=2, batch_size=1) == 2
    assert AuditSeal.objects.count() == 2
    assert events_seal(limit=10) == 3
    assert [seal.seq for seal in chain()] == [1, 2, 3, 4, 5]


def test_events_written_by_raw_sql_bulk_imports_are_sealed_in_batches():
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO provenance_provenanceevent (asset_id, kind, reason, actor, data, "
            "created_at) SELECT n, 'ingest.rejected', 'license_not_open', 'import_pd12m', "
            "jsonb_build_object('license', '', 'record', n::text), now() "
            "FROM generate_series(1, 2500) n"
        )
    batches = []
    assert events_seal(batch_size=1000, progress=batches.append) == 2500
    assert batches == [1000, 1000, 500]
    check = audit_log_verify(chunk_size=700)
    assert (check.intact, check.verified, check.unsealed) == (True, 2500, 0)
    assert check.head_hash == AuditSeal.objects.get(seq=2500).hash


def test_the_beat_task_seals_pending_events():
    append(3)
    assert seal_events_task.delay(limit=2).get() == {"sealed": 2}
    assert seal_events_task.delay().get() == {"sealed": 1}
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values()
               if e["task"] == "provenance.seal_events"]  # fmt: skip
    assert len(entries) == 1
