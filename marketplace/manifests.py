"""Manifests for training pipelines: one row per grant (an asset for one use) in the PD12M
layout (`id, url, caption, width, height, mime_type, hash, license, source`) plus the grant
id, the price paid, the license terms version and the use licensed, with download links
valid for a set time.

Built by a Celery task; only assets the buyer holds a grant for and that are not taken down
are listed, so a takedown drops an asset from every later manifest.

The file is input for the tools training pipelines already use, as it is: img2dataset
(`--url_col url --caption_col caption`, the other columns kept with
`--save_additional_columns`) and Hugging Face `datasets` (`load_dataset("json" |
"parquet", data_files=...)`). Every URL is absolute, `sha256` (the same as `hash`, under
the name checkers look for) verifies each file, and the columns' types never change from
one export to the next (`SCHEMA`). Its links are signed again without rebuilding the rows
(`manifest_renew`). Only one process builds a manifest at a time (a PostgreSQL advisory
lock, also held while retention deletes its file: marketplace.manifest_expiry)."""

import io
import itertools
import json
from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from catalog.selectors import caption
from common.errors import DomainError, NotFound
from common.links import absolute
from common.money import usd
from marketplace.build_lock import BuildLock
from marketplace.collections import collection_for_owner
from marketplace.delivery import SERVABLE, Link, download_link, signed_link
from marketplace.export_failures import export_unreadable_fail, unreadable_together
from marketplace.models import CollectionItem, DownloadGrant, ManifestExport
from marketplace.served import StoredFileUnreadable, offer_files, served_files

# The columns and their Arrow types, the same in every export (JSON Lines rows carry the
# same values: integers, strings, and null only for an unknown width or height).
SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("url", pa.string()),
        ("caption", pa.string()),
        ("width", pa.int64()),
        ("height", pa.int64()),
        ("mime_type", pa.string()),
        ("hash", pa.string()),
        ("license", pa.string()),
        ("source", pa.string()),
        ("grant_id", pa.int64()),
        ("price_paid_usd", pa.string()),
        ("terms_version", pa.string()),
        ("use", pa.string()),
        ("sha256", pa.string()),
    ]
)
COLUMNS = tuple(SCHEMA.names)
MIME = {"jsonl": "application/x-ndjson", "parquet": "application/vnd.apache.parquet"}
# The advisory lock's first key (the second is the manifest's id): one builder per manifest.
BUILD_LOCK = 7_341_101


def export_scope(buyer, collection_id: int | None, grant_ids: list[int] | None):
    """What a manifest or a shard export covers: the buyer's collection, their named grants
    (each checked to be theirs, duplicates dropped), or neither (all their grants)."""
    collection = (
        collection_for_owner(owner=buyer, collection_id=collection_id) if collection_id else None
    )
    grant_ids = list(dict.fromkeys(grant_ids or []))
    if grant_ids:
        mine = set(
            DownloadGrant.objects.filter(buyer=buyer, pk__in=grant_ids).values_list("pk", flat=True)
        )
        if missing := [g for g in grant_ids if g not in mine]:
            raise NotFound(
                "Some of these grants are not yours.",
                fields={"grant_ids": [f"Unknown: {', '.join(map(str, missing[:20]))}"]},
            )
    return collection, grant_ids


def manifest_request(
    *,
    buyer,
    format: str,
    collection_id: int | None = None,
    grant_ids: list[int] | None = None,
    link_seconds: int | None = None,
    base_url: str = "",
) -> ManifestExport:
    """Queue a manifest of a collection, of named grants, or (neither) of all grants.
    `base_url` is the site's address: the file's links start with it."""
    seconds = _link_seconds(link_seconds)
    collection, grant_ids = export_scope(buyer, collection_id, grant_ids)
    manifest = ManifestExport.objects.create(
        buyer=buyer,
        format=format,
        collection=collection,
        grant_ids=grant_ids,
        link_seconds=seconds,
        base_url=base_url,
    )

    def build_later():
        from marketplace.tasks import build_manifest

        build_manifest.delay(manifest.pk)

    transaction.on_commit(build_later)
    return manifest


