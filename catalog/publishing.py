"""When a base-set asset is published: once its original is stored, it is not a duplicate,
and the classifiers have scored it below the hold threshold. Cloning leaves it a candidate;
scoring (or a moderator clearing its hold) publishes it here. Opt-in works are published by
their owner's offer instead (marketplace)."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from catalog.models import OPT_IN_SOURCE, Asset, AssetStatus, CloneState
from catalog.search_documents import search_documents_refresh
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

# Stored, canonical and scored: nothing is left to check before buyers see it.
READY = {
    "status": AssetStatus.CANDIDATE,
    "clone_state": CloneState.DONE,
    "canonical__isnull": True,
    "nsfw_score__isnull": False,
}


def assets_publish_checked(*, asset_ids: Iterable[int], actor: str) -> list[int]:
    """Publish the base-set assets among these that are ready (see READY); the rest are left
    as they are, so callers may pass every asset they scored. Returns the ids published."""
    ids = sorted({int(pk) for pk in asset_ids})
    if not ids:
        return []
    with transaction.atomic():
        ready = list(
            Asset.objects.select_for_update()
            .filter(pk__in=ids, **READY)
            .exclude(source=OPT_IN_SOURCE)
            .order_by("pk")
            .values_list("pk", "nsfw_score")
        )
        published = [pk for pk, _ in ready]
        if not published:
            return []
        Asset.objects.filter(pk__in=published).update(
            status=AssetStatus.PUBLISHED, updated_at=timezone.now()
        )
        events_append(
            ProvenanceEvent(asset_id=pk, kind=EventKind.PUBLISHED, actor=actor,
                            data={"nsfw_score": nsfw})
            for pk, nsfw in ready
        )  # fmt: skip
        search_documents_refresh(published)
    return published
