"""Moderation's work as Celery tasks. Each is safe to repeat."""

from celery import shared_task
from django.conf import settings

from moderation.services import assets_score, backlog_score


@shared_task(name="moderation.score_assets")
def score_assets_task(asset_ids: list[int]) -> dict:
    """Score one batch of assets (queued by `assets_score_later`)."""
    return assets_score(asset_ids=asset_ids).summary()


@shared_task(name="moderation.score_backlog")
def score_backlog_task(limit: int | None = None) -> dict:
    """Score assets that have no scores yet, up to `limit` (for a periodic schedule)."""
    return backlog_score(batch_size=settings.MODERATION_BATCH_SIZE, limit=limit).summary()
