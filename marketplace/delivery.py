"""Short-lived download URLs for granted assets.

On S3 the URL is presigned by S3 and expires after DOWNLOAD_URL_SECONDS. On local storage
(the demo) it is a signed link to our own file view, which checks the grant and the asset's
status again at serving time, so a takedown stops it at once."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from catalog.images import EXTENSION_BY_MIME
from catalog.models import Asset, AssetStatus
from marketplace.errors import DomainError
from marketplace.models import DownloadGrant

SALT = "marketplace.download"
# Grants stay valid when the owner withdraws the work; a takedown ends them.
SERVABLE = (AssetStatus.PUBLISHED, AssetStatus.WITHDRAWN)


class LinkInvalid(DomainError):
    code = "link_invalid"
    status_code = 403


class Gone(DomainError):
    code = "taken_down"
    status_code = 410


@dataclass(frozen=True)
class Link:
    url: str
    expires_at: datetime


def _on_s3() -> bool:
    return hasattr(default_storage, "bucket_name")


def signed_link(
    *, key: str, seconds: int, filename: str, mime_type: str, grant_id: int | None = None
) -> Link:
    """A link to a stored object valid for `seconds`. Links for a grant are checked against
    the grant and the asset's status again when served locally."""
    expires_at = timezone.now() + timedelta(seconds=seconds)
    if _on_s3():
        return Link(default_storage.url(key, expire=seconds), expires_at)
    claims = {"k": key, "e": int(expires_at.timestamp()), "n": filename, "t": mime_type}
    if grant_id is not None:
        claims["g"] = grant_id
    return Link(reverse("download-file", args=[signing.dumps(claims, salt=SALT)]), expires_at)


def download_link(*, grant_id: int, asset: Asset, seconds: int | None = None) -> Link:
    extension = EXTENSION_BY_MIME.get(asset.mime_type, "bin")
    return signed_link(
        key=asset.original_key,
        seconds=seconds or settings.DOWNLOAD_URL_SECONDS,
        filename=f"asset-{asset.pk}.{extension}",
        mime_type=asset.mime_type or "application/octet-stream",
        grant_id=grant_id,
    )


@dataclass(frozen=True)
class Served:
    key: str
    filename: str
    mime_type: str


def file_for_token(token: str) -> Served:
    """What a signed link points at, checked now: unexpired, and for a grant, the grant
    still there and its asset not taken down."""
    try:
        claims = signing.loads(token, salt=SALT)
    except signing.BadSignature as error:
        raise LinkInvalid("This download link is not valid.") from error
    if timezone.now().timestamp() > claims["e"]:
        raise LinkInvalid("This download link has expired; ask for a new one.")
    if "g" in claims:
        grant = DownloadGrant.objects.select_related("asset").filter(pk=claims["g"]).first()
        if grant is None or grant.asset.original_key != claims["k"]:
            raise LinkInvalid("This download link is not valid.")
        if grant.asset.status not in SERVABLE:
            raise Gone("This asset has been taken down and can no longer be downloaded.")
    return Served(claims["k"], claims["n"], claims["t"])
