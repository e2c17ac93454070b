"""Catalog writes other apps call: the state of opt-in works as their owners offer them."""

from django.db import transaction

from catalog.models import Asset, AssetStatus
from catalog.search_documents import search_documents_refresh

# A moderator's takedown is never undone by an owner's offer.
OWNER_SETTABLE = (AssetStatus.CANDIDATE, AssetStatus.PUBLISHED, AssetStatus.WITHDRAWN)


@transaction.atomic
def opt_in_asset_offer(*, asset_id: int, status: str, price_micros: int | None) -> bool:
    """Set an opt-in asset's status and price as its current offer says, and keep search in
    step. Returns False (and changes nothing) when the asset was taken down."""
    if status not in OWNER_SETTABLE:
        raise ValueError(f"an owner cannot set status {status!r}")
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if asset.status == AssetStatus.TAKEN_DOWN:
        return False
    asset.status, asset.price_micros = status, price_micros
    asset.save(update_fields=["status", "price_micros", "updated_at"])
    search_documents_refresh([asset.pk] if status == AssetStatus.PUBLISHED else [])
    return True
