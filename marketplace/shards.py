"""WebDataset shards of a buyer's granted assets: tar files where each asset is an image
(`asset-<id>.jpg`, `.png` ...) followed by its JSON sidecar (`asset-<id>.json`: id, caption,
license, source, sha256, use, grant id, terms version), each shard up to SHARD_MAX_BYTES,
and an index (`index.json`) of every shard's name, size, SHA-256 and samples.

Built by a Celery task. The build is deterministic: which grant goes into which shard is
fixed the first time it runs (`ShardExport.plan`), and the tar headers carry no clock
(every member's time is its grant's), so a build run again after a crash skips the shards
it recorded and writes the others byte for byte as the first run would have. Only one
process builds an export at a time (a PostgreSQL advisory lock on the export). Nothing is
charged and no quota is counted: the shards hold assets the buyer already licensed."""

import hashlib
import io
import json
import tarfile
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Asset
from catalog.selectors import EXTENSION_BY_MIME, caption
from common.errors import DomainError, NotFound
from marketplace.collections import collection_for_owner
from marketplace.delivery import SERVABLE, Link, signed_link
from marketplace.models import CollectionItem, DownloadGrant, ShardExport
from marketplace.selectors import grant_use
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

# The advisory lock's first key (the second is the export's id): one builder per export.
BUILD_LOCK = 7_341_100
BLOCK = 512  # tar's block: every header, and every member's data padded to a multiple
RECORD = tarfile.RECORDSIZE  # a tar file ends with two empty blocks, padded to a record
# What an asset adds to a shard besides its file: two headers and the padded sidecar.
OVERHEAD = 4 * BLOCK
TAR_MIME = "application/x-tar"


def shard_export_request(
    *, buyer, collection_id: int | None = None, grant_ids: list[int] | None = None
) -> ShardExport:
    """Queue shards of a collection's granted assets, of named grants, or (neither) of all
    the buyer's grants."""
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
    export = ShardExport.objects.create(
        buyer=buyer,
        collection=collection,
        grant_ids=list(dict.fromkeys(grant_ids or [])),
        max_shard_bytes=settings.SHARD_MAX_BYTES,
    )

    def build_later():
        from marketplace.tasks import build_shards

        build_shards.delay(export.pk)

    transaction.on_commit(build_later)
    return export


def _grants(export: ShardExport):
    grants = DownloadGrant.objects.filter(buyer=export.buyer_id)
    if export.collection_id:
        items = CollectionItem.objects.filter(collection=export.collection_id)
        grants = grants.filter(asset_id__in=items.values("asset_id"))
    elif export.grant_ids:
        grants = grants.filter(pk__in=export.grant_ids)
    return grants


def _wanted(export: ShardExport) -> int:
    if export.collection_id:
        return CollectionItem.objects.filter(collection=export.collection_id).count()
    return len(export.grant_ids) if export.grant_ids else _grants(export).count()