def _grants(manifest: ManifestExport):
    grants = DownloadGrant.objects.filter(buyer=manifest.buyer).select_related("asset", "terms")
    if manifest.collection_id:
        items = CollectionItem.objects.filter(collection=manifest.collection_id)
        grants = grants.filter(asset_id__in=items.values("asset_id"))
    elif manifest.grant_ids:
        grants = grants.filter(pk__in=manifest.grant_ids)
    return grants.order_by("pk")


def _wanted(manifest: ManifestExport) -> int:
    if manifest.collection_id:
        return manifest.collection.items.count()
    return len(manifest.grant_ids) if manifest.grant_ids else _grants(manifest).count()


def _url(manifest: ManifestExport, *, grant_id: int, key: str, seconds: int) -> str:
    link = download_link(grant_id=grant_id, key=key, seconds=seconds)
    return absolute(link.url, base=manifest.base_url)


def manifest_rows(manifest: ManifestExport) -> list[dict]:
    """StoredFileUnreadable, naming every asset concerned, when an opt-in work's copy with
    its terms is missing and cannot be made (its original cannot be read)."""
    rows, unreadable = [], {}
    grants = _grants(manifest).iterator(chunk_size=2000)
    for chunk in iter(lambda: list(itertools.islice(grants, 2000)), []):
        rows.extend(_rows(manifest, chunk, unreadable))
    if unreadable:
        raise unreadable_together(unreadable.values())
    return rows


def _rows(manifest: ManifestExport, grants: list, unreadable: dict) -> list[dict]:
    """The rows of some grants: each file as served, its hash that of the file served (an
    opt-in work's carries its terms: marketplace.served). Offers whose copy cannot be made
    are put in `unreadable` (offer id -> error) and their grants left out."""
    rows = []
    grants = [g for g in grants if g.asset.status in SERVABLE and g.asset.original_key]
    offer_files((g.offer_id for g in grants), unreadable=unreadable)  # copies made where missing
    grants = [g for g in grants if g.offer_id not in unreadable]
    served = served_files(grants)
    for grant in grants:
        asset, file = grant.asset, served[grant.pk]
        rows.append(
            {
                "id": asset.pk,
                "url": _url(manifest, grant_id=grant.pk, key=file.key,
                            seconds=manifest.link_seconds),
                "caption": caption(asset.title, asset.description),
                "width": asset.width,
                "height": asset.height,
                "mime_type": asset.mime_type,
                "hash": file.sha256,
                "license": grant.license,
                "source": asset.source,
                "grant_id": grant.pk,
                "price_paid_usd": usd(grant.price_micros + grant.fee_micros),
                "terms_version": grant.terms.version if grant.terms else "",
                "use": grant.use,
                "sha256": file.sha256,
            }
        )  # fmt: skip
    return rows


def _encode(rows: list[dict], fmt: str) -> bytes:
    if fmt == ManifestExport.Format.JSONL:
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), sink)
    return sink.getvalue()


def _decode(data: bytes, fmt: str) -> list[dict]:
    if fmt == ManifestExport.Format.JSONL:
        return [json.loads(line) for line in data.splitlines() if line.strip()]
    return pq.read_table(io.BytesIO(data)).to_pylist()


def manifest_folder(manifest: ManifestExport) -> str:
    """The storage folder of a buyer's manifests."""
    return f"manifests/{manifest.buyer_id}"


def _store(manifest: ManifestExport, rows: list[dict], *, name: str) -> str:
    key = f"{manifest_folder(manifest)}/{name}.{manifest.format}"
    if default_storage.exists(key):
        default_storage.delete(key)
    return default_storage.save(key, ContentFile(_encode(rows, manifest.format)))


# States a build leaves alone.
FINAL = (ManifestExport.State.DONE, ManifestExport.State.EXPIRED)


