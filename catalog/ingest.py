"""Ingest: turn connectors' candidates into catalog assets, idempotently.

Accepted records become `candidate` assets waiting to be cloned (cloning publishes them);
Wikimedia Commons uploads younger than the embargo become `embargoed`; rejected records are
kept as `rejected` with their reason, so a later run or an operator can see why. Every
decision writes its evidence and an event through provenance."""

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.connectors import get_connector
from catalog.connectors.base import (
    Candidate,
    Connector,
    Fetcher,
    MalformedPayload,
    borrowed_fetcher,
)
from catalog.lifecycle import ACCEPTED, EMBARGOED, after_decision, redecide
from catalog.locks import INGEST_WRITE, advisory_xact_lock
from catalog.models import Asset, AssetStatus
from catalog.optouts import OPT_OUT, opted_out
from catalog.reports import RunReport
from catalog.search_documents import parse_year, search_documents_refresh
from provenance.models import EventKind
from provenance.selectors import decisions_by_asset
from provenance.services import Decision, decisions_record

EMBARGOED_SOURCES = {"wikimedia_commons"}
MISSING_RECORD_ID = "missing_record_id"
METADATA_FIELDS = (
    "landing_url", "original_url", "title", "creator", "creator_url", "description",
    "creation_date", "institution", "tags", "source_uploaded_at", "width", "height",
    "mime_type",
)  # fmt: skip


def decide(candidate: Candidate, *, now: datetime) -> str:
    """`accepted`, `embargoed`, or the rejection reason."""
    if not candidate.accepted:
        return candidate.rejection or "license_missing"
    if candidate.source in EMBARGOED_SOURCES:
        uploaded = candidate.source_uploaded_at
        # An upload time we cannot read counts as new: better a wait than a contested file.
        if uploaded is None or uploaded > now - timedelta(days=settings.COMMONS_EMBARGO_DAYS):
            return EMBARGOED
    return ACCEPTED


def _truncate(candidate: Candidate) -> dict[str, Any]:
    values = {name: getattr(candidate, name) for name in METADATA_FIELDS}
    for name in ("title", "creator", "institution"):
        values[name] = (values[name] or "")[:500]
    for name in ("landing_url", "original_url", "creator_url"):
        values[name] = (values[name] or "")[:2000]
    values["creation_date"] = (values["creation_date"] or "")[:200]
    values["mime_type"] = (values["mime_type"] or "")[:100]
    values["year"] = parse_year(values["creation_date"])
    return values


def ingest_candidates(
    candidates: Iterable[Candidate], *, report: RunReport, actor: str, now: datetime | None = None
) -> None:
    """Record one page of candidates from one source, in one transaction."""
    now = now or timezone.now()
    by_id: dict[str, Candidate] = {}
    for candidate in candidates:
        report.seen += 1
        if not candidate.source_record_id:
            report.reject(f"#{report.seen}", MISSING_RECORD_ID)
            continue
        by_id[candidate.source_record_id] = candidate  # a record repeated in a page: last wins
    if not by_id:
        return
    page = list(by_id.values())
    source = page[0].source
    decisions = {c.source_record_id: decide(c, now=now) for c in page}
    for index in opted_out((c.original_url, c.creator, "") for c in page):
        if decisions[page[index].source_record_id] in (ACCEPTED, EMBARGOED):
            decisions[page[index].source_record_id] = OPT_OUT

    with transaction.atomic():
        # Pages of concurrent runs are written one at a time (each takes milliseconds), so
        # two runs never insert the same record or the same file URL at once.
        advisory_xact_lock(INGEST_WRITE)
        existing = {
            asset.source_record_id: asset
            for asset in Asset.objects.select_for_update()
            .filter(source=source, source_record_id__in=list(by_id))
            .order_by("pk")
        }
        previous = decisions_by_asset([asset.pk for asset in existing.values()])
        urls = {c.original_url for c in page if c.original_url}
        owners = Asset.objects.filter(original_url__in=urls) if urls else Asset.objects.none()
        url_owner = {
            url: (owner_source, owner_id)
            for url, owner_source, owner_id in owners.values_list(
                "original_url", "source", "source_record_id"
            )
        }
        created, changed, recorded = [], [], []
        for candidate in page:
            record_id = candidate.source_record_id
            decision = decisions[record_id]
            owner = url_owner.get(candidate.original_url)
            if candidate.original_url and owner not in (None, (source, record_id)):
                report.duplicates += 1  # the same file is already in under another record
                continue
            if candidate.original_url:
                url_owner[candidate.original_url] = (source, record_id)
            asset = existing.get(record_id)
            previous_decision = previous.get(asset.pk) if asset else None
            if _apply(asset, candidate, decision, previous_decision, created, changed, now):
                recorded.append((candidate, decision))
            report.count(record_id, decision)

        Asset.objects.bulk_create(created)
        report.created += len(created)
        if changed:
            Asset.objects.bulk_update(
                changed,
                [*METADATA_FIELDS, "year", "license", "status", "rejection_reason", "embargo_until",
                 "clone_state", "clone_attempts", "updated_at"],
            )  # fmt: skip
            report.updated += len(changed)
            search_documents_refresh(a.pk for a in changed if a.status == AssetStatus.PUBLISHED)
        _record_provenance(recorded, existing, created, actor=actor, now=now)


