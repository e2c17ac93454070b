"""Manifests for training pipelines: one row per granted asset in the PD12M layout (`id,
url, caption, width, height, mime_type, hash, license, source`) plus the grant id, the
price paid and the license terms version, with download links valid for a set time.

Built by a Celery task; only assets the buyer holds a grant for and that are not taken down
are listed, so a takedown drops an asset from every later manifest."""

import io
import itertools
import json

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
from marketplace.collections import collection_for_owner
from marketplace.delivery import SERVABLE, Link, download_link, signed_link
from marketplace.models import CollectionItem, DownloadGrant, ManifestExport
from marketplace.served import served_files

COLUMNS = ("id", "url", "caption", "width", "height", "mime_type", "hash", "license", "source",
           "grant_id", "price_paid_usd", "terms_version")  # fmt: skip
MIME = {"jsonl": "application/x-ndjson", "parquet": "application/vnd.apache.parquet"}


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
    seconds = link_seconds or settings.MANIFEST_LINK_SECONDS
    if not 60 <= seconds <= settings.MANIFEST_LINK_MAX_SECONDS:
        raise DomainError(
            f"Links can stay valid from 60 to {settings.MANIFEST_LINK_MAX_SECONDS} seconds.",
            code="invalid",
            fields={"link_seconds": ["Out of range."]},
        )
    collection = (
        collection_for_owner(owner=buyer, collection_id=collection_id) if collection_id else None
    )
    if grant_ids:
        mine = set(
            DownloadGrant.objects.filter(buyer=buyer, pk__in=grant_ids).values_list("pk", flat=True)
        )
        if missing := [g for g in grant_ids if g not in mine]:
            raise NotFound(
                "Some of these grants are not yours.",
                fields={"grant_ids": [f"Unknown: {', '.join(map(str, missing[:20]))}"]},
            )
    manifest = ManifestExport.objects.create(
        buyer=buyer,
        format=format,
        collection=collection,
        grant_ids=list(grant_ids or []),
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


def manifest_rows(manifest: ManifestExport) -> list[dict]:
    rows = []
    grants = _grants(manifest).iterator(chunk_size=2000)
    for chunk in iter(lambda: list(itertools.islice(grants, 2000)), []):
        rows.extend(_rows(manifest, chunk))
    return rows


def _rows(manifest: ManifestExport, grants: list) -> list[dict]:
    """The rows of some grants: each file as served, its hash that of the file served (an
    opt-in work's carries its terms: marketplace.served)."""
    rows = []
    grants = [g for g in grants if g.asset.status in SERVABLE]
    served = served_files(grants)
    for grant in grants:
        asset, file = grant.asset, served[grant.pk]
        link = download_link(grant_id=grant.pk, key=file.key, seconds=manifest.link_seconds)
        rows.append(
            {
                "id": asset.pk,
                "url": absolute(link.url, base=manifest.base_url),
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
            }
        )  # fmt: skip
    return rows


def _encode(rows: list[dict], fmt: str) -> bytes:
    if fmt == ManifestExport.Format.JSONL:
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
    table = pa.Table.from_pylist(rows, schema=pa.schema(
        [(c, pa.int64() if c in ("id", "width", "height", "grant_id") else pa.string())
         for c in COLUMNS]
    ))  # fmt: skip
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def manifest_build(manifest_id: int) -> ManifestExport:
    manifest = ManifestExport.objects.select_related("buyer", "collection").get(pk=manifest_id)
    if manifest.state == ManifestExport.State.DONE:
        return manifest
    rows = manifest_rows(manifest)
    key = f"manifests/{manifest.buyer_id}/{manifest.pk}.{manifest.format}"
    if default_storage.exists(key):
        default_storage.delete(key)
    manifest.file_key = default_storage.save(key, ContentFile(_encode(rows, manifest.format)))
    manifest.rows, manifest.skipped = len(rows), max(0, _wanted(manifest) - len(rows))
    manifest.state, manifest.finished_at = ManifestExport.State.DONE, timezone.now()
    manifest.save()
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
