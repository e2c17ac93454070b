"""Short-lived download URLs for granted assets.

On S3 the URL is presigned by S3 and expires after DOWNLOAD_URL_SECONDS. On local storage
(the demo) it is a signed link to our own file view, which checks the grant and the asset's
status again at serving time, so a takedown stops it at once."""

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zipfile import ZIP_STORED

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from zipstream import ZipStream

from catalog.models import AssetStatus
from catalog.selectors import EXTENSION_BY_MIME
from common.errors import DomainError
from marketplace.models import DownloadGrant
from marketplace.served import served_file, served_files

SALT = "marketplace.download"
# A grant's link has one spelling: ASCII digits without leading zeros (no sign, no space,
# no other script's digits), so no second link verifies for the same grant and expiry.
GRANT_TOKEN = re.compile(r"g[1-9][0-9]*\.[1-9][0-9]*\.[0-9a-f]{32}")
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
    *, key: str, seconds: int, filename: str, mime_type: str, inline: bool = False
) -> Link:
    """A link to a stored object (not an asset: see `download_link`) valid for `seconds`;
    `inline` for what a browser shows rather than saves (thumbnails)."""
    expires_at = timezone.now() + timedelta(seconds=seconds)
    if _on_s3():
        return Link(default_storage.url(key, expire=seconds), expires_at)
    claims = {"k": key, "e": int(expires_at.timestamp()), "n": filename, "t": mime_type}
    if inline:
        claims["i"] = 1
    return Link(reverse("download-file", args=[signing.dumps(claims, salt=SALT)]), expires_at)


THUMBNAIL_SALT = "marketplace.thumbnail"


def thumbnail_path(asset_id: int, *, signed: bool = False) -> str:
    """The site's link to an asset's thumbnail (its one thumbnail view checks who may see
    it). `signed` adds a short-lived capability, so whoever holds the link sees the
    thumbnail whatever the asset's state: an owner's draft listed by the API."""
    path = reverse("web:thumbnail", args=[asset_id])
    if signed:
        path += "?s=" + signing.dumps(asset_id, salt=THUMBNAIL_SALT)
    return path


def thumbnail_signed(asset_id: int, token: str) -> bool:
    """Whether `token` is a live capability for this asset's thumbnail."""
    try:
        return signing.loads(token, salt=THUMBNAIL_SALT,
                             max_age=settings.DOWNLOAD_URL_SECONDS) == asset_id  # fmt: skip
    except signing.BadSignature:
        return False


def _grant_signature(grant_id: int, expires: int) -> str:
    return salted_hmac(SALT, f"{grant_id}.{expires}", algorithm="sha256").hexdigest()[:32]


def download_link(*, grant_id: int, key: str, seconds: int | None = None) -> Link:
    """A link to a granted asset's file, stored under `key` (`marketplace.served`: the
    file with its offer's terms written in, or a base-set original). Locally it names only
    the grant and its expiry, signed (one HMAC: cheap enough for 10,000 links in one
    response); the file is looked up from the grant when served."""
    seconds = seconds or settings.DOWNLOAD_URL_SECONDS
    expires_at = timezone.now() + timedelta(seconds=seconds)
    if _on_s3():
        return Link(default_storage.url(key, expire=seconds), expires_at)
    expires = int(expires_at.timestamp())
    token = f"g{grant_id}.{expires}.{_grant_signature(grant_id, expires)}"
    return Link(_files_prefix() + token + "/", expires_at)


@functools.cache
def _files_prefix() -> str:
    return reverse("download-file", args=["x"])[:-2]


def _granted_file(token: str) -> "Served":
    grant_id, expires, signature = token[1:].split(".")
    if not constant_time_compare(signature, _grant_signature(int(grant_id), int(expires))):
        raise LinkInvalid("This download link is not valid.")
    if timezone.now().timestamp() > int(expires):
        raise LinkInvalid("This download link has expired; ask for a new one.")
    grant = DownloadGrant.objects.select_related("asset").filter(pk=grant_id).first()
    if grant is None:
        raise LinkInvalid("This download link is not valid.")
    asset = grant.asset
    if asset.status not in SERVABLE:
        raise Gone("This asset has been taken down and can no longer be downloaded.")
    extension = EXTENSION_BY_MIME.get(asset.mime_type, "bin")
    return Served(
        served_file(grant).key, f"asset-{asset.pk}.{extension}",
        asset.mime_type or "application/octet-stream", license=grant.license,
        asset_id=asset.pk,
    )  # fmt: skip


@dataclass(frozen=True)
class Served:
    key: str
    filename: str
    mime_type: str
    inline: bool = False
    license: str = ""  # a granted asset's license (its response names its policy)
    asset_id: int | None = None


def file_for_token(token: str) -> Served:
    """What a signed link points at, checked now: unexpired, and for a grant, the grant
    still there and its asset not taken down."""
    if GRANT_TOKEN.fullmatch(token):
        return _granted_file(token)
    try:
        claims = signing.loads(token, salt=SALT)
    except signing.BadSignature as error:
        raise LinkInvalid("This download link is not valid.") from error
    if timezone.now().timestamp() > claims["e"]:
        raise LinkInvalid("This download link has expired; ask for a new one.")
    return Served(claims["k"], claims["n"], claims["t"], inline=bool(claims.get("i")))


