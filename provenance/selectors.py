"""Provenance's public reads: records, public histories, the audit log's chain checked end
to end, and datasheets (defined in provenance.datasheets). Other apps use these (and
provenance's services and models), never provenance's other modules (enforced in
`make lint`)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.db import connection
from django.db.models import Max

from provenance.chain import CONTENT_FIELDS, GENESIS_HASH, link_hash
from provenance.datasheets import (
    LICENSE_CHECKS,
    OPT_OUT_NOTE,
    PROVENANCE_NOTE,
    UNKNOWN_SOURCE_CHECK,
    Datasheet,
    LicenseCount,
    ReleaseFile,
    Threshold,
    audit_log_head,
    datasheet_json,
    datasheet_markdown,
    source_counts,
    tally,
)
from provenance.models import (
    AuditCheckpoint,
    AuditSeal,
    EventKind,
    ProvenanceEvent,
    ProvenanceRecord,
    SealerMark,
)

__all__ = [
    "LICENSE_CHECKS",
    "OPT_OUT_NOTE",
    "PROVENANCE_NOTE",
    "UNKNOWN_SOURCE_CHECK",
    "AuditLogCheck",
    "ChainBreak",
    "Datasheet",
    "LicenseCount",
    "ReleaseFile",
    "Threshold",
    "audit_checkpoint_latest",
    "audit_log_head",
    "audit_log_length",
    "audit_log_verify",
    "datasheet_json",
    "datasheet_markdown",
    "decisions_by_asset",
    "events_unsealed_count",
    "provenance_record",
    "public_history",
    "source_counts",
    "takedown_reasons",
    "tally",
]  # fmt: skip


def decisions_by_asset(asset_ids: list[int]) -> dict[int, str]:
    """The latest license decision recorded for each of these assets."""
    return dict(
        ProvenanceRecord.objects.filter(asset_id__in=asset_ids).values_list("asset_id", "decision")
    )


def provenance_record(asset_id: int) -> ProvenanceRecord | None:
    """Where the asset came from and why it is allowed, or None if nothing was recorded."""
    return ProvenanceRecord.objects.filter(asset_id=asset_id).first()


def license_check(source: str) -> str:
    """How a source's licenses are verified, in one sentence (as datasheets say it)."""
    return LICENSE_CHECKS.get(source, UNKNOWN_SOURCE_CHECK)


def opt_out_note() -> str:
    """What keeps an item out of the catalog, whatever its source."""
    return OPT_OUT_NOTE


def datasheet_notes(sheet: Datasheet) -> dict:
    """What a datasheet page says beside its counts: each source's license check, the
    opt-out rule and how provenance is kept, in the datasheet's own words."""
    return {
        "checks": {s.source: license_check(s.source) for s in sheet.by_source},
        "opt_out_note": OPT_OUT_NOTE,
        "provenance_note": PROVENANCE_NOTE,
    }


def datasheet_as_markdown(sheet: Datasheet) -> str:
    return datasheet_markdown(sheet)


def datasheet_as_dict(sheet: Datasheet) -> dict:
    return datasheet_json(sheet)


def takedown_reasons(asset_ids: list[int]) -> dict[int, str]:
    """The reason code of each asset's latest takedown, for those taken down."""
    events = (
        ProvenanceEvent.objects.filter(asset_id__in=asset_ids, kind=EventKind.TAKEN_DOWN)
        .order_by("asset_id", "-id")
        .distinct("asset_id")
        .values_list("asset_id", "reason")
    )
    return dict(events)


# Who downloaded what is between the buyer, the rights holder and us: never public.
PRIVATE_KIND_PREFIXES = ("download.",)
PUBLIC_HISTORY_LIMIT = 200


def public_history(asset_id: int) -> list[ProvenanceEvent]:
    """The asset's public history, oldest first (the latest PUBLIC_HISTORY_LIMIT entries):
    ingest, cloning, publication and moderation decisions, each with its audit-log seal
    once sealed, so anyone can check it against the chain. Download events are private."""
    events = ProvenanceEvent.objects.filter(asset_id=asset_id).select_related("seal")
    for prefix in PRIVATE_KIND_PREFIXES:
        events = events.exclude(kind__startswith=prefix)
    latest = list(events.order_by("-id")[:PUBLIC_HISTORY_LIMIT])
    return latest[::-1]


@dataclass(frozen=True)
class ChainBreak:
    """The first entry of the audit log that does not verify."""

    seq: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        event = f"event {self.event_id}" if self.event_id is not None else "no event"
        return f"seq {self.seq} ({event}): {self.problem}"


@dataclass(frozen=True)
class AuditLogCheck:
    """The result of checking the audit log's hash chain, from its first link or from a
    checkpoint (`start_seq`: the links up to it were verified earlier)."""

    verified: int  # links recomputed and intact, before the break if there is one
    unsealed: int  # events appended but not sealed yet
    head_seq: int  # the last intact link
    head_hash: str
    broken: ChainBreak | None = None
    start_seq: int = 0

    @property
    def intact(self) -> bool:
        return self.broken is None


