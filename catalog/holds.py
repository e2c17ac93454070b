"""Classifier holds and the sensitive mark: moderation's review of what the classifiers
found, applied to the catalog.

A nudity score at or above the platform's threshold (MODERATION_HOLD_NSFW) holds the asset:
it leaves search and downloads until a moderator decides. A moderator then clears the hold
(it returns to the status it had, a base-set asset held before it was
published is published, and later scores do not hold it again), marks it
sensitive (cleared, and buyers can leave it out with `exclude_sensitive`), or takes it down.
Every change locks the asset row first, so two moderators deciding at once cannot both
act: the second sees the first one's result."""

from django.db import transaction
from django.utils import timezone

from catalog.models import Asset, AssetStatus
from catalog.publishing import assets_publish_checked
from catalog.search_documents import search_documents_refresh
from catalog.signals import asset_hold_cleared
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

# What a hold can interrupt: a published asset, or an upload waiting to be published.
HOLDABLE = (AssetStatus.PUBLISHED, AssetStatus.CANDIDATE)


class NotApplicable(Exception):
    """The decision does not apply to the asset as it is now (decided meanwhile, say)."""

    def __init__(self, status: str):
        super().__init__(f"it is {AssetStatus(status).label.lower()}")
        self.status = status


def assets_hold(*, asset_ids: list[int], actor: str, scores: dict[int, float],
                threshold: float) -> list[int]:  # fmt: skip
    """Hold these assets for review (the caller has found their scores at or above the
    threshold). Assets a moderator already cleared, and those not published or waiting to
    be, are left alone. Returns the ids held."""
    with transaction.atomic():
        assets = list(
            Asset.objects.select_for_update()
            .filter(pk__in=asset_ids, status__in=HOLDABLE, hold_cleared_at__isnull=True)
            .order_by("pk")
            .only("pk", "status")
        )
        if not assets:
            return []
        previous = {asset.pk: asset.status for asset in assets}
        Asset.objects.filter(pk__in=previous).update(
            status=AssetStatus.HELD, updated_at=timezone.now()
        )
        events_append(
            ProvenanceEvent(
                asset_id=pk, kind=EventKind.HELD, reason="nsfw_over_threshold", actor=actor,
                data={"previous_status": status, "score": scores.get(pk),
                      "threshold": threshold},
            )
            for pk, status in previous.items()
        )  # fmt: skip
    return sorted(previous)


@transaction.atomic
def asset_hold_clear(*, asset_id: int, actor: str, sensitive: bool = False,
                     note: str = "") -> Asset:  # fmt: skip
    """A moderator lets a held asset go back to the status it had before the hold (an
    opt-in work's status is then worked out again from its offer), optionally marked
    sensitive. Raises NotApplicable when it is no longer held."""
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if asset.status != AssetStatus.HELD:
        raise NotApplicable(asset.status)
    hold = (
        ProvenanceEvent.objects.filter(asset_id=asset_id, kind=EventKind.HELD)
        .order_by("-id")
        .values_list("data", flat=True)
        .first()
    ) or {}
    asset.status = hold.get("previous_status") or AssetStatus.PUBLISHED
    asset.hold_cleared_at = timezone.now()
    asset.sensitive = asset.sensitive or sensitive
    asset.save(update_fields=["status", "hold_cleared_at", "sensitive", "updated_at"])
    events_append(
        [ProvenanceEvent(asset_id=asset_id, kind=EventKind.HOLD_CLEARED, actor=actor,
                         data={"status": asset.status, "sensitive": asset.sensitive,
                               "note": note[:500]})]
    )  # fmt: skip
    # An opt-in work's offer may have changed while it was held: its owner's app decides.
    asset_hold_cleared.send(sender=Asset, asset_id=asset_id)
    # A base-set asset held before it was ever published is published now (which writes
    # its search document).
    published = assets_publish_checked(asset_ids=[asset_id], actor=actor)
    asset.refresh_from_db(fields=["status"])
    if asset.status == AssetStatus.PUBLISHED and not published:
        search_documents_refresh([asset_id])
    return asset


@transaction.atomic
def asset_mark_sensitive(*, asset_id: int, actor: str, note: str = "") -> bool:
    """Mark a published or withdrawn asset sensitive; a held one is cleared as sensitive.
    Returns False, changing nothing, when it already was sensitive. Raises NotApplicable for an
    asset taken down, rejected or not yet published: there is nothing to mark."""
    asset = Asset.objects.select_for_update().only("pk", "status", "sensitive").get(pk=asset_id)
    if asset.status == AssetStatus.HELD:
        asset_hold_clear(asset_id=asset_id, actor=actor, sensitive=True, note=note)
        return True
    if asset.status not in (AssetStatus.PUBLISHED, AssetStatus.WITHDRAWN):
        raise NotApplicable(asset.status)
    if asset.sensitive:
        return False
    asset.sensitive = True
    asset.save(update_fields=["sensitive", "updated_at"])
    events_append(
        [ProvenanceEvent(asset_id=asset_id, kind=EventKind.MARKED_SENSITIVE, actor=actor,
                         data={"note": note[:500]})]
    )  # fmt: skip
    return True
