"""Moderation's public writes: registering the keeper of ownership claims
(moderation.claims), flagging an asset (moderation.flags), and
scoring assets with the classifiers and recording the results: each score as a
`ClassifierScore` with its model's name and version, and the latest ones on the asset through
`catalog.scores` (search filters on them there). Nudity at or above MODERATION_HOLD_NSFW
holds the asset for a moderator's review (`catalog.holds`): it leaves search and downloads
until someone decides, unless a moderator already cleared it. A base-set asset waiting for
its scores is published once they are under that threshold (`catalog.publishing`)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image

from catalog.selectors import (
    AssetScores,
    ScoringSubject,
    asset_scoring_backlog,
    asset_scoring_subjects,
)
from catalog.services import assets_hold, assets_publish_checked, scores_record
from moderation.claims import claim_keeper_register
from moderation.classifiers import ModelInfo, faces, nudity, text_pii
from moderation.flags import flag_create
from moderation.images import Unreadable, scoring_images
from moderation.models import Classifier, ClassifierScore, FlagReason

UPDATED_FIELDS = ["model_name", "score", "details", "threshold", "over_threshold", "scored_at"]


__all__ = [
    "ScoringOutcome", "assets_score", "assets_score_later", "backlog_queue", "backlog_score",
    "claim_keeper_register", "flag_create", "on_assets_stored",
]  # fmt: skip


@dataclass
class ScoringOutcome:
    """What a scoring run did, by asset id."""

    scored: list[int] = field(default_factory=list)  # at least one score recorded
    held: list[int] = field(default_factory=list)  # nudity at or above the hold threshold
    newly_held: list[int] = field(default_factory=list)  # of those, taken out of circulation
    published: list[int] = field(default_factory=list)  # base-set assets cleared to publish
    unreadable: dict[int, str] = field(default_factory=dict)  # image not scored: why
    skipped: list[int] = field(default_factory=list)  # gone, rejected, or nothing stored

    def merge(self, other: "ScoringOutcome") -> None:
        self.scored += other.scored
        self.held += other.held
        self.newly_held += other.newly_held
        self.published += other.published
        self.unreadable.update(other.unreadable)
        self.skipped += other.skipped

    def summary(self) -> dict:
        return {
            "scored": len(self.scored),
            "held": self.held,
            "newly_held": self.newly_held,
            "published": len(self.published),
            "unreadable": {str(pk): reason for pk, reason in self.unreadable.items()},
            "skipped": len(self.skipped),
        }


def assets_score(*, asset_ids: Iterable[int]) -> ScoringOutcome:
    """Score these assets with every classifier, in one batch, and record the results in one
    transaction. Safe to repeat: a second run with the same models overwrites the same rows.
    An asset whose image cannot be read gets its text scored and stays in the backlog."""
    ids = sorted({int(pk) for pk in asset_ids})
    subjects = asset_scoring_subjects(ids)
    outcome = ScoringOutcome(skipped=sorted(set(ids) - {s.asset_id for s in subjects}))
    if not subjects:
        return outcome
    images = scoring_images(subjects)
    readable = [s for s in subjects if isinstance(images[s.asset_id], Image.Image)]
    pictures = [images[s.asset_id] for s in readable]
    nudity_by_asset = dict(
        zip((s.asset_id for s in readable), nudity.nudity_model().scores(pictures), strict=True)
    )
    faces_by_asset = {s.asset_id: faces.face_boxes(images[s.asset_id]) for s in readable}
    hold = settings.MODERATION_HOLD_NSFW
    now = timezone.now()

    results, rows = [], []
    for subject in subjects:
        image = images[subject.asset_id]
        found = text_pii.text_pii(subject.texts)
        rows.append(_row(subject, Classifier.TEXT_PII, text_pii.INFO, float(bool(found)),
                         {"found": found}, now))  # fmt: skip
        if isinstance(image, Unreadable):
            outcome.unreadable[subject.asset_id] = image.reason
            results.append(AssetScores(subject.asset_id, has_pii=bool(found)))
            continue
        seen = {"image": "thumbnail" if subject.is_thumbnail else "original",
                "width": image.width, "height": image.height}  # fmt: skip
        nsfw, boxes = nudity_by_asset[subject.asset_id], faces_by_asset[subject.asset_id]
        row = _row(subject, Classifier.NUDITY, nudity.INFO, nsfw, seen, now)
        row.threshold, row.over_threshold = hold, nsfw >= hold
        rows.append(row)
        rows.append(_row(subject, Classifier.FACES, faces.INFO, float(len(boxes)),
                         {**seen, "boxes": boxes}, now))  # fmt: skip
        results.append(AssetScores(subject.asset_id, nsfw_score=nsfw, face_count=len(boxes),
                                   has_pii=bool(found)))  # fmt: skip

    with transaction.atomic():
        recorded = set(scores_record(results=results))  # locks the assets, in id order
        rows = [row for row in rows if row.asset_id in recorded]
        ClassifierScore.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["asset", "classifier", "model_version"],
            update_fields=UPDATED_FIELDS,
        )
        over = {r.asset_id: r.score for r in rows if r.over_threshold}
        outcome.newly_held = assets_hold(
            asset_ids=sorted(over), actor="classifier", scores=over, threshold=hold
        )
        outcome.published = assets_publish_checked(asset_ids=recorded, actor="classifier")
    outcome.scored = sorted(recorded)
    outcome.held = sorted(over)
    outcome.skipped = sorted({*outcome.skipped, *(s.asset_id for s in subjects)} - recorded)
    return outcome


def assets_score_later(asset_ids: Iterable[int]) -> int:
    """Queue the `moderation.score_assets` task for these assets, MODERATION_BATCH_SIZE at a
    time, once the caller's transaction commits (at once outside one). Returns the number of
    tasks queued. Assets that cannot be scored (rejected, nothing stored) are skipped by the
    task, so callers may pass every asset they touched."""
    from moderation.tasks import score_assets_task  # tasks import this module

    ids = sorted({int(pk) for pk in asset_ids})
    size = settings.MODERATION_BATCH_SIZE
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]

    def enqueue() -> None:
        for chunk in chunks:
            score_assets_task.delay(chunk)

    if chunks:
        transaction.on_commit(enqueue)
    return len(chunks)


def on_assets_stored(sender, *, asset_ids: list[int], **kwargs) -> None:
    """Cloning or an upload stored these assets' files: score them as soon as it commits, so
    a score over the hold threshold takes them out of circulation within one task."""
    assets_score_later(asset_ids)


def backlog_score(
    *,
    batch_size: int,
    limit: int | None = None,
    rescore: bool = False,
    progress: Callable[[int], object] | None = None,
) -> ScoringOutcome:
    """Score the assets that have no scores yet (every scorable asset with `rescore`), in id
    order, `batch_size` at a time, until none is left or `limit` were tried."""
    outcome = ScoringOutcome()
    after, tried = 0, 0
    while limit is None or tried < limit:
        size = batch_size if limit is None else min(batch_size, limit - tried)
        ids = asset_scoring_backlog(rescore=rescore, after_id=after, limit=size)
        if not ids:
            break
        outcome.merge(assets_score(asset_ids=ids))
        tried, after = tried + len(ids), ids[-1]
        if progress:
            progress(len(ids))
    return outcome


def backlog_queue(
    *,
    batch_size: int,
    limit: int | None = None,
    rescore: bool = False,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Queue the backlog for the Celery workers instead of scoring it here: one
    `moderation.score_assets` task per MODERATION_BATCH_SIZE assets. Returns how many assets
    were queued."""
    after, queued = 0, 0
    while limit is None or queued < limit:
        size = batch_size if limit is None else min(batch_size, limit - queued)
        ids = asset_scoring_backlog(rescore=rescore, after_id=after, limit=size)
        if not ids:
            break
        assets_score_later(ids)
        queued, after = queued + len(ids), ids[-1]
        if progress:
            progress(len(ids))
    return queued


def _row(subject: ScoringSubject, classifier: str, model: ModelInfo, score: float,
         details: dict, now) -> ClassifierScore:  # fmt: skip
    return ClassifierScore(
        asset_id=subject.asset_id,
        classifier=classifier,
        model_name=model.name,
        model_version=model.version,
        score=score,
        details=details,
        scored_at=now,
    )


def asset_flag(*, reporter, asset_id: int, reason: str, description: str = ""):
    """Flag an asset for the moderators (see `moderation.flags.flag_create`): returns the
    flag and whether it is new (an open flag of the same person is returned as it is)."""
    return flag_create(reporter=reporter, asset_id=asset_id, reason=reason, description=description)


def flag_reasons() -> list[tuple[str, str]]:
    """The reasons a flag can give, as (code, label)."""
    return list(FlagReason.choices)
