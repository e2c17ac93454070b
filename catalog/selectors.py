"""The catalog's public reads: what other apps may ask of the catalog. Some are defined
here; the others in the catalog module named beside them. Other apps use these (and the
models), never the catalog's other modules (enforced in `make lint`)."""

from catalog.images import EXTENSION_BY_MIME, MIME_BY_FORMAT, ImageRejected, decode_image
from catalog.licenses import LICENSE_URLS, normalize_license
from catalog.models import Asset, AssetStatus
from catalog.optouts import opted_out
from catalog.pd12m.files import caption
from catalog.releases import COLUMNS as RELEASE_COLUMNS
from catalog.releases import FILE_FORMAT as RELEASE_FILE_FORMAT
from catalog.releases import MIME_TYPE as RELEASE_MIME_TYPE
from catalog.releases import license_counts, release_datasheet, released, released_get
from catalog.scores import (
    AssetScores,
    ScoringSubject,
    asset_scoring_backlog,
    asset_scoring_backlog_count,
    asset_scoring_subjects,
)
from catalog.search import ORDERINGS, SCORE_FILTERS, asset_page, published, search_page
from catalog.search_params import AssetSearchParamsSerializer, ThresholdsSerializer
from catalog.upload_files import VerifiedImage, declared_format, read_limited, upload_verify
from catalog.uploads import (
    MAX_CREATION_DATE_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    UploadMatch,
    WorkText,
    creation_date_clean,
    tags_clean,
    upload_matches,
)

__all__ = [
    "EXTENSION_BY_MIME", "LICENSE_URLS", "MAX_CREATION_DATE_LENGTH", "MAX_TAGS",
    "MAX_TAG_LENGTH", "MIME_BY_FORMAT", "ORDERINGS", "RELEASE_COLUMNS",
    "RELEASE_FILE_FORMAT", "RELEASE_MIME_TYPE", "SCORE_FILTERS", "AssetScores",
    "AssetSearchParamsSerializer", "ImageRejected", "ScoringSubject", "ThresholdsSerializer",
    "UploadMatch", "VerifiedImage", "WorkText", "asset_page", "asset_scoring_backlog",
    "asset_scoring_backlog_count", "asset_scoring_subjects", "asset_thumbnail_key",
    "caption", "creation_date_clean", "declared_format", "decode_image", "license_counts",
    "normalize_license", "opted_out", "published", "published_with_thumbnails",
    "read_limited", "release_datasheet", "released", "released_get", "search_page",
    "tags_clean", "upload_matches", "upload_verify",
]  # fmt: skip


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
