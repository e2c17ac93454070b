"""Thumbnails served by this site when media is kept in a local folder (the demo).

With S3, thumbnail links are presigned URLs to the bucket and this view answers 404. Only
thumbnails are served here: originals of opt-in works are sold, and reach buyers only
through their signed download links."""

import re

from django.core.files.storage import FileSystemStorage, storages
from django.http import FileResponse, Http404
from django.utils.html import format_html

# Content-addressed keys, as cloning and uploads write them: nothing else can be asked for.
THUMBNAIL_KEY = re.compile(r"thumbnails/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.jpg")


def local_thumbnail(request, key: str) -> FileResponse:
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage) or not THUMBNAIL_KEY.fullmatch(key):
        raise Http404("No such thumbnail.")
    try:
        response = FileResponse(storage.open(key), content_type="image/jpeg")
    except FileNotFoundError as exc:
        raise Http404("No such thumbnail.") from exc
    # Same bytes for ever under the same key.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def thumbnail_img(key: str, width: int) -> str:
    """An <img> of a stored thumbnail for the admin pages, or "-" when there is none."""
    if not key:
        return "-"
    return format_html(
        '<img src="{}" width="{}" alt="" loading="lazy">', storages["default"].url(key), width
    )
