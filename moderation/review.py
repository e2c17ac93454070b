"""The review queue: every asset waiting for a moderator, whatever brought it there.

An asset is in the queue while it has an open flag, is held by a classifier, has an
ownership claim to verify (a pending declaration, or an upload held because its file
matches someone else's), or is embargoed past the end of its embargo (the periodic release
could not re-check it). Each reason is a query on a small indexed set, so the queue stays
cheap however large the catalog grows."""

from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from catalog.models import Asset, AssetStatus
from moderation.claims import claim_keeper
from moderation.models import Flag
from provenance.models import EventKind, ProvenanceEvent


class Reason(TextChoices):
    FLAGGED = "flagged", "Flagged"
    CLASSIFIER_HOLD = "classifier_hold", "Held by a classifier"
    OWNERSHIP_CLAIM = "ownership_claim", "Ownership to verify"
    EMBARGO_RELEASE = "embargo_release", "Embargo over, not yet released"
    TAKEN_DOWN = "taken_down", "Taken down (to restore)"


# What the queue shows unless a reason is chosen: what still waits for a decision.
WAITING = (Reason.FLAGGED, Reason.CLASSIFIER_HOLD, Reason.OWNERSHIP_CLAIM,
           Reason.EMBARGO_RELEASE)  # fmt: skip
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=timezone.get_fixed_timezone(0))


def _open_flags():
    return Flag.objects.filter(state=Flag.State.OPEN)


def _claims():
    """Rows of `asset_id` and `since`, one per asset whose ownership claim waits (none when
    no app keeps claims)."""
    keeper = claim_keeper()
    return (
        keeper.waiting()
        if keeper
        else Asset.objects.none().annotate(asset_id=F("pk"), since=F("created_at"))
    )


def reason_condition(reason: str) -> Q:
    """The assets waiting for this reason."""
    if reason == Reason.FLAGGED:
        return Q(pk__in=_open_flags().values("asset_id"))
    if reason == Reason.CLASSIFIER_HOLD:
        return Q(status=AssetStatus.HELD)
    if reason == Reason.OWNERSHIP_CLAIM:
        return Q(pk__in=_claims().values("asset_id"))
    if reason == Reason.EMBARGO_RELEASE:
        return Q(status=AssetStatus.EMBARGOED, embargo_until__lte=timezone.now())
    if reason == Reason.TAKEN_DOWN:
        return Q(status=AssetStatus.TAKEN_DOWN)
    raise ValueError(f"unknown reason {reason!r}")


def review_queue(reasons=WAITING) -> QuerySet[Asset]:
    """The assets waiting for these reasons (every asset with None: the admin filters),
    each with `open_flags` (a count), `has_claim` and `waiting_since` (when the oldest of
    its reasons began), oldest first."""
    condition = Q()
    for reason in reasons or ():
        condition |= reason_condition(reason)
    flags = _open_flags().filter(asset=OuterRef("pk")).order_by().values("asset")
    held_at = (
        ProvenanceEvent.objects.filter(asset_id=OuterRef("pk"), kind=EventKind.HELD)
        .order_by("-id")
        .values("created_at")[:1]
    )
    claimed_at = _claims().filter(asset_id=OuterRef("pk")).values("since")[:1]
    since = [
        Subquery(flags.annotate(first=Min("created_at")).values("first")),
        Subquery(claimed_at),
        When(status=AssetStatus.HELD, then=Subquery(held_at)),
        When(status=AssetStatus.EMBARGOED, then=F("embargo_until")),
        When(status=AssetStatus.TAKEN_DOWN, then=F("updated_at")),
    ]
    # LEAST ignores NULLs: an asset waits since the earliest reason it has.
    parts = [Case(value) if isinstance(value, When) else value for value in since]
    return (
        Asset.objects.filter(condition)
        .annotate(
            open_flags=Coalesce(
                Subquery(flags.annotate(n=Count("pk")).values("n")), 0, output_field=IntegerField()
            ),
            has_claim=Exists(_claims().filter(asset_id=OuterRef("pk"))),
            waiting_since=Least(*parts, output_field=DateTimeField()),
        )
        .order_by("waiting_since", "pk")
    )


def waiting_longer_than(queryset: QuerySet[Asset], days: int) -> QuerySet[Asset]:
    return queryset.filter(waiting_since__lte=timezone.now() - timedelta(days=days))
