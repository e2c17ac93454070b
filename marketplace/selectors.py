"""Reads the web pages make: a work's state in a rights holder's words, their works filtered
by it, the dashboard's series, and notifications."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from billing.selectors import platform_fee_micros
from catalog.models import Asset, AssetStatus
from catalog.selectors import CONSENT_USES
from marketplace.models import DownloadGrant, Notification, Offer, OwnershipDeclaration, Work
from marketplace.models.works import HoldReason
from marketplace.uploads import works_of_owner
from marketplace.usage import DOWNLOAD_KINDS
from provenance.models import EventKind, ProvenanceEvent

# --- a work's state ---------------------------------------------------------------------

STATE_LABELS = {
    "draft": "Draft",
    "offered": "Offered",
    "published": "Published",
    "held": "Held for review",
    "withdrawn": "Withdrawn",
    "taken_down": "Taken down",
}

_current_offer = Offer.objects.filter(work=OuterRef("pk"), ended_at__isnull=True)
_not_down = ~Q(asset__status__in=[AssetStatus.TAKEN_DOWN, AssetStatus.WITHDRAWN])
STATE_FILTERS = {
    "draft": Q(asset__status=AssetStatus.CANDIDATE, hold="", has_offer=False),
    "offered": Q(asset__status=AssetStatus.CANDIDATE, hold="", has_offer=True),
    "published": Q(asset__status=AssetStatus.PUBLISHED),
    "held": Q(asset__status=AssetStatus.HELD) | (~Q(hold="") & _not_down),
    "withdrawn": Q(asset__status=AssetStatus.WITHDRAWN),
    "taken_down": Q(asset__status=AssetStatus.TAKEN_DOWN),
}

CLASSIFIER_HOLD = (
    "Our nudity classifier scored it high, so a moderator looks at it before anyone can "
    "license it. You will get a notification when it is decided."
)
UPLOAD_HOLD = {
    HoldReason.MATCHES_BASE_SET: "It looks like an image already in the public-domain base "
    "set. A moderator checks that it is your own work; declaring ownership with evidence "
    "helps.",
    HoldReason.MATCHES_OTHER_OWNER: "It looks like a work another rights holder uploaded. A "
    "moderator checks who owns it; declaring ownership with evidence helps.",
    HoldReason.OPTED_OUT: "The same file is on the opt-out registry. A moderator checks "
    "whether you are the person who opted it out.",
    HoldReason.RESERVES_TRAINING: "The file's own metadata reserves AI training. A moderator "
    "checks that you hold its rights and mean to offer it.",
    HoldReason.NAMES_ANOTHER: "The file's own metadata names another creator or rights "
    "holder. A moderator checks that it is yours; declaring ownership with evidence helps.",
}


def upload_hold_why(work: Work) -> str:
    """Why the work's upload is held, in its owner's words, with what its file's metadata
    said (the names and reservations found), or "" when it is not held."""
    if not work.hold:
        return ""
    why = UPLOAD_HOLD.get(work.hold, work.get_hold_display())
    found = file_metadata_found(work)
    return f"{why} {found}" if found else why


def file_metadata_found(work: Work) -> str:
    """What the file's metadata said that a moderator checks, in one sentence, or ""."""
    metadata = (work.hold_detail or {}).get("file_metadata") or {}
    parts = []
    names = [*metadata.get("other_creators", []), *metadata.get("other_rights", [])]
    if names:
        parts.append("names " + "; ".join(f"“{n}”" for n in names[:5]))
    reserving = [
        s.get("raw") or s.get("kind", "")
        for s in metadata.get("signals", [])
        if s.get("valid", True) and "reserved" in (s.get("uses") or {}).values()
    ]
    if reserving:
        parts.append("reserves AI training (" + "; ".join(reserving[:3]) + ")")
    return f"Its metadata {' and '.join(parts)}." if parts else ""


@dataclass(frozen=True)
class WorkState:
    code: str  # one of STATE_LABELS
    label: str
    why: str  # what holds it back, or what happens next, in the owner's words


def work_state(work: Work) -> WorkState:
    """Needs the prefetches of `works_of_owner` (current offer, newest declaration)."""
    status = work.asset.status
    offer = work.current_offers[0] if work.current_offers else None
    declaration = work.newest_declarations[0] if work.newest_declarations else None
    if status == AssetStatus.TAKEN_DOWN:
        return _state("taken_down", "A moderator took it down; see its history for why.")
    if status == AssetStatus.WITHDRAWN:
        return _state("withdrawn", "Not on offer. Licenses bought earlier stay valid.")
    if status == AssetStatus.HELD:
        return _state("held", CLASSIFIER_HOLD)
    if work.hold:
        return _state("held", upload_hold_why(work))
    if status == AssetStatus.PUBLISHED:
        return _state("published", "Buyers can find and license it.")
    if offer is None:
        return _state("draft", "Offer it, and declare that you own it, to publish it.")
    if declaration is None:
        return _state("offered", "Declare that you own it: it is published once accepted.")
    if declaration.state == OwnershipDeclaration.State.PENDING:
        return _state("offered", "Your ownership declaration waits for a moderator.")
    if declaration.state == OwnershipDeclaration.State.REJECTED:
        return _state("offered", "Your ownership declaration was rejected; see the note.")
    return _state("offered", "Waiting to be published.")


