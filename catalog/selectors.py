"""Catalog reads other apps call (the web pages): thumbnails and a few published images."""

from catalog.models import Asset, AssetStatus


def asset_thumbnail_key(asset_id: int, *, published_only: bool) -> str:
    """The stored thumbnail's key, or '' when there is none (or the asset is not published
    and only published ones may be shown)."""
    assets = Asset.objects.filter(pk=asset_id)
    if published_only:
        assets = assets.filter(status=AssetStatus.PUBLISHED)
    return assets.values_list("thumbnail_key", flat=True).first() or ""


def published_with_thumbnails(limit: int) -> list[Asset]:
    """The newest published assets that have a thumbnail, for the home page."""
    return list(
        Asset.objects.filter(status=AssetStatus.PUBLISHED)
        .exclude(thumbnail_key="")
        .only("pk", "title", "creator", "license", "thumbnail_key")
        .order_by("-pk")[:limit]
    )
