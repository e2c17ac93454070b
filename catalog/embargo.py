"""Releasing embargoed assets: after the embargo, re-read each record at its source and
decide again. A changed license, a deletion request or a vanished file rejects it; otherwise
it goes on to cloning and publishing."""

from django.utils import timezone

from catalog.connectors import get_connector
from catalog.connectors.base import Fetcher, borrowed_fetcher
from catalog.ingest import ingest_candidates
from catalog.models import Asset, AssetStatus
from catalog.reports import RunReport
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

SOURCE_RECORD_MISSING = "source_record_missing"
LOOKUP_BATCH = 50  # MediaWiki answers at most 50 page ids per query


def release_embargoed(*, fetcher: Fetcher | None = None, actor: str = "release_embargoed",
                      limit: int | None = None,
                      asset_ids: list[int] | None = None) -> RunReport:  # fmt: skip
    """Re-check the embargoed assets whose embargo has ended (only these `asset_ids`, when
    a moderator asks for some)."""
    report = RunReport(kind="release_embargoed")
    report.save()
    due = Asset.objects.filter(status=AssetStatus.EMBARGOED, embargo_until__lte=timezone.now())
    if asset_ids is not None:
        due = due.filter(pk__in=asset_ids)
    due = due.order_by("pk").values_list("source", "source_record_id")
    if limit is not None:
        due = due[:limit]
    by_source: dict[str, list[str]] = {}
    for source, record_id in due:
        by_source.setdefault(source, []).append(record_id)
    try:
        with borrowed_fetcher(fetcher, lambda: Fetcher()) as live:
            for source, record_ids in by_source.items():
                connector = get_connector(source)
                for start in range(0, len(record_ids), LOOKUP_BATCH):
                    chunk = record_ids[start : start + LOOKUP_BATCH]
                    _recheck(connector, live, chunk, report=report, actor=actor)
                    report.save()
    finally:
        report.save(finished=True)
    return report


def _recheck(connector, fetcher, record_ids, *, report, actor) -> None:
    request = connector.records_request(record_ids)
    if request is None:
        report.error(f"{connector.name} cannot look records up by id; left embargoed")
        return
    try:
        payload = fetcher.get_json(request.url, params=request.params, headers=request.headers)
        candidates = connector.parse_page(payload)
    except Exception as exc:  # the source is down: they stay embargoed for the next run
        report.error(f"{connector.name}: {type(exc).__name__}: {exc}")
        return
    ingest_candidates(candidates, report=report, actor=actor)
    found = {c.source_record_id for c in candidates}
    missing = [record_id for record_id in record_ids if record_id not in found]
    if missing:
        gone = list(
            Asset.objects.filter(
                source=connector.name, source_record_id__in=missing,
                status=AssetStatus.EMBARGOED,
            )
        )  # fmt: skip
        report.seen += len(gone)
        for asset in gone:
            asset.status, asset.rejection_reason = AssetStatus.REJECTED, SOURCE_RECORD_MISSING
            report.reject(asset.source_record_id, SOURCE_RECORD_MISSING)
        Asset.objects.bulk_update(gone, ["status", "rejection_reason"])
        events_append(
            ProvenanceEvent(
                asset_id=asset.pk, kind=EventKind.INGEST_REJECTED,
                reason=SOURCE_RECORD_MISSING, actor=actor,
            )
            for asset in gone
        )  # fmt: skip
