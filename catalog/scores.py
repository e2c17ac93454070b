"""Classifier scores on assets: what buyers filter search by (`max_nsfw`, `max_faces`,
`exclude_pii`). Moderation computes the scores; this module picks the assets to score and
records the results on them."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.models import Asset, AssetStatus

SCORE_FIELDS = ("nsfw_score", "face_count", "has_pii")

# Assets buyers see or may soon see, with an image in our storage. Rejected, taken-down and
# withdrawn assets are not scored: nobody searches them.
SCORED_STATUSES = (AssetStatus.PUBLISHED, AssetStatus.CANDIDATE, AssetStatus.EMBARGOED,
                   AssetStatus.HELD)  # fmt: skip
SCORABLE = Q(status__in=SCORED_STATUSES) & (~Q(thumbnail_key="") | ~Q(original_key=""))
UNSCORED = Q(nsfw_score__isnull=True) | Q(face_count__isnull=True) | Q(has_pii__isnull=True)


@dataclass(frozen=True)
class AssetScores:
    """Classifier results for one asset; None leaves that score as it is."""

    asset_id: int
    nsfw_score: float | None = None
    face_count: int | None = None
    has_pii: bool | None = None


@dataclass(frozen=True)
class ScoringSubject:
    """What the classifiers look at: the stored image and the text fields."""

    asset_id: int
    image_key: (
        str  # the thumbnail when there is one (small, already decoded once), else the original
    )
    is_thumbnail: bool
    texts: dict[str, str]  # field name -> text (tags joined)


def scores_record(*, results: Iterable[AssetScores]) -> list[int]:
    """Write the scores onto their assets in one statement; returns the ids of the assets
    updated (assets that no longer exist are skipped). Rows are locked in id order, so
    concurrent scoring of overlapping batches cannot deadlock."""
    by_id = {r.asset_id: r for r in results}
    for r in by_id.values():
        if r.nsfw_score is not None and not 0 <= r.nsfw_score <= 1:
            raise ValueError(f"asset {r.asset_id}: nsfw_score {r.nsfw_score} is not in [0, 1]")
        if r.face_count is not None and r.face_count < 0:
            raise ValueError(f"asset {r.asset_id}: face_count {r.face_count} is negative")
    if not by_id:
        return []
    now = timezone.now()
    with transaction.atomic():
        assets = list(
            Asset.objects.select_for_update()
            .filter(pk__in=by_id)
            .order_by("pk")
            .only("pk", *SCORE_FIELDS)
        )
        for asset in assets:
            result = by_id[asset.pk]
            for name in SCORE_FIELDS:
                value = getattr(result, name)
                if value is not None:
                    setattr(asset, name, value)
            asset.updated_at = now
        Asset.objects.bulk_update(assets, [*SCORE_FIELDS, "updated_at"])
    return [asset.pk for asset in assets]


def asset_scoring_backlog(*, rescore: bool = False, after_id: int = 0, limit: int) -> list[int]:
    """The next `limit` asset ids to score, in id order after `after_id` (keyset pages: a run
    passes over the table once, even when some assets cannot be scored)."""
    return list(
        _backlog(rescore=rescore)
        .filter(pk__gt=after_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def asset_scoring_backlog_count(*, rescore: bool = False) -> int:
    return _backlog(rescore=rescore).count()


def asset_scoring_subjects(asset_ids: Iterable[int]) -> list[ScoringSubject]:
    """The scorable assets among these ids, in id order, with what the classifiers read."""
    rows = (
        Asset.objects.filter(SCORABLE, pk__in=list(asset_ids))
        .order_by("pk")
        .values_list("pk", "thumbnail_key", "original_key", "title", "description", "creator",
                     "tags")
    )  # fmt: skip
    return [
        ScoringSubject(
            asset_id=pk,
            image_key=thumbnail_key or original_key,
            is_thumbnail=bool(thumbnail_key),
            texts={
                "title": title,
                "description": description,
                "creator": creator,
                "tags": "\n".join(str(tag) for tag in tags or [] if tag),
            },
        )
        for pk, thumbnail_key, original_key, title, description, creator, tags in rows
    ]


def _backlog(*, rescore: bool) -> QuerySet[Asset]:
    queryset = Asset.objects.filter(SCORABLE)
    return queryset if rescore else queryset.filter(UNSCORED)
