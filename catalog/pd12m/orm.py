"""The portable writer (the SQLite demo): the staged rows through the ORM, with the same
results as the PostgreSQL writer, more slowly. Status changes are `after_decision`'s."""

from collections.abc import Iterator
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from catalog.lifecycle import ACCEPTED, FINAL_STATUSES, after_decision, redecide
from catalog.locks import INGEST_WRITE, advisory_xact_lock
from catalog.models import Asset, CloneState
from catalog.pd12m.staging import Staged
from provenance.models import EventKind, ProvenanceEvent
from provenance.selectors import decisions_by_asset
from provenance.services import Decision, events_append, records_upsert

SQL_CHUNK = 5000  # values per IN (...) (SQLite limits a query's variables)
FIELDS = (
    "original_url", "title", "description", "width", "height", "mime_type", "institution",
    "license",
)  # fmt: skip


def _chunks(values: list, size: int = SQL_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class OrmWriter:
    def __init__(self, *, source: str, file_name: str, actor: str):
        self.source, self.file_name, self.actor = source, file_name, actor

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return None

    def prepare(self, staged: Staged) -> Staged:
        return staged

    def write(self, staged: Staged) -> tuple[int, int, set[str]]:
        """Write a chunk's staged rows in one transaction: (assets created, assets updated,
        record ids skipped because another record holds their URL)."""
        rows = {row[0]: row for row in staged.rows()}
        now = timezone.now()
        with transaction.atomic():
            advisory_xact_lock(INGEST_WRITE)
            existing = self._existing(list(rows))
            duplicates = self._taken_urls(rows)
            previous: dict[int, str] = {}
            for ids in _chunks([asset.pk for asset in existing.values()]):
                previous.update(decisions_by_asset(ids))
            created, changed, live = [], [], []
            for record_id, row in rows.items():
                if record_id in duplicates:
                    continue
                asset = existing.get(record_id)
                if asset is None:
                    asset = self._new_asset(row, now)
                    created.append(asset)
                elif asset.status in FINAL_STATUSES:
                    continue  # taken down or withdrawn: the source no longer changes anything
                elif self._update(asset, row, previous.get(asset.pk), now):
                    changed.append(asset)
                live.append((asset, row))
            Asset.objects.bulk_create(created, batch_size=1000)
            if changed:
                Asset.objects.bulk_update(
                    changed,
                    [*FIELDS, "status", "rejection_reason", "clone_state", "clone_attempts",
                     "updated_at"],
                    batch_size=1000,
                )  # fmt: skip
            self._record_provenance(live, previous, now)
        return len(created), len(changed), duplicates

    def _existing(self, record_ids: list[str]) -> dict[str, Asset]:
        existing = {}
        for ids in _chunks(record_ids):
            assets = Asset.objects.select_for_update().filter(
                source=self.source, source_record_id__in=ids
            )
            existing.update((asset.source_record_id, asset) for asset in assets.order_by("pk"))
        return existing

    def _taken_urls(self, rows: dict[str, tuple]) -> set[str]:
        """The record ids whose URL another record (of any source) holds."""
        owners: dict[str, tuple[str, str]] = {}
        for urls in _chunks([row[1] for row in rows.values() if row[1]]):
            owners.update(
                (url, (source, record_id))
                for url, source, record_id in Asset.objects.filter(
                    original_url__in=urls
                ).values_list("original_url", "source", "source_record_id")
            )
        return {
            record_id
            for record_id, row in rows.items()
            if owners.get(row[1], (self.source, record_id)) != (self.source, record_id)
        }

    def _new_asset(self, row: tuple, now: datetime) -> Asset:
        record_id, url, title, description, width, height, mime_type, institution = row[:8]
        license, reason = row[8], row[9]
        return Asset(
            source=self.source, source_record_id=record_id, original_url=url, title=title,
            description=description, width=width, height=height, mime_type=mime_type,
            institution=institution, license=license,
            status=after_decision(decision=reason or ACCEPTED).status, rejection_reason=reason,
            clone_state=CloneState.PENDING, clone_attempts=0, created_at=now, updated_at=now,
        )  # fmt: skip

    @staticmethod
    def _update(asset: Asset, row: tuple, previous_decision: str | None, now) -> bool:
        """Apply the row to an existing asset; True when something changed."""
        values = dict(zip(FIELDS, (*row[1:8], row[8]), strict=True))
        if not redecide(asset, values, decision=row[9] or ACCEPTED,
                        previous_decision=previous_decision):  # fmt: skip
            return False
        asset.updated_at = now
        return True

    def _record_provenance(self, live, previous: dict[int, str], now) -> None:
        """Every live row's provenance record (written when it changed), and an event for
        each new or changed decision."""
        decisions, events = [], []
        for asset, row in live:
            record_id, url, institution, license, reason = row[0], row[1], row[7], *row[8:10]
            decision = reason or ACCEPTED
            decisions.append(
                Decision(
                    asset_id=asset.pk, source=self.source, source_record_id=record_id,
                    decision=decision, retrieved_at=now, license=license, original_url=url,
                    institution=institution,
                    evidence={"license": row[10], "hash": row[11], "source": row[12],
                              "file": self.file_name},
                )
            )  # fmt: skip
            if previous.get(asset.pk) != decision:
                events.append(
                    ProvenanceEvent(
                        asset_id=asset.pk,
                        kind=EventKind.INGEST_REJECTED if reason else EventKind.INGEST_ACCEPTED,
                        reason=reason,
                        actor=self.actor,
                        data={"license": license, "source": self.source, "record": record_id},
                    )
                )
        records_upsert(decisions)
        events_append(events)
