"""Writing provenance: records are upserted per asset, events are only ever appended."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from provenance.models import ProvenanceEvent, ProvenanceRecord

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


def events_append(events: Iterable[ProvenanceEvent]) -> None:
    ProvenanceEvent.objects.bulk_create(list(events))


def clones_record(*, cloned_at: datetime, sha256_by_asset: dict[int, str]) -> None:
    """Note when each asset's original was copied into our storage, and its checksum."""
    records = list(ProvenanceRecord.objects.filter(asset_id__in=list(sha256_by_asset)))
    for record in records:
        record.cloned_at, record.sha256 = cloned_at, sha256_by_asset[record.asset_id]
    ProvenanceRecord.objects.bulk_update(records, ["cloned_at", "sha256"])
