"""Writing provenance: records are upserted per asset, events are only ever appended, and
appended events are sealed into the audit log's hash chain."""

import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from provenance.chain import CONTENT_FIELDS, GENESIS_HASH, EventContent, link_hash
from provenance.models import AuditSeal, ProvenanceEvent, ProvenanceRecord

# PostgreSQL advisory lock key of the sealer (one sealer at a time, across all workers).
# catalog.locks holds the catalog's keys (7_341_xxx); provenance's are 7_342_xxx.
SEAL_LOCK = 7_342_000

RECORD_FIELDS = (
    "source", "source_record_id", "record_url", "original_url", "institution", "creator",
    "license", "decision", "evidence", "retrieved_at",
)  # fmt: skip


@dataclass(frozen=True)
class Decision:
    """A license decision about one asset, with its evidence, to be recorded."""

    asset_id: int
    source: str
    source_record_id: str
    decision: str
    retrieved_at: datetime
    license: str = ""
    record_url: str = ""
    original_url: str = ""
    institution: str = ""
    creator: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


def decisions_record(*, decisions: Iterable[Decision], kinds: dict[int, str], actor: str) -> None:
    """Upsert each asset's provenance record and append one event per decision.

    `kinds` maps asset id to the event kind; call inside the caller's transaction."""
    decisions = list(decisions)
    if not decisions:
        return
    records_upsert(decisions)
    events_append(
        ProvenanceEvent(
            asset_id=d.asset_id,
            kind=kinds[d.asset_id],
            reason="" if d.decision in ("accepted", "embargoed") else d.decision,
            actor=actor,
            data={"license": d.license, "source": d.source, "record": d.source_record_id},
        )
        for d in decisions
    )


def records_upsert(decisions: Iterable[Decision], *, chunk_size: int = 1000) -> int:
    """Upsert each asset's provenance record, and append no event: for a source read again,
    whose caller writes events only for decisions that changed. A record whose values are
    all the same (`retrieved_at` aside) is left as it is, so reading an unchanged source
    again writes nothing. Returns the number of records written; call inside the caller's
    transaction."""
    decisions = list(decisions)
    compared = [name for name in RECORD_FIELDS if name != "retrieved_at"]
    changed = []
    for start in range(0, len(decisions), chunk_size):
        chunk = decisions[start : start + chunk_size]
        current = ProvenanceRecord.objects.in_bulk(
            [d.asset_id for d in chunk], field_name="asset_id"
        )
        changed.extend(
            d
            for d in chunk
            if (record := current.get(d.asset_id)) is None
            or any(getattr(record, name) != getattr(d, name) for name in compared)
        )
    ProvenanceRecord.objects.bulk_create(
        [
            ProvenanceRecord(asset_id=d.asset_id, **{f: getattr(d, f) for f in RECORD_FIELDS})
            for d in changed
        ],
        batch_size=chunk_size,
        update_conflicts=True,
        unique_fields=["asset_id"],
        update_fields=list(RECORD_FIELDS),
    )
    return len(changed)


EVENT_COLUMNS = ("asset_id", "kind", "reason", "actor", "data", "created_at")
EVENT_TYPES = ("bigint", "text", "text", "text", "jsonb", "timestamptz")


def events_append(events: Iterable[ProvenanceEvent]) -> None:
    """Append events to the log. They are sealed later, by `events_seal`.

    Events go in as one INSERT over arrays: a bulk download appends 10,000
    events, and building that statement row by row costs more than running it (for a single
    download, the ORM's statement building is a good part of its time too)."""
    events = list(events)
    if not events:
        return
    now = timezone.now()
    for event in events:
        event.created_at = event.created_at or now
    values = [
        [e.asset_id for e in events],
        [e.kind for e in events],
        [e.reason for e in events],
        [e.actor for e in events],
        [json.dumps(e.data) for e in events],
        [e.created_at for e in events],
    ]
    columns = ", ".join(EVENT_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for kind in EVENT_TYPES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ProvenanceEvent._meta.db_table} ({columns}) "  # noqa: S608 - constants
            f"SELECT * FROM unnest({arrays}) RETURNING id",
            values,
        )
        # Rows come back in the order unnest gave them, as bulk_create also relies on.
        for event, (pk,) in zip(events, cursor.fetchall(), strict=True):
            event.pk = event.id = pk
            event._state.adding, event._state.db = False, "default"