def _padded(size: int, unit: int = BLOCK) -> int:
    return -(-size // unit) * unit


def _tar_size(members: int) -> int:
    """The size of a tar file whose members (headers and padded data) take `members`."""
    return _padded(members + 2 * BLOCK, RECORD)


def _plan(export: ShardExport) -> list[list[int]]:
    """The grant ids of each shard, in grant order: a shard closes when the next asset would
    take it over the limit (an asset over the limit alone fills a shard). A sidecar is
    counted as two blocks (1 KiB): longer captions can take a shard a few blocks over."""
    rows = (
        _grants(export)
        .filter(asset__status__in=SERVABLE)
        .exclude(asset__original_key="")
        .order_by("pk")
        .values_list("pk", "asset__original_key", "asset__byte_size")
    )
    plan, current, used = [], [], 0
    for grant_id, key, size in rows.iterator(chunk_size=2000):
        cost = OVERHEAD + _padded(size if size is not None else default_storage.size(key))
        if current and _tar_size(used + cost) > export.max_shard_bytes:
            plan.append(current)
            current, used = [], 0
        current.append(grant_id)
        used += cost
    if current:
        plan.append(current)
    return plan


def shard_name(number: int) -> str:
    return f"shard-{number:06d}.tar"


def _prefix(export: ShardExport) -> str:
    return f"shards/{export.buyer_id}/{export.pk}"


class _HashingWriter:
    """A write-only file that hashes and counts what passes through to `target`."""

    def __init__(self, target):
        self.target, self.sha256, self.size = target, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.target.write(data)


def _member(tar: tarfile.TarFile, name: str, data: bytes, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), mtime, 0o444
    tar.addfile(info, io.BytesIO(data))


class StoredFileChanged(DomainError):
    code = "stored_file_changed"


def sidecar(grant: DownloadGrant, asset: Asset, sha256: str) -> dict:
    """What a shard says about one asset, beside its file."""
    return {
        "id": asset.pk,
        "caption": caption(asset.title, asset.description),
        "creator": asset.creator,
        "license": grant.license,
        "source": asset.source,
        "landing_url": asset.landing_url,
        "sha256": sha256,
        "mime_type": asset.mime_type,
        "width": asset.width,
        "height": asset.height,
        "use": grant_use(grant),
        "purpose": grant.purpose,
        "grant_id": grant.pk,
        "terms_version": grant.terms.version if grant.terms else "",
    }


def _write_shard(export: ShardExport, number: int, grant_ids: list[int]) -> dict:
    """Write one shard of the plan to storage; its grants whose asset was taken down since
    the plan was made are left out."""
    grants = (
        DownloadGrant.objects.filter(pk__in=grant_ids, asset__status__in=SERVABLE)
        .select_related("asset", "terms")
        .order_by("pk")
    )
    samples = []
    with tempfile.TemporaryFile() as spool:
        writer = _HashingWriter(spool)
        with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for grant in grants:
                asset = grant.asset
                with default_storage.open(asset.original_key, "rb") as stored:
                    data = stored.read()
                sha256 = hashlib.sha256(data).hexdigest()
                if asset.sha256 and sha256 != asset.sha256:
                    raise StoredFileChanged(
                        f"The stored file of asset {asset.pk} does not match its SHA-256."
                    )
                key = f"asset-{asset.pk}"
                mtime = int(grant.created_at.timestamp())
                extension = EXTENSION_BY_MIME.get(asset.mime_type, "bin")
                _member(tar, f"{key}.{extension}", data, mtime)
                meta = json.dumps(sidecar(grant, asset, sha256), sort_keys=True,
                                  ensure_ascii=False).encode()  # fmt: skip
                _member(tar, f"{key}.json", meta, mtime)
                samples.append({"key": key, "asset_id": asset.pk, "grant_id": grant.pk,
                                "sha256": sha256})  # fmt: skip
        name = shard_name(number)
        storage_key = f"{_prefix(export)}/{name}"
        if default_storage.exists(storage_key):
            default_storage.delete(storage_key)  # a half-written one from a crashed run
        spool.seek(0)
        saved = default_storage.save(storage_key, File(spool, name=name))
    return {"name": name, "key": saved, "size": writer.size,
            "sha256": writer.sha256.hexdigest(), "samples": samples}  # fmt: skip


def shards_index(export: ShardExport) -> dict:
    """The index stored beside the shards: every shard's name, size, SHA-256 and samples
    (key, asset id, grant id, SHA-256 of the file), so a copy can be checked and cleaned."""
    return {
        "export_id": export.pk,
        "format": "webdataset",
        "samples": sum(len(s["samples"]) for s in export.shards),
        "shards": [{k: s[k] for k in ("name", "size", "sha256", "samples")}
                   for s in export.shards],
    }  # fmt: skip


class _BuildLock:
    """A session-level advisory lock on the export, taken without waiting: held while one
    process builds it, released when it is done or its connection ends (a crash)."""

    def __init__(self, export_id: int):
        self.keys = [BUILD_LOCK, export_id]

    def __enter__(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", self.keys)
            self.held = cursor.fetchone()[0]
        return self.held

    def __exit__(self, *exc) -> None:
        if self.held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", self.keys)


def _recorded(entry: dict) -> bool:
    return (
        default_storage.exists(entry["key"]) and default_storage.size(entry["key"]) == entry["size"]
    )


def shard_export_build(export_id: int) -> ShardExport:
    """Write the export's shards and index; safe to run again, and while another process
    runs it (that one finishes the work, this one returns)."""
    export = ShardExport.objects.select_related("buyer").get(pk=export_id)
    if export.state == ShardExport.State.DONE:
        return export
    with _BuildLock(export_id) as held:
        if not held:
            return export
        export.refresh_from_db()
        if export.state == ShardExport.State.DONE:
            return export
        if not export.plan:
            export.plan = _plan(export)
            export.save(update_fields=["plan"])
        recorded = {entry["name"]: entry for entry in export.shards if _recorded(entry)}
        for number, grant_ids in enumerate(export.plan):
            if shard_name(number) not in recorded:
                recorded[shard_name(number)] = _write_shard(export, number, grant_ids)
                export.shards = sorted(recorded.values(), key=lambda entry: entry["name"])
                export.save(update_fields=["shards"])  # progress kept: a rerun skips it
        export.shards = sorted(recorded.values(), key=lambda entry: entry["name"])
        index_key = f"{_prefix(export)}/index.json"
        if default_storage.exists(index_key):
            default_storage.delete(index_key)
        index = json.dumps(shards_index(export), sort_keys=True, indent=1).encode()
        export.index_key = default_storage.save(index_key, ContentFile(index))
        _finish(export)
    return export


@transaction.atomic
def _finish(export: ShardExport) -> None:
    """Mark the export built and log each delivered asset, once."""
    locked = ShardExport.objects.select_for_update().get(pk=export.pk)
    if locked.state == ShardExport.State.DONE:
        return
    samples = [sample for shard in export.shards for sample in shard["samples"]]
    export.assets = len(samples)
    export.skipped = max(0, _wanted(export) - len(samples))
    export.state, export.finished_at, export.error = ShardExport.State.DONE, timezone.now(), ""
    export.save(update_fields=["shards", "index_key", "assets", "skipped", "state",
                               "finished_at", "error"])  # fmt: skip
    actor = export.buyer.get_username()
    events_append(
        ProvenanceEvent(asset_id=sample["asset_id"], kind=EventKind.DOWNLOAD_SHARDED, actor=actor,
                        data={"buyer_id": export.buyer_id, "grant_id": sample["grant_id"],
                              "shard_export_id": export.pk})
        for sample in samples
    )  # fmt: skip


# --- what the buyer is handed ---------------------------------------------------------------


@dataclass(frozen=True)
class ShardLink:
    name: str
    size: int
    sha256: str
    samples: int
    link: Link | None  # None: an asset in it was taken down since it was written
    removed: list[int]  # assets in it taken down since


def shard_links(export: ShardExport) -> tuple[list[ShardLink], Link | None]:
    """Short-lived links to a built export's shards and index. A shard holding an asset
    taken down since it was written is no longer handed out (ask for a new export)."""
    if export.state != ShardExport.State.DONE:
        return [], None
    asset_ids = {s["asset_id"] for shard in export.shards for s in shard["samples"]}
    down = set(
        Asset.objects.filter(pk__in=asset_ids)
        .exclude(status__in=SERVABLE)
        .values_list("pk", flat=True)
    )
    seconds = settings.DOWNLOAD_URL_SECONDS
    links = []
    for shard in export.shards:
        removed = sorted(s["asset_id"] for s in shard["samples"] if s["asset_id"] in down)
        link = None
        if not removed:
            link = signed_link(
                key=shard["key"], seconds=seconds, filename=shard["name"], mime_type=TAR_MIME
            )
        links.append(ShardLink(shard["name"], shard["size"], shard["sha256"],
                               len(shard["samples"]), link, removed))  # fmt: skip
    index = signed_link(
        key=export.index_key,
        seconds=seconds,
        filename=f"shards-{export.pk}-index.json",
        mime_type="application/json",
    )
    return links, index


def shard_exports_of(buyer):
    """The buyer's shard exports, newest first."""
    return ShardExport.objects.filter(buyer=buyer).order_by("-created_at", "-pk")
