"""What rights holders see of how their works are used: downloads, distinct buyers and
declared purposes from the audit trail, earnings and payouts from the ledger."""

from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.fields.json import KeyTextTransform

from billing.selectors import earnings_by_work, payouts_of
from marketplace.models import Work
from provenance.models import EventKind, ProvenanceEvent

DOWNLOAD_KINDS = (EventKind.DOWNLOAD_GRANTED, EventKind.DOWNLOAD_REPEATED)


@dataclass
class WorkUsage:
    work_id: int
    asset_id: int
    title: str
    downloads: int = 0
    grants: int = 0
    buyers: int = 0
    earned_micros: int = 0
    purposes: dict[str, int] = field(default_factory=dict)


@dataclass
class UsageReport:
    works: list[WorkUsage]
    paid_out_micros: int

    @property
    def totals(self) -> dict:
        return {
            "downloads": sum(w.downloads for w in self.works),
            "grants": sum(w.grants for w in self.works),
            "earned_micros": sum(w.earned_micros for w in self.works),
            "paid_out_micros": self.paid_out_micros,
        }


def usage_report(owner) -> UsageReport:
    works = list(Work.objects.filter(owner=owner).select_related("asset").order_by("pk"))
    usage = {w.asset_id: WorkUsage(w.pk, w.asset_id, w.asset.title) for w in works}
    events = ProvenanceEvent.objects.filter(asset_id__in=list(usage), kind__in=DOWNLOAD_KINDS)
    for row in events.values("asset_id", "kind").annotate(n=Count("id")):
        work = usage[row["asset_id"]]
        work.downloads += row["n"]
        if row["kind"] == EventKind.DOWNLOAD_GRANTED:
            # A buyer is granted an asset once: grants are distinct buyers.
            work.grants = work.buyers = row["n"]
    purposes = (
        events.filter(kind=EventKind.DOWNLOAD_GRANTED)
        .values("asset_id", purpose=KeyTextTransform("purpose", "data"))
        .annotate(n=Count("id"))
    )
    for row in purposes:
        usage[row["asset_id"]].purposes[row["purpose"]] = row["n"]
    for row in earnings_by_work(owner):
        kind, _, asset_id = row["reference"].partition(":")
        if kind == "asset" and asset_id.isdigit() and int(asset_id) in usage:
            usage[int(asset_id)].earned_micros = row["net_micros"]
    paid = sum(p.amount_micros - p.reversed_micros for p in payouts_of(owner)
               if p.state in ("sent", "reversed"))  # fmt: skip
    return UsageReport(list(usage.values()), paid)