def events_seal(
    *,
    batch_size: int = 5000,
    limit: int | None = None,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Seal the events that have no seal yet into the audit log's hash chain and return how
    many were sealed (at most `limit`). Safe to run from several workers at once, and
    alongside writers.

    Each batch is one transaction holding the sealer's advisory lock: it reads the chain's
    head and the next unsealed events, so concurrent sealers take turns and the chain never
    forks. The chain's order is the sealing order (`seq`), not the ids: an event whose
    transaction commits after a higher id was sealed is "late", and is sealed by the next
    run. A run first seals the late events it finds (one anti-join below the frontier, the
    highest sealed id), then the events past the frontier (an index range: no join)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    sealed, late = 0, None
    while limit is None or sealed < limit:
        size = batch_size if limit is None else min(batch_size, limit - sealed)
        with transaction.atomic():
            _advisory_xact_lock(SEAL_LOCK)
            if late is None:
                late = deque(
                    ProvenanceEvent.objects.filter(pk__lt=_frontier(), seal__isnull=True)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
            rows = _events_to_seal(late, size)
            if not rows:
                break
            head = AuditSeal.objects.order_by("-seq").values_list("seq", "hash").first()
            seq, prev_hash = head or (0, GENESIS_HASH)
            links = []
            for row in rows:
                seq, link = seq + 1, link_hash(prev_hash, row)
                links.append((seq, row[0], prev_hash, link))
                prev_hash = link
            _seals_insert(links)
        sealed += len(rows)
        if progress is not None:
            progress(len(rows))
        if len(rows) < size:
            break
    return sealed


def _frontier() -> int:
    """The highest sealed event id (an index look-up): every event above it is unsealed."""
    return AuditSeal.objects.aggregate(last=Max("event_id"))["last"] or 0


def _events_to_seal(late: deque[int], size: int) -> list[EventContent]:
    """The next `size` events to seal: late ones first (still unsealed: another sealer may
    have sealed them since this run found them), then those past the frontier."""
    events = ProvenanceEvent.objects.order_by("pk").values_list(*CONTENT_FIELDS)
    rows = []
    while late and len(rows) < size:
        ids = [late.popleft() for _ in range(min(size - len(rows), len(late)))]
        rows += events.filter(pk__in=ids, seal__isnull=True)
    if len(rows) < size:
        rows += events.filter(pk__gt=_frontier())[: size - len(rows)]
    return rows


def _seals_insert(links: list[tuple[int, int, str, str]]) -> None:
    """Insert seals (seq, event id, prev_hash, hash) with COPY, several times faster than
    bulk_create for the millions of events an import brings."""
    now = timezone.now()
    with (
        connection.cursor() as cursor,
        cursor.copy(
            "COPY provenance_auditseal (seq, event_id, prev_hash, hash, sealed_at) FROM STDIN"
        ) as copy,
    ):
        for link in links:
            copy.write_row((*link, now))


def _advisory_xact_lock(key: int) -> None:
    """Wait for, then hold until the end of the current transaction, the lock `key`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def clones_record(*, cloned_at: datetime, sha256_by_asset: dict[int, str]) -> None:
    """Note when each asset's original was copied into our storage, and its checksum."""
    records = list(ProvenanceRecord.objects.filter(asset_id__in=list(sha256_by_asset)))
    for record in records:
        record.cloned_at, record.sha256 = cloned_at, sha256_by_asset[record.asset_id]
    ProvenanceRecord.objects.bulk_update(records, ["cloned_at", "sha256"])
