"""What rights holders see of how their works are used: downloads, distinct buyers and
declared purposes from the audit trail, earnings and payouts from the ledger; and the full
history of their works in the audit trail."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.fields.json import KT, KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from billing.selectors import earnings_by_work, payouts_of
from common.money import usd
from marketplace.models import Use, Work
from marketplace.offers import work_of
from provenance.models import EventKind, ProvenanceEvent

DOWNLOAD_KINDS = (EventKind.DOWNLOAD_GRANTED, EventKind.DOWNLOAD_REPEATED)
# Licenses bought before grants named a use (under the research/commercial offers): their
# use is the training license of their terms version.
LEGACY_USE = "training_license"


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
    uses: dict[str, int] = field(default_factory=dict)  # licenses bought per use
    earned_by_use_micros: dict[str, int] = field(default_factory=dict)  # their prices


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
            work.grants = row["n"]
    granted = events.filter(kind=EventKind.DOWNLOAD_GRANTED)
    # A buyer may license a work once per use: buyers are counted apart from grants.
    buyers = granted.values("asset_id").annotate(n=Count(KT("data__buyer_id"), distinct=True))
    for row in buyers:
        usage[row["asset_id"]].buyers = row["n"]
    purposes = granted.values("asset_id", purpose=KeyTextTransform("purpose", "data")).annotate(
        n=Count("id")
    )
    for row in purposes:
        usage[row["asset_id"]].purposes[row["purpose"]] = row["n"]
    by_use = granted.values("asset_id", use=KeyTextTransform("use", "data")).annotate(
        n=Count("id"), earned=Sum(Cast(KT("data__price_micros"), BigIntegerField()))
    )
    for row in by_use:
        use = row["use"] or LEGACY_USE
        work = usage[row["asset_id"]]
        work.uses[use] = work.uses.get(use, 0) + row["n"]
        work.earned_by_use_micros[use] = work.earned_by_use_micros.get(use, 0) + (
            row["earned"] or 0
        )
    for row in earnings_by_work(owner):
        kind, _, asset_id = row["reference"].partition(":")
        if kind == "asset" and asset_id.isdigit() and int(asset_id) in usage:
            usage[int(asset_id)].earned_micros = row["net_micros"]
    paid = sum(p.amount_micros - p.reversed_micros for p in payouts_of(owner)
               if p.state in ("sent", "reversed"))  # fmt: skip
    return UsageReport(list(usage.values()), paid)


CSV_COLUMNS = ["work_id", "asset_id", "title", "downloads", "grants", "buyers", "earned_usd",
               "research", "commercial", *Use.values]  # fmt: skip


def usage_csv(owner) -> str:
    """The usage report as CSV, one row per work (the API's export and the site's)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for work in usage_report(owner).works:
        writer.writerow([work.work_id, work.asset_id, work.title, work.downloads, work.grants,
                         work.buyers, usd(work.earned_micros), work.purposes.get("research", 0),
                         work.purposes.get("commercial", 0),
                         *(work.uses.get(use, 0) for use in Use.values)])  # fmt: skip
    return out.getvalue()


def usage_history(
    *,
    owner,
    work_id: int | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet:
    """Every audit-log event on the assets of the owner's works, newest first, as rows of
    what the owner may see. Buyers are private: of a download, the row keeps the declared
    purpose, the price paid to the owner and the terms version, never who the buyer is
    (the event's `actor` and `data` stay here). `work_id` not the owner's: NotFound."""
    works = Work.objects.filter(owner=owner)
    if work_id is not None:
        works = works.filter(pk=work_of(owner=owner, work_id=work_id).pk)
    events = ProvenanceEvent.objects.filter(asset_id__in=works.values("asset_id"))
    if kind:
        events = events.filter(kind=kind)
    if since:
        events = events.filter(created_at__gte=_day_start(since))
    if until and until < date.max:  # the whole day of `until` (the last day: no end)
        events = events.filter(created_at__lt=_day_start(until + timedelta(days=1)))
    download = Q(kind__in=DOWNLOAD_KINDS)
    return events.order_by("-created_at", "-id").values(
        "id",
        "created_at",
        "kind",
        "asset_id",
        "reason",
        work_id=Subquery(Work.objects.filter(asset_id=OuterRef("asset_id")).values("pk")[:1]),
        purpose=Case(When(download, then=KT("data__purpose"))),
        use=Case(When(download, then=KT("data__use"))),
        price_micros=Case(When(download, then=Cast(KT("data__price_micros"), BigIntegerField()))),
        terms_version=Case(When(download, then=KT("data__terms"))),
        seal_seq=F("seal__seq"),
        seal_hash=F("seal__hash"),
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())