def _apply(asset, candidate, decision, previous_decision, created, changed, now) -> bool:
    """Create or update the asset; True when its decision or metadata changed."""
    values = _truncate(candidate)
    values["license"] = candidate.license or ""
    values["embargo_until"] = None
    if decision == EMBARGOED:
        embargo = timedelta(days=settings.COMMONS_EMBARGO_DAYS)
        if candidate.source_uploaded_at:
            values["embargo_until"] = candidate.source_uploaded_at + embargo
        else:  # no upload time: the embargo runs from when we first saw the file
            values["embargo_until"] = (asset and asset.embargo_until) or now + embargo
    if asset is None:
        values["rejection_reason"] = "" if decision in (ACCEPTED, EMBARGOED) else decision
        status = after_decision(decision=decision).status
        created.append(Asset(source=candidate.source, source_record_id=candidate.source_record_id,
                             status=status, **values))  # fmt: skip
        return True
    if not redecide(asset, values, decision=decision, previous_decision=previous_decision):
        return False
    asset.updated_at = now
    changed.append(asset)
    return True


def _record_provenance(recorded, existing, created, *, actor, now) -> None:
    ids = {asset.source_record_id: asset.pk for asset in [*existing.values(), *created]}
    kinds = {ACCEPTED: EventKind.INGEST_ACCEPTED, EMBARGOED: EventKind.INGEST_EMBARGOED}
    decisions, event_kinds = [], {}
    for candidate, decision in recorded:
        asset_id = ids[candidate.source_record_id]
        decisions.append(
            Decision(
                asset_id=asset_id,
                source=candidate.source,
                source_record_id=candidate.source_record_id,
                decision=decision,
                retrieved_at=now,
                license=candidate.license or "",
                record_url=candidate.landing_url[:2000],
                original_url=candidate.original_url[:2000],
                institution=candidate.institution[:500],
                creator=candidate.creator[:500],
                evidence=candidate.evidence,
            )
        )
        event_kinds[asset_id] = kinds.get(decision, EventKind.INGEST_REJECTED)
    decisions_record(decisions=decisions, kinds=event_kinds, actor=actor)


def ingest_payloads(
    connector: Connector,
    payloads: Iterable[Any],
    *,
    report: RunReport,
    actor: str,
    limit: int | None = None,
    progress: Callable[[int], object] | None = None,
) -> RunReport:
    """Parse and record each payload; a page that fails counts as an error and the run goes
    on (a payload that is a MalformedPayload instance is a saved file that could not be
    read). Stops after `limit` records when given."""
    iterator = iter(payloads)
    while limit is None or report.seen < limit:
        try:
            payload = next(iterator)
        except StopIteration:
            break
        except Exception as exc:  # a fetch that failed after its retries: stop, keep what we have
            report.error(f"fetch failed: {type(exc).__name__}: {exc}")
            break
        try:
            if isinstance(payload, MalformedPayload):
                raise payload
            candidates = connector.parse_page(payload)
        except MalformedPayload as exc:
            report.error(f"malformed page: {exc}")
            continue
        if limit is not None:
            candidates = candidates[: limit - report.seen]
        seen_before = report.seen
        ingest_candidates(candidates, report=report, actor=actor)
        report.save()
        if progress:
            progress(report.seen - seen_before)
    report.save(finished=True)
    return report


def ingest_source(
    *,
    source: str,
    since: date | None = None,
    limit: int | None = None,
    payloads: Iterable[Any] | None = None,
    actor: str = "ingest",
    fetcher: Fetcher | None = None,
    progress: Callable[[int], object] | None = None,
) -> RunReport:
    """Ingest one source from its live API, or from saved responses when `payloads` is given."""
    connector = get_connector(source)
    report = RunReport(kind="ingest", source=source)
    report.save()
    if payloads is not None:
        return ingest_payloads(
            connector, payloads, report=report, actor=actor, limit=limit, progress=progress
        )
    with borrowed_fetcher(fetcher, lambda: Fetcher()) as live:
        pages: Iterator[Any] = connector.pages(live, since=since)
        return ingest_payloads(
            connector, pages, report=report, actor=actor, limit=limit, progress=progress
        )
