"""Thumbnails in the admin pages. Every thumbnail is served by the site's one thumbnail view
(`marketplace.web.works.thumbnail`, URL name `web:thumbnail`), which checks who may see it."""

from django.urls import reverse
from django.utils.html import format_html


def thumbnail_img(asset_id: int, thumbnail_key: str, width: int) -> str:
    """An <img> of the asset's thumbnail, or "-" when none is stored."""
    if not thumbnail_key:
        return "-"
    url = reverse("web:thumbnail", args=[asset_id])
    return format_html('<img src="{}" width="{}" alt="" loading="lazy">', url, width)