# --- what the site hands a buyer after licensing: the links again, and a zip -------------


@dataclass(frozen=True)
class Delivery:
    """What one licensing handed out: its grants, and when their links stop working."""

    grant_ids: list[int]
    expires: int  # a Unix time


@dataclass(frozen=True)
class DeliveredFile:
    grant: DownloadGrant
    link: Link | None  # None: taken down since, or the links expired
    gone: bool  # taken down since it was licensed
    filename: str
    byte_size: int
    key: str = ""  # the stored file served (marketplace.served)


@dataclass(frozen=True)
class DeliveryFiles:
    files: list[DeliveredFile]
    expires_at: datetime
    expired: bool
    total_bytes: int
    zip_refusal: str  # why no zip is offered, or "" when it is


def _filename(asset) -> str:
    return f"asset-{asset.pk}.{EXTENSION_BY_MIME.get(asset.mime_type, 'bin')}"


def delivery_files(*, buyer, delivery: Delivery) -> DeliveryFiles:
    """The buyer's licensed files of a delivery, each with its link drawn again with the
    delivery's own expiry (never a later one); taken-down assets have none."""
    now = timezone.now()
    left = delivery.expires - int(now.timestamp())
    grants = (
        DownloadGrant.objects.filter(buyer=buyer, pk__in=delivery.grant_ids)
        .select_related("asset", "terms")
        .order_by("pk")
    )
    files = []
    grants = list(grants)
    servable_grants = [g for g in grants if g.asset.status in SERVABLE and g.asset.original_key]
    served = served_files(servable_grants)
    for grant in grants:
        asset = grant.asset
        gone = grant.pk not in served
        link = None
        if not gone and left > 0:
            link = download_link(grant_id=grant.pk, key=served[grant.pk].key, seconds=left)
        size, key = (served[grant.pk].byte_size, served[grant.pk].key) if not gone else (0, "")
        files.append(DeliveredFile(grant, link, gone, _filename(asset), size, key))
    servable = [f for f in files if not f.gone]
    total = sum(f.byte_size for f in servable)
    refusal = ""
    if left <= 0:
        refusal = "The links have expired."
    elif not servable:
        refusal = "Nothing here can be downloaded any more."
    elif len(servable) > settings.DOWNLOAD_ZIP_MAX_FILES:
        refusal = (f"A zip holds at most {settings.DOWNLOAD_ZIP_MAX_FILES} files; export a "
                   "manifest for larger sets.")  # fmt: skip
    elif total > settings.DOWNLOAD_ZIP_MAX_BYTES:
        refusal = (f"A zip holds at most {settings.DOWNLOAD_ZIP_MAX_BYTES // 1_000_000} MB; "
                   "export a manifest for larger sets.")  # fmt: skip
    return DeliveryFiles(
        files=files,
        expires_at=datetime.fromtimestamp(delivery.expires, tz=UTC),
        expired=left <= 0,
        total_bytes=total,
        zip_refusal=refusal,
    )


@dataclass(frozen=True)
class ZipArchive:
    stream: Iterator[bytes]
    size: int
    filename: str
    assets: tuple[tuple[int, str], ...] = ()  # (id, license) of each file in it


ZIP_CHUNK = 256 * 1024


def _chunks(key: str) -> Iterator[bytes]:
    """A stored file read a piece at a time, opened only when the zip reaches it."""
    with default_storage.open(key, "rb") as stored:
        while chunk := stored.read(ZIP_CHUNK):
            yield chunk


def delivery_zip(*, buyer, delivery: Delivery) -> ZipArchive:
    """The delivery's files (and a LICENSES.txt naming each one's license and source) as a
    zip written while it is sent: stored without compression (images are compressed
    already), so its size is known before the first byte and nothing is held in memory."""
    files = delivery_files(buyer=buyer, delivery=delivery)
    if files.zip_refusal:
        raise DomainError(files.zip_refusal, code="zip_unavailable")
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    lines = ["Files in this archive, with the license each was granted under.", ""]
    for item in files.files:
        if item.gone:
            continue
        asset, grant = item.grant.asset, item.grant
        size = item.byte_size or default_storage.size(item.key)
        archive.add(_chunks(item.key), item.filename, size=size)
        terms = f", training license version {grant.terms.version}" if grant.terms else ""
        lines.append(f"{item.filename}: “{asset.title or 'Untitled'}”"
                     f"{f' by {asset.creator}' if asset.creator else ''}; {grant.license}{terms}; "
                     f"source {asset.source} {asset.landing_url}".rstrip())  # fmt: skip
    archive.add("\n".join(lines) + "\n", "LICENSES.txt")
    stamp = files.expires_at.strftime("%Y%m%d-%H%M")
    inside = tuple((i.grant.asset_id, i.grant.license) for i in files.files if not i.gone)
    return ZipArchive(iter(archive), len(archive), f"licensed-{stamp}.zip", inside)