def _state(code: str, why: str) -> WorkState:
    return WorkState(code, STATE_LABELS[code], why)


def works_for_page(owner, *, state: str = "", query: str = "") -> QuerySet[Work]:
    """The owner's works, newest first, in one state and/or matching words of the title."""
    works = works_of_owner(owner).annotate(has_offer=Exists(_current_offer))
    if state in STATE_FILTERS:
        works = works.filter(STATE_FILTERS[state])
    if query.strip():
        works = works.filter(asset__title__icontains=query.strip())
    return works


def work_state_counts(owner) -> dict[str, int]:
    works = Work.objects.filter(owner=owner).annotate(has_offer=Exists(_current_offer))
    return {code: works.filter(condition).count() for code, condition in STATE_FILTERS.items()}


def owns_asset(user, asset_id: int) -> bool:
    return Work.objects.filter(owner=user, asset_id=asset_id).exists()


def work_is_licensed(work: Work) -> bool:
    """Someone holds a license to it: it can be withdrawn but never deleted."""
    return DownloadGrant.objects.filter(asset_id=work.asset_id).exists()


# --- consent: the uses a work may be put to ------------------------------------------------


def work_uses(work: Work) -> dict[str, int]:
    """The uses the work is offered for now, each with its price in micro-USD (the uses of
    the CAWG training-and-data-mining vocabulary); empty when it is not on offer. The one
    place that says what a work may be used for: the files we serve, their policies and
    headers read it.

    Offers state research and/or commercial use and one price today: every use is offered,
    at that price, while an offer is current."""
    offer = Offer.objects.filter(work=work, ended_at__isnull=True).only("price_micros").first()
    if offer is None:
        return {}
    return dict.fromkeys(CONSENT_USES, offer.price_micros)


def grant_use(grant: DownloadGrant) -> str | None:
    """The use a grant licenses (a CAWG training-and-data-mining use), or None when the
    grant records none. Grants record a declared purpose today; per-use grants will carry
    their use, and this is the one place that reads it."""
    return getattr(grant, "use", None) or None


# --- prices as a buyer sees them -----------------------------------------------------------


@dataclass(frozen=True)
class PriceBreakdown:
    price_micros: int
    fee_micros: int

    @property
    def buyer_pays_micros(self) -> int:
        return self.price_micros + self.fee_micros


def price_breakdown(price_micros: int) -> PriceBreakdown:
    """What the artist keeps (the whole price), the platform's fee and what a buyer pays."""
    return PriceBreakdown(price_micros, platform_fee_micros())


# --- the dashboard's series ---------------------------------------------------------------


@dataclass(frozen=True)
class DayUsage:
    day: date
    downloads: int
    earned_micros: int


def usage_by_day(owner, *, days: int = 30, today: date | None = None) -> list[DayUsage]:
    """Downloads of the owner's works and what licenses paid them, per day for the last
    `days` days (from the audit log: a license's price is earned on the day it is bought)."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    per_day = {first + timedelta(days=i): [0, 0] for i in range(days)}
    events = ProvenanceEvent.objects.filter(
        asset_id__in=Work.objects.filter(owner=owner).values("asset_id"),
        kind__in=DOWNLOAD_KINDS,
        created_at__date__gte=first,
    ).values_list("created_at", "kind", "data")
    for created_at, kind, data in events:
        bucket = per_day.get(timezone.localdate(created_at))
        if bucket is None:
            continue
        bucket[0] += 1
        if kind == EventKind.DOWNLOAD_GRANTED:
            bucket[1] += int(data.get("price_micros") or 0)
    return [DayUsage(day, n, earned) for day, (n, earned) in per_day.items()]


# --- notifications ----------------------------------------------------------------------


def notifications_unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_of(user) -> QuerySet[Notification]:
    """Newest first, each with the id of the person's work it concerns (if any) and, for a
    takedown of something they licensed, what to delete: the asset's title, its file's
    SHA-256 and type, and when they licensed it."""
    work = Work.objects.filter(asset_id=OuterRef("asset_id"), owner=user).values("pk")[:1]
    asset = Asset.objects.filter(pk=OuterRef("asset_id"))
    grant = DownloadGrant.objects.filter(asset_id=OuterRef("asset_id"), buyer=user)
    return Notification.objects.filter(user=user).annotate(
        work_id=Subquery(work),
        asset_title=Subquery(asset.values("title")[:1]),
        asset_sha256=Subquery(asset.values("sha256")[:1]),
        asset_mime=Subquery(asset.values("mime_type")[:1]),
        licensed_at=Subquery(grant.values("created_at")[:1]),
    )


# --- after a license: the revocations feed, receipts, webhook endpoints, the summary --------
# (defined in their modules, which read `grant_use` above: imported last)

from marketplace.receipts import receipt_keys_published, receipt_of  # noqa: E402
from marketplace.revocations import revocation_item, revocations_of, revocations_page  # noqa: E402
from marketplace.training_summary import (  # noqa: E402
    summary_scope,
    training_summary,
    training_summary_json,
    training_summary_markdown,
)
from marketplace.webhooks import webhook_endpoints_of  # noqa: E402

__all__ = [
    "receipt_keys_published", "receipt_of", "revocation_item", "revocations_of",
    "revocations_page", "summary_scope", "training_summary", "training_summary_json",
    "training_summary_markdown", "webhook_endpoints_of",
]  # fmt: skip