def audit_log_length() -> int:
    """The number of links in the audit log's chain (its last `seq`)."""
    return AuditSeal.objects.aggregate(last=Max("seq"))["last"] or 0


def events_unsealed_count() -> int:
    """Events appended to the log and not sealed into the chain yet. Only the events above
    the sealer's mark can be (see `provenance.services.events_seal`): those are counted."""
    mark = SealerMark.objects.filter(pk=1).first()
    bound, legacy = (mark.txid_bound, not mark.legacy_checked) if mark else (0, True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM provenance_provenanceevent e "
            "WHERE (e.txid >= %(bound)s::text::xid8 OR (%(legacy)s AND e.txid IS NULL)) "
            "AND NOT EXISTS (SELECT 1 FROM provenance_auditseal s WHERE s.event_id = e.id)",
            {"bound": str(bound), "legacy": legacy},
        )
        return cursor.fetchone()[0]


def audit_checkpoint_latest() -> AuditCheckpoint | None:
    """The last link a verification found intact, if any verification was recorded."""
    return AuditCheckpoint.objects.order_by("-verified_at", "-id").first()


def audit_log_verify(
    *,
    chunk_size: int = 2000,
    progress: Callable[[int], object] | None = None,
    start: AuditCheckpoint | None = None,
) -> AuditLogCheck:
    """Walk the hash chain in `seq` order, recompute each link from the event's current
    content and the previous link, and stop at the first one that does not match: an
    edited or deleted event, or a deleted or edited seal. Streams: seals are read with a
    server-side cursor and their events fetched a chunk at a time.

    From `start` (a checkpoint of an earlier verification) only the links after it are
    recomputed, once its own seal is found unchanged: the links before it are taken as
    verified then (a full verification checks them again)."""
    start_seq, expected_prev = (start.seq, start.hash) if start else (0, GENESIS_HASH)
    verified, broken, suspect = 0, None, None  # suspect: a differing hash, pending the next
    if start is not None:
        broken = _checkpoint_changed(start)
        if broken is not None:
            return AuditLogCheck(0, events_unsealed_count(), start_seq, start.hash, broken,
                                 start_seq)  # fmt: skip
    seals = AuditSeal.objects.filter(seq__gt=start_seq).order_by("seq")
    seals = seals.values_list("seq", "event_id", "prev_hash", "hash")
    for chunk in _chunks(seals.iterator(chunk_size=chunk_size), chunk_size):
        ids = [event_id for _, event_id, _, _ in chunk]
        events = {
            row[0]: row
            for row in ProvenanceEvent.objects.filter(pk__in=ids).values_list(*CONTENT_FIELDS)
        }
        for seq, event_id, prev_hash, link in chunk:
            if suspect is not None:
                broken = _hash_mismatch(*suspect, next_prev_hash=prev_hash)
            elif seq != start_seq + verified + 1:
                broken = ChainBreak(
                    start_seq + verified + 1,
                    None,
                    f"its seal is missing (the next seal is seq {seq})",
                )
            elif prev_hash != expected_prev:
                previous = f"the hash of seq {seq - 1}" if seq > 1 else "the genesis hash"
                broken = ChainBreak(seq, event_id, f"the seal's prev_hash is not {previous}")
            elif (event := events.get(event_id)) is None:
                broken = ChainBreak(seq, event_id, "the event is missing (it was deleted)")
            elif (recomputed := link_hash(prev_hash, event)) != link:
                suspect = (seq, event_id, link, recomputed)
                continue
            if broken is not None:
                break
            verified, expected_prev = verified + 1, link
        if progress is not None:
            progress(len(chunk))
        if broken is not None:
            break
    if suspect is not None and broken is None:
        broken = _hash_mismatch(*suspect, next_prev_hash=None)
    return AuditLogCheck(
        verified=verified,
        unsealed=events_unsealed_count(),
        head_seq=start_seq + verified,
        head_hash=expected_prev,
        broken=broken,
        start_seq=start_seq,
    )


def _checkpoint_changed(start: AuditCheckpoint) -> ChainBreak | None:
    """The checkpoint's own link, if its seal is gone or no longer holds the hash verified."""
    seal = AuditSeal.objects.filter(seq=start.seq).values_list("event_id", "hash").first()
    if seal is None:
        return ChainBreak(start.seq, None, "the seal verified at the last checkpoint is missing")
    if seal[1] != start.hash:
        return ChainBreak(
            start.seq,
            seal[0],
            f"the seal's hash differs from the one verified on {start.verified_at:%Y-%m-%d}",
        )
    return None


def _hash_mismatch(
    seq: int, event_id: int, link: str, recomputed: str, *, next_prev_hash: str | None
) -> ChainBreak:
    """Name what changed when a link's stored hash differs from the recomputed one: the
    next link still vouches for the stored hash when the event was edited, and for the
    recomputed one when the seal's hash was."""
    if next_prev_hash == link:
        problem = "the event was changed after it was sealed"
    elif next_prev_hash == recomputed:
        problem = "the seal's hash was changed"
    else:
        problem = "the event's content does not hash to its seal (the event or the seal was "
        problem += "changed)"
    return ChainBreak(seq, event_id, problem)


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(rows, size)):
        yield chunk
