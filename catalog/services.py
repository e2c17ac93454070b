"""Catalog writes other apps call: the state of opt-in works as their owners offer them,
their deletion, and takedowns."""

from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Q

from catalog.models import OPT_IN_SOURCE, Asset, AssetStatus
from catalog.search_documents import search_documents_refresh
from catalog.signals import asset_taken_down
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

# A moderator's takedown is never undone by an owner's offer.
OWNER_SETTABLE = (AssetStatus.CANDIDATE, AssetStatus.PUBLISHED, AssetStatus.WITHDRAWN)


@transaction.atomic
def opt_in_asset_offer(*, asset_id: int, status: str, price_micros: int | None) -> bool:
    """Set an opt-in asset's status and price as its current offer says, and keep search in
    step. Returns False (and changes nothing) when the asset was taken down or is held for
    review: a moderator's decision comes first, and clearing a hold refreshes the offer."""
    if status not in OWNER_SETTABLE:
        raise ValueError(f"an owner cannot set status {status!r}")
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if asset.status in (AssetStatus.TAKEN_DOWN, AssetStatus.HELD):
        return False
    asset.status, asset.price_micros = status, price_micros
    asset.save(update_fields=["status", "price_micros", "updated_at"])
    search_documents_refresh([asset.pk] if status == AssetStatus.PUBLISHED else [])
    return True


@transaction.atomic
def asset_take_down(*, asset_id: int, actor: str, reason: str, note: str = "") -> bool:
    """Take an asset down everywhere at once: search and detail stop showing it, new grants
    are refused, download links stop working and manifests leave it out (they all read the
    status). Returns False, changing nothing, when it was already down."""
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if asset.status == AssetStatus.TAKEN_DOWN:
        return False
    previous = asset.status
    asset.status = AssetStatus.TAKEN_DOWN
    asset.save(update_fields=["status", "updated_at"])
    events_append(
        [
            ProvenanceEvent(
                asset_id=asset_id,
                kind=EventKind.TAKEN_DOWN,
                reason=reason,
                actor=actor,
                data={"previous_status": previous, "note": note},
            )
        ]
    )
    transaction.on_commit(
        lambda: asset_taken_down.send(sender=Asset, asset_id=asset_id, reason=reason)
    )
    return True


@transaction.atomic
def asset_restore(*, asset_id: int, actor: str, note: str = "") -> bool:
    """Undo a takedown: the asset returns to the status it had. False if it was not down."""
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if asset.status != AssetStatus.TAKEN_DOWN:
        return False
    last = (
        ProvenanceEvent.objects.filter(asset_id=asset_id, kind=EventKind.TAKEN_DOWN)
        .order_by("-id")
        .first()
    )
    asset.status = (last.data.get("previous_status") if last else "") or AssetStatus.PUBLISHED
    asset.save(update_fields=["status", "updated_at"])
    if asset.status == AssetStatus.PUBLISHED:
        search_documents_refresh([asset.pk])
    events_append(
        [
            ProvenanceEvent(
                asset_id=asset_id, kind=EventKind.RESTORED, actor=actor,
                data={"status": asset.status, "note": note},
            )
        ]
    )  # fmt: skip
    return True


@transaction.atomic
def opt_in_asset_delete(*, asset_id: int, actor: str) -> None:
    """Delete an opt-in asset nobody licensed (the caller checks), with its scores and
    flags; its stored files go once the deletion commits, unless another asset shares them
    (files are stored by content). Its audit-log history stays, ending with the deletion."""
    asset = Asset.objects.select_for_update().get(pk=asset_id, source=OPT_IN_SOURCE)
    keys = [key for key in (asset.original_key, asset.thumbnail_key) if key]
    events_append(
        [
            ProvenanceEvent(
                asset_id=asset_id, kind=EventKind.UPLOAD_DELETED, actor=actor,
                data={"sha256": asset.sha256, "title": asset.title},
            )
        ]
    )  # fmt: skip
    asset.delete()
    shared = set(
        Asset.objects.filter(Q(original_key__in=keys) | Q(thumbnail_key__in=keys)).values_list(
            "original_key", "thumbnail_key"
        )
    )
    unused = [key for key in keys if not any(key in pair for pair in shared)]
    transaction.on_commit(lambda: [storages["default"].delete(key) for key in unused])