def manifest_build(manifest_id: int) -> ManifestExport:
    """Write the manifest's file; while another process builds it, this one returns. A
    copy of a work that cannot be made (its original cannot be read) fails the manifest,
    naming the work, and the moderators are told (marketplace.export_failures)."""
    manifest = ManifestExport.objects.select_related("buyer", "collection").get(pk=manifest_id)
    if manifest.state in FINAL:
        return manifest
    with BuildLock(BUILD_LOCK, manifest_id) as held:
        if not held:
            return manifest
        manifest.refresh_from_db()
        if manifest.state in FINAL:  # built meanwhile, or expired (a late retry writes nothing)
            return manifest
        started = timezone.now()
        try:
            rows = manifest_rows(manifest)
        except StoredFileUnreadable as error:  # no retry can read it: fail, and say so
            export_unreadable_fail(manifest, error, noun="manifest")
            return manifest
        manifest.file_key = _store(manifest, rows, name=str(manifest.pk))
        manifest.rows, manifest.skipped = len(rows), max(0, _wanted(manifest) - len(rows))
        manifest.state, manifest.finished_at = ManifestExport.State.DONE, timezone.now()
        manifest.links_expire_at = started + timedelta(seconds=manifest.link_seconds)
        manifest.save()
    return manifest


class ManifestNotReady(DomainError):
    code = "not_ready"
    status_code = 409


class ManifestExpired(DomainError):
    code = "expired"
    status_code = 409


def _link_seconds(link_seconds: int | None) -> int:
    seconds = link_seconds or settings.MANIFEST_LINK_SECONDS
    if not 60 <= seconds <= settings.MANIFEST_LINK_MAX_SECONDS:
        raise DomainError(
            f"Links can stay valid from 60 to {settings.MANIFEST_LINK_MAX_SECONDS} seconds.",
            code="invalid",
            fields={"link_seconds": ["Out of range."]},
        )
    return seconds


def manifest_renew(*, buyer, manifest_id: int, link_seconds: int | None = None) -> ManifestExport:
    """Sign a built manifest's links again, valid for `link_seconds` from now (default: the
    manifest's own), without rebuilding it: every row keeps its content but its `url`, and
    rows whose asset was taken down since are dropped (counted in `skipped`). The file is
    written under a new name; the old one is deleted."""
    with transaction.atomic():
        manifest = (
            ManifestExport.objects.select_for_update().filter(pk=manifest_id, buyer=buyer).first()
        )
        if manifest is None:
            raise NotFound("No manifest of yours has this id.")
        if manifest.state == ManifestExport.State.EXPIRED:
            raise ManifestExpired(
                "This manifest has expired: its file was deleted. Build a new one."
            )
        if manifest.state != ManifestExport.State.DONE:
            raise ManifestNotReady("This manifest is not built yet; renew it once it is.")
        seconds = _link_seconds(link_seconds or manifest.link_seconds)
        with default_storage.open(manifest.file_key, "rb") as stored:
            rows = _decode(stored.read(), manifest.format)
        grants = (
            DownloadGrant.objects.filter(
                buyer=buyer, pk__in=[row["grant_id"] for row in rows], asset__status__in=SERVABLE
            )
            .exclude(asset__original_key="")
            .select_related("asset")
        )
        keys = {pk: file.key for pk, file in served_files(grants).items()}
        started = timezone.now()
        kept = []
        for row in rows:
            if row["grant_id"] in keys:
                url = _url(manifest, grant_id=row["grant_id"], key=keys[row["grant_id"]],
                           seconds=seconds)  # fmt: skip
                kept.append({**row, "url": url})
        old_key = manifest.file_key
        stamp = started.strftime("%Y%m%d%H%M%S%f")
        manifest.file_key = _store(manifest, kept, name=f"{manifest.pk}-{stamp}")
        manifest.skipped += len(rows) - len(kept)
        manifest.rows = len(kept)
        manifest.link_seconds = seconds
        manifest.links_expire_at = started + timedelta(seconds=seconds)
        manifest.renewed_at = started
        manifest.save()
    if old_key != manifest.file_key:
        default_storage.delete(old_key)
    return manifest


def manifest_link(manifest: ManifestExport) -> Link | None:
    if manifest.state != ManifestExport.State.DONE:
        return None
    return signed_link(
        key=manifest.file_key,
        seconds=settings.DOWNLOAD_URL_SECONDS,
        filename=f"manifest-{manifest.pk}.{manifest.format}",
        mime_type=MIME[manifest.format],
    )


def manifests_of(buyer):
    """The buyer's manifests, newest first, with their collection."""
    return (
        ManifestExport.objects.filter(buyer=buyer)
        .select_related("collection")
        .order_by("-created_at", "-pk")
    )
