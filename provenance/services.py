"""Writing provenance: records are upserted per asset, events are only ever appended, and
appended events are sealed into the audit log's hash chain."""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from provenance.chain import CONTENT_FIELDS, GENESIS_HASH, EventContent, link_hash
from provenance.models import (
    AuditCheckpoint,
    AuditSeal,
    ProvenanceEvent,
    ProvenanceRecord,
    SealerMark,
)

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

# Bulk imports: their rows are in a table of their own already, so records and events are
# written straight from a query over it, one statement each, never through Python.
RECORD_COLUMNS = ("asset_id", *RECORD_FIELDS, "sha256")
_RECORD_COMPARED = [name for name in RECORD_FIELDS if name != "retrieved_at"]
_RECORDS_FROM = f"""
INSERT INTO {ProvenanceRecord._meta.db_table} AS r ({", ".join(RECORD_COLUMNS)})
{{query}}
ON CONFLICT (asset_id) DO UPDATE SET
    {", ".join(f"{name} = excluded.{name}" for name in RECORD_FIELDS)}
WHERE ({", ".join(f"r.{name}" for name in _RECORD_COMPARED)})
    IS DISTINCT FROM ({", ".join(f"excluded.{name}" for name in _RECORD_COMPARED)})
"""
_EVENTS_FROM = f"""
INSERT INTO {ProvenanceEvent._meta.db_table} ({", ".join(EVENT_COLUMNS)}) {{query}}
"""


def records_upsert_from(query: str, params: dict) -> None:
    """Upsert provenance records from `query`, a SELECT of RECORD_COLUMNS in that order,
    with `params` for its placeholders; a record whose values are all the same
    (`retrieved_at` aside) is left as it is. Call inside the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_RECORDS_FROM.format(query=query), params)


def events_append_from(query: str, params: dict) -> None:
    """Append events from `query`, a SELECT of EVENT_COLUMNS in that order, with `params`
    for its placeholders. They are sealed later, by `events_seal`. Call inside the caller's
    transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_EVENTS_FROM.format(query=query), params)


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
    alongside writers, and to run again after a crash: every event is sealed exactly once.

    A run reads only new events. The sealer keeps a mark (`SealerMark.txid_bound`): every
    event appended by a transaction with a lower id is sealed. Each event records its
    transaction's id, so a run looks at the events of transactions at or above the mark
    only (an index range), seals the unsealed ones in id order, and at the end moves the
    mark to the oldest transaction still running when it started: every transaction
    below that had finished, so their events were all visible to this run. An event whose
    transaction commits later is above the new mark and is sealed by a later run.

    Each batch is one transaction holding the sealer's advisory lock: it reads the chain's
    head and extends it, so concurrent sealers take turns and the chain never forks. The
    chain's order is the sealing order (`seq`), not the ids."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    # First the horizon, then the mark: a mark moved meanwhile by another run is only ever
    # higher, and still correct.
    horizon = _oldest_running_transaction()
    mark = _sealer_mark()
    bound, with_legacy = mark.txid_bound, not mark.legacy_checked
    after = _first_unsealed_id(bound, with_legacy)
    sealed, complete = 0, True
    while after is not None:
        if limit is not None and sealed >= limit:
            complete = False
            break
        size = batch_size if limit is None else min(batch_size, limit - sealed)
        with transaction.atomic():
            _advisory_xact_lock(SEAL_LOCK)
            rows = _unsealed_events(after, bound, with_legacy, size)
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
        sealed, after = sealed + len(rows), rows[-1][0] + 1
        if progress is not None:
            progress(len(rows))
        if len(rows) < size:
            break
    if complete:
        _sealer_mark_advance(horizon, legacy_checked=with_legacy)
    return sealed


# Events a run may have to seal: those of transactions at or above the mark, and, until a
# run has checked them once, those from before transaction ids were recorded.
_NEW_EVENTS = "e.txid >= %(bound)s::text::xid8"
_OLD_EVENTS = "e.txid IS NULL"
_UNSEALED = "NOT EXISTS (SELECT 1 FROM provenance_auditseal s WHERE s.event_id = e.id)"


def _oldest_running_transaction() -> int:
    """The id of the oldest transaction still running (or the next one to start): every
    transaction with a lower id has committed or rolled back."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        return cursor.fetchone()[0]


def _sealer_mark() -> SealerMark:
    return SealerMark.objects.get_or_create(pk=1)[0]


def _sealer_mark_advance(horizon: int, *, legacy_checked: bool) -> None:
    with transaction.atomic():
        _advisory_xact_lock(SEAL_LOCK)
        mark = SealerMark.objects.select_for_update().get_or_create(pk=1)[0]
        mark.txid_bound = max(mark.txid_bound, horizon)
        mark.legacy_checked = mark.legacy_checked or legacy_checked
        mark.save()


def _first_unsealed_id(bound: int, with_legacy: bool) -> int | None:
    """The lowest id among the events this run may have to seal (one look at each of them
    through the (txid, id) index), or None when there is none."""
    conditions = [_NEW_EVENTS, _OLD_EVENTS] if with_legacy else [_NEW_EVENTS]
    lowest = None
    with connection.cursor() as cursor:
        for condition in conditions:
            cursor.execute(
                "SELECT min(e.id) FROM provenance_provenanceevent e "  # noqa: S608 - constants
                f"WHERE {condition} AND {_UNSEALED}",
                {"bound": str(bound)},
            )
            found = cursor.fetchone()[0]
            if found is not None and (lowest is None or found < lowest):
                lowest = found
    return lowest


def _unsealed_events(after: int, bound: int, with_legacy: bool, size: int) -> list[EventContent]:
    """The next `size` unsealed events from id `after` on, in id order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id FROM provenance_provenanceevent e "  # noqa: S608 - constants
            f"WHERE e.id >= %(after)s AND ({_NEW_EVENTS} OR (%(legacy)s AND {_OLD_EVENTS})) "
            f"AND {_UNSEALED} "
            "ORDER BY e.id LIMIT %(size)s",
            {"after": after, "bound": str(bound), "legacy": with_legacy, "size": size},
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    # Their content through the ORM, decoded exactly as the verifier reads it.
    events = ProvenanceEvent.objects.filter(pk__in=ids).order_by("pk")
    return list(events.values_list(*CONTENT_FIELDS))


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


def audit_checkpoint_record(*, seq: int, hash: str, verified: int, incremental: bool) -> None:
    """Remember a link a verification found intact, with every link before it: the next
    incremental verification starts after it. Nothing is recorded for an empty chain."""
    if seq > 0:
        AuditCheckpoint.objects.create(
            seq=seq, hash=hash, verified=verified, incremental=incremental
        )
