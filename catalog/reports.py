"""The report of a run: counted while it goes, stored in `IngestRun` for the admin."""

from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from catalog.lifecycle import ACCEPTED, EMBARGOED
from catalog.models import IngestRun

MAX_ERROR_SAMPLES = 50
MAX_IDS = 100_000  # record ids kept per list for --json; the counts are always complete


@dataclass
class RunReport:
    kind: str
    source: str = ""
    seen: int = 0
    accepted: int = 0
    embargoed: int = 0
    rejected: Counter = field(default_factory=Counter)
    duplicates: int = 0
    errors: int = 0
    created: int = 0
    updated: int = 0
    accepted_ids: list[str] = field(default_factory=list)
    embargoed_ids: list[str] = field(default_factory=list)
    rejected_ids: dict[str, str] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    run: IngestRun | None = None

    ids_truncated: bool = False

    def accept(self, record_id: str) -> None:
        self.accepted += 1
        self._keep(self.accepted_ids, record_id)

    def embargo(self, record_id: str) -> None:
        self.embargoed += 1
        self._keep(self.embargoed_ids, record_id)

    def reject(self, record_id: str, reason: str) -> None:
        self.rejected[reason] += 1
        if len(self.rejected_ids) < MAX_IDS:
            self.rejected_ids[record_id] = reason
        else:
            self.ids_truncated = True

    def count(self, record_id: str, decision: str) -> None:
        """Count one decision: `accepted`, `embargoed` or a rejection reason."""
        if decision == ACCEPTED:
            self.accept(record_id)
        elif decision == EMBARGOED:
            self.embargo(record_id)
        else:
            self.reject(record_id, decision)

    def _keep(self, ids: list[str], record_id: str) -> None:
        if len(ids) < MAX_IDS:
            ids.append(record_id)
        else:
            self.ids_truncated = True

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(message[:500])

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "source": self.source,
            "seen": self.seen,
            "accepted": self.accepted,
            "embargoed": self.embargoed,
            "rejected": dict(sorted(self.rejected.items())),
            "duplicates": self.duplicates,
            "errors": self.errors,
            "created": self.created,
            "updated": self.updated,
            "accepted_ids": self.accepted_ids,
            "embargoed_ids": self.embargoed_ids,
            "rejected_ids": self.rejected_ids,
            "ids_truncated": self.ids_truncated,
            "error_samples": self.error_samples,
        }

    def summary(self) -> str:
        rejected = ", ".join(f"{reason} {count}" for reason, count in sorted(self.rejected.items()))
        return (
            f"seen {self.seen}, accepted {self.accepted} ({self.created} new, "
            f"{self.updated} updated), embargoed {self.embargoed}, "
            f"rejected {sum(self.rejected.values())}{f' ({rejected})' if rejected else ''}, "
            f"duplicates {self.duplicates}, errors {self.errors}"
        )

    def save(self, *, finished: bool = False) -> IngestRun:
        """Store the counters (call now and then during a run, and once at the end)."""
        values = {
            "kind": self.kind,
            "source": self.source,
            "seen": self.seen,
            "accepted": self.accepted,
            "embargoed": self.embargoed,
            "rejected": dict(self.rejected),
            "duplicates": self.duplicates,
            "errors": self.errors,
            "created": self.created,
            "updated": self.updated,
            "error_samples": self.error_samples,
            "finished_at": timezone.now() if finished else None,
        }
        if self.run is None:
            self.run = IngestRun.objects.create(**values)
        else:
            for name, value in values.items():
                setattr(self.run, name, value)
            self.run.save()
        return self.run
