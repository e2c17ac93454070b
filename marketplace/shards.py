"""WebDataset shards of a buyer's granted assets: tar files where each asset is an image
(`asset-<id>.jpg`, `.png` ...) followed by its JSON sidecar (`asset-<id>.json`: id, caption,
license, source, sha256, use, grant id, terms version), each shard up to SHARD_MAX_BYTES,
and an index (`index.json`) of every shard's name, size, SHA-256 and samples. The samples
are `ShardSample` rows, written with their shard's progress; `ShardExport.shards` keeps
each shard's name, storage key, size, SHA-256 and number of samples.

Built by a Celery task. The build is deterministic: which grant goes into which shard is
fixed the first time it runs (`ShardExport.plan`), and the tar headers carry no clock
(every member's time is its grant's), so a build run again after a crash skips the shards
it recorded and writes the others byte for byte as the first run would have. Only one
process builds an export at a time (a PostgreSQL advisory lock on the export). Nothing is
charged and no quota is counted: the shards hold assets the buyer already licensed."""

import hashlib
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection, transaction
from django.db.models import BigIntegerField, F, Func
from django.db.models.expressions import RawSQL
from django.utils import timezone

from catalog.models import AssetStatus
from catalog.selectors import EXTENSION_BY_MIME, caption
from common.errors import DomainError
from marketplace.build_lock import BuildLock
from marketplace.delivery import SERVABLE, Link, signed_link
from marketplace.export_failures import (
    export_unreadable_fail,
    unreadable_found,
    unreadable_together,
)
from marketplace.manifests import export_scope
from marketplace.models import CollectionItem, DownloadGrant, ShardExport, ShardSample
from marketplace.served import StoredFileUnreadable, offer_files
from provenance.models import EventKind
from provenance.services import events_append_from

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
    collection, grant_ids = export_scope(buyer, collection_id, grant_ids)
    export = ShardExport.objects.create(
        buyer=buyer,
        collection=collection,
        grant_ids=grant_ids,
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
        .values_list("pk", "asset_id", "asset__original_key", "asset__byte_size", "offer_id")
    )
    rows, unreadable = list(rows), {}
    files = offer_files((offer_id for *_, offer_id in rows), unreadable=unreadable)
    if unreadable:  # every copy that cannot be made, named at once
        raise unreadable_together(unreadable.values())
    plan, current, used, missing = [], [], 0, []
    for grant_id, asset_id, key, size, offer_id in rows:
        if offer_id in files:  # an opt-in work: its file with the offer's terms written in
            key, size = files[offer_id].key, files[offer_id].byte_size
        if size is None:  # not recorded: asked of the storage, where a lost file shows
            try:
                size = default_storage.size(key)
            except FileNotFoundError:
                missing.append(unreadable_found(asset_id, f"{key}: missing"))
                continue
        cost = OVERHEAD + _padded(size)
        if current and _tar_size(used + cost) > export.max_shard_bytes:
            plan.append(current)
            current, used = [], 0
        current.append(grant_id)
        used += cost
    if missing:  # no retry finds them: named at once, as the shards' writing does
        raise unreadable_together(missing)
    if current:
        plan.append(current)
    return plan


def shard_name(number: int) -> str:
    return f"shard-{number:06d}.tar"


def shards_prefix(export: ShardExport) -> str:
    """The storage folder of an export's shards and index."""
    return f"shards/{export.buyer_id}/{export.pk}"


class _TarWriter:
    """Writes a POSIX (ustar) tar file to the file descriptor `fd`, hashing and counting
    what it writes. Headers are made here rather than by `tarfile`, whose general-purpose
    headers cost more than reading and hashing a small image (benchmarks/shards.py); Python's
    `tarfile`, GNU tar and `webdataset` read the result (tests/marketplace/test_shards.py).

    Members are gathered into blocks of about WRITE_BLOCK bytes, hashed and written by a
    thread of their own while the next block is gathered (hashing and writing release the
    GIL): the shard's SHA-256 then costs no time on the thread reading the files."""

    def __init__(self, fd: int):
        self.fd, self.sha256, self.size = fd, hashlib.sha256(), 0
        self.pieces, self.gathered = [], 0
        self.pool, self.writing = ThreadPoolExecutor(1, thread_name_prefix="shard-write"), None

    def _store(self, block: bytes) -> None:
        self.sha256.update(block)
        view = memoryview(block)
        while view:
            view = view[os.write(self.fd, view) :]

    def _hand_over(self) -> None:
        """The gathered pieces to the writing thread, once it has written the last block."""
        block = b"".join(self.pieces)
        self.pieces, self.gathered = [], 0
        if self.writing:
            self.writing.result()  # raises what the writing raised
        self.writing = self.pool.submit(self._store, block)

    def _write(self, *pieces: bytes, length: int) -> None:
        """Gather `pieces`, of `length` bytes in all."""
        self.pieces += pieces
        self.gathered += length
        self.size += length
        if self.gathered >= WRITE_BLOCK:
            self._hand_over()

    def add(self, name: str, data: bytes, mtime: int) -> None:
        """One member: its header, its data, and zeros to the end of its last block."""
        encoded = name.encode()
        if len(encoded) > 100:
            raise ValueError(f"tar member name too long: {name}")
        size, time = b"%011o\0" % len(data), b"%011o\0" % mtime
        # The checksum: the sum of the header's bytes, those of the fields filled here added
        # to the rest's (summing 512 bytes per member cost as much as the rest of the header).
        checksum = HEADER_SUM + sum(encoded) + sum(size) + sum(time)
        header = b"".join((encoded, ZEROS[len(encoded) : 100], HEADER_IDS, size, time,
                           b"%06o\0 " % checksum, HEADER_TAIL))  # fmt: skip
        padding = -len(data) % BLOCK
        self._write(header, data, ZEROS[:padding], length=BLOCK + len(data) + padding)

    def close(self) -> None:
        """Two empty blocks end the archive; it is padded to whole records, as tar does.
        Waits for the writing thread, and raises what it raised."""
        end = _tar_size(self.size) - self.size
        self._write(bytes(end), length=end)
        self._hand_over()
        self.writing.result()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.pool.shutdown()  # after the last block is written, or an error


def _header() -> bytes:
    """A member's header with everything but its name, size, time and checksum."""
    header = bytearray(BLOCK)
    header[100:108] = b"0000444\0"  # mode: read-only for all
    header[108:116] = header[116:124] = b"0000000\0"  # uid, gid: 0
    header[148:156] = b" " * 8  # the checksum is computed with its own field as spaces
    header[156:157] = b"0"  # a regular file
    header[257:265] = b"ustar\x0000"
    header[329:337] = header[337:345] = b"0000000\0"  # device numbers
    return bytes(header)


HEADER, ZEROS = _header(), bytes(BLOCK)
HEADER_SUM = sum(HEADER)
HEADER_IDS, HEADER_TAIL = HEADER[100:124], HEADER[156:]  # mode, uid, gid; type to the end
WRITE_BLOCK = 4 << 20  # bytes handed to the writing thread at a time


class StoredFileChanged(DomainError):
    code = "stored_file_changed"


# What a shard says about each asset, read in one query (model instances cost more than
# the rest of the work for small images). `mtime`, every member's time in the tar, is the
# grant's time in whole seconds since 1970, as the database counts them (cheaper than
# making 10,000 datetimes in Python).
MTIME = Func(
    F("created_at"),
    template="floor(extract(epoch FROM %(expressions)s))::bigint",
    output_field=BigIntegerField(),
)
SAMPLE_FIELDS = {
    "grant_id": "pk", "mtime": "mtime", "license": "license", "purpose": "purpose",
    "terms_version": "terms__version", "asset_id": "asset_id", "key": "asset__original_key",
    "sha256": "asset__sha256", "byte_size": "asset__byte_size", "title": "asset__title",
    "description": "asset__description", "creator": "asset__creator", "source": "asset__source",
    "landing_url": "asset__landing_url", "mime_type": "asset__mime_type",
    "width": "asset__width", "height": "asset__height", "offer_id": "offer_id", "use": "use",
}  # fmt: skip


# json.dumps(..., ensure_ascii=False) makes a new encoder each call: one is enough.
to_json = json.JSONEncoder(ensure_ascii=False).encode


def sidecar(row: dict, sha256: str) -> dict:
    """What a shard says about one asset, beside its file (keys in sorted order: the JSON
    is the same bytes whenever it is written)."""
    return {
        "caption": caption(row["title"], row["description"]),
        "creator": row["creator"],
        "grant_id": row["grant_id"],
        "height": row["height"],
        "id": row["asset_id"],
        "landing_url": row["landing_url"],
        "license": row["license"],
        "mime_type": row["mime_type"],
        "purpose": row["purpose"],
        "sha256": sha256,
        "source": row["source"],
        "terms_version": row["terms_version"] or "",
        "use": row["use"] or None,  # None: a base-set grant bought for no one use
        "width": row["width"],
    }


class _Spool(File):
    """A finished shard in a temporary file: local storage moves it into place rather than
    copying it (FileSystemStorage uses `temporary_file_path`); S3 uploads it."""

    def temporary_file_path(self) -> str:
        return self.file.name


def _spool_folder(storage_key: str) -> str | None:
    """On local storage, the shard's own folder, so that moving it there is a rename."""
    try:
        folder = os.path.dirname(default_storage.path(storage_key))
    except NotImplementedError:
        return None
    os.makedirs(folder, exist_ok=True)
    return folder


class _SpooledSave:
    """A temporary file to write (beside its place on local storage), stored at
    `storage_key` when the block ends without an error, in place of what a crashed run left
    there, and deleted in any case; `key` is then where it was stored."""

    def __init__(self, storage_key: str):
        self.storage_key, self.name, self.key = storage_key, os.path.basename(storage_key), ""
        self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in __exit__
            dir=_spool_folder(storage_key), prefix=f".{self.name}.", delete=False
        )

    def __enter__(self):
        return self.file

    def __exit__(self, error_type, *error) -> None:
        try:
            self.file.close()
            if error_type is None:
                if default_storage.exists(self.storage_key):
                    default_storage.delete(self.storage_key)
                with open(self.file.name, "rb") as finished:
                    self.key = default_storage.save(
                        self.storage_key, _Spool(finished, name=self.name)
                    )
        finally:
            if os.path.exists(self.file.name):
                os.unlink(self.file.name)


def _reader():
    """A function reading a stored file whole, given its recorded size (None: unknown): on
    local storage straight from its folder with one read of that size (Django's storage
    layer, and Python's file objects, cost more than the read of a small image), else
    through the storage."""
    location = getattr(default_storage, "location", None)
    if isinstance(default_storage, FileSystemStorage) and location:
        root = os.path.abspath(location)

        def read(key: str, size: int | None) -> bytes:
            if key.startswith("/") or ".." in key.split("/"):
                raise StoredFileChanged(f"A stored file's key leaves the media folder: {key}")
            fd = os.open(f"{root}/{key}", os.O_RDONLY | os.O_CLOEXEC)
            try:
                if size is not None:
                    data = os.read(fd, size + 1)
                    # Whole when no more than the recorded size was read and nothing follows
                    # (a size changed since, or a short read, takes the general way below).
                    if len(data) <= size and not os.read(fd, 1):
                        return data
                    os.lseek(fd, 0, os.SEEK_SET)
                with open(fd, "rb", buffering=0, closefd=False) as stored:
                    return stored.readall()
            finally:
                os.close(fd)

        return read

    def read_from_storage(key: str, size: int | None) -> bytes:
        with default_storage.open(key, "rb") as stored:
            return stored.read()

    return read_from_storage


def _write_shard(
    export: ShardExport, number: int, grant_ids: list[int]
) -> tuple[dict, list[tuple[int, int, str]]]:
    """Write one shard of the plan to storage; its grants whose asset was taken down since
    the plan was made are left out. Returns its entry in `ShardExport.shards` and its
    samples (asset id, grant id, SHA-256 of the file), in order."""
    names, planned = list(SAMPLE_FIELDS), set(grant_ids)
    # The plan's grant ids are ascending: a range of the buyer's grants, kept when planned
    # (cheaper than a list of thousands of ids in the query).
    rows = [
        dict(zip(names, values, strict=True))
        for values in DownloadGrant.objects.filter(
            buyer=export.buyer_id,
            pk__range=(grant_ids[0], grant_ids[-1]),
            asset__status__in=SERVABLE,
        )
        .order_by("pk")
        .annotate(mtime=MTIME)
        .values_list(*SAMPLE_FIELDS.values())
        if values[0] in planned  # the grant id: the first of SAMPLE_FIELDS
    ]
    # An opt-in work's grant serves its offer's file, with the terms written in
    # (marketplace.served): that file goes into the shard, with its own SHA-256.
    unmade: dict[int, StoredFileUnreadable] = {}
    files = offer_files((row["offer_id"] for row in rows), unreadable=unmade)
    for row in rows:
        if made := files.get(row["offer_id"]):
            row["key"], row["sha256"], row["byte_size"] = made.key, made.sha256, made.byte_size
    # Stored files that are gone or damaged: every one in this shard, named at once.
    unreadable = list(unmade.values())
    name = shard_name(number)
    storage_key = f"{shards_prefix(export)}/{name}"
    samples = []
    spooled = _SpooledSave(storage_key)
    with spooled as spool, _TarWriter(spool.fileno()) as tar:
        read = _reader()
        for row in rows:
            if row["offer_id"] in unmade:
                continue
            try:
                data = read(row["key"], row["byte_size"])
            except FileNotFoundError:
                unreadable.append(unreadable_found(row["asset_id"], f"{row['key']}: missing"))
                continue
            sha256 = hashlib.sha256(data).hexdigest()
            if row["sha256"] and sha256 != row["sha256"]:
                unreadable.append(unreadable_found(
                    row["asset_id"], f"{row['key']}: its bytes no longer match its SHA-256"
                ))  # fmt: skip
                continue
            if unreadable:  # this shard is not kept: read on only to find the others
                continue
            key = f"asset-{row['asset_id']}"
            extension = EXTENSION_BY_MIME.get(row["mime_type"], "bin")
            tar.add(f"{key}.{extension}", data, row["mtime"])
            tar.add(f"{key}.json", to_json(sidecar(row, sha256)).encode(), row["mtime"])
            samples.append((row["asset_id"], row["grant_id"], sha256))
        if unreadable:
            raise unreadable_together(unreadable)
        tar.close()
    entry = {"name": name, "key": spooled.key, "size": tar.size, "sha256": tar.sha256.hexdigest(),
             "sample_count": len(samples)}  # fmt: skip
    return entry, samples


def _index_parts(export: ShardExport) -> Iterator[str]:
    """The index stored beside the shards, in pieces: every shard's name, size, SHA-256 and
    samples (key, asset id, grant id, SHA-256 of the file), so a copy can be checked and
    cleaned. The same text as `json.dumps(index, sort_keys=True)`, made while the samples
    are read from the database, a few thousand at a time, rather than from one list."""
    rows = iter(
        ShardSample.objects.filter(export=export)
        .order_by("shard", "position")
        .values_list("shard", "asset_id", "grant_id", "sha256")
        .iterator(chunk_size=INDEX_ROWS)
    )
    total = sum(entry["sample_count"] for entry in export.shards)
    yield f'{{"export_id": {export.pk}, "format": "webdataset", "samples": {total}, "shards": ['
    for number, entry in enumerate(export.shards):
        yield f'{", " if number else ""}{{"name": {to_json(entry["name"])}, "samples": ['
        samples = []
        for shard, asset_id, grant_id, sha256 in islice(rows, entry["sample_count"]):
            if shard != number:  # written with their entry, in one transaction: never
                raise AssertionError(f"shard export {export.pk}: shard {number}'s samples")
            # Ids are numbers and SHA-256s hexadecimal: nothing to escape.
            samples.append(f'{{"asset_id": {asset_id}, "grant_id": {grant_id}, '
                           f'"key": "asset-{asset_id}", "sha256": "{sha256}"}}')  # fmt: skip
        yield ", ".join(samples)
        yield f'], "sha256": {to_json(entry["sha256"])}, "size": {entry["size"]}}}'
    yield "]}"


INDEX_ROWS = 10_000  # samples read from the database at a time when writing the index


def _index_save(export: ShardExport) -> str:
    """Write the index to storage (through a temporary file, as a shard is); its key."""
    spooled = _SpooledSave(f"{shards_prefix(export)}/index.json")
    with spooled as spool:
        for part in _index_parts(export):
            spool.write(part.encode())
    return spooled.key


def _recorded(entry: dict) -> bool:
    return (
        default_storage.exists(entry["key"]) and default_storage.size(entry["key"]) == entry["size"]
    )


# States a build leaves alone.
FINAL = (ShardExport.State.DONE, ShardExport.State.EXPIRED)


def shard_export_build(export_id: int) -> ShardExport:
    """Write the export's shards and index; safe to run again, and while another process
    runs it (that one finishes the work, this one returns). A stored file that is gone or
    damaged fails the export, naming the works, and the moderators are told
    (marketplace.export_failures)."""
    export = ShardExport.objects.select_related("buyer").get(pk=export_id)
    if export.state in FINAL:
        return export
    with BuildLock(BUILD_LOCK, export_id) as held:
        if not held:
            return export
        export.refresh_from_db()
        if export.state in FINAL:  # built meanwhile, or expired (a late retry builds nothing)
            return export
        try:
            _write_shards(export)
        except StoredFileUnreadable as error:  # no retry can read it: fail, and say so
            export_unreadable_fail(export, error, noun="shard export")
            return export
        export.index_key = _index_save(export)
        _finish(export)
    return export


def _write_shards(export: ShardExport) -> None:
    """Plan the export (once) and write the shards not written yet, keeping progress."""
    if not export.plan:
        export.plan = _plan(export)
        export.save(update_fields=["plan"])
    recorded = {entry["name"]: entry for entry in export.shards if _recorded(entry)}
    for number, grant_ids in enumerate(export.plan):
        if shard_name(number) not in recorded:
            entry, samples = _write_shard(export, number, grant_ids)
            _record(export, number, entry, samples)
            recorded[entry["name"]] = entry
    export.shards = sorted(recorded.values(), key=lambda entry: entry["name"])


# A shard's entry added to the export's list, or put in place of the one recorded before
# (its file was gone), without sending the others back: the database rewrites the list,
# which holds a few numbers and names a shard.
SHARD_RECORDED = f"""
UPDATE {ShardExport._meta.db_table} SET shards = (
    SELECT jsonb_agg(entry ORDER BY entry->>'name') FROM (
        SELECT entry FROM jsonb_array_elements(shards) entry WHERE entry->>'name' <> %(name)s
        UNION ALL SELECT %(entry)s::jsonb
    ) entries
) WHERE id = %(export)s
"""  # noqa: S608 - a table name, not input
SAMPLES_COPY = (
    f"COPY {ShardSample._meta.db_table} (export_id, shard, position, asset_id, grant_id, sha256)"
    " FROM STDIN"
)


@transaction.atomic
def _record(export: ShardExport, number: int, entry: dict, samples) -> None:
    """Keep a written shard's entry and samples together, so that a build run again skips
    the shard, or writes it again in their place (never a sample twice)."""
    ShardSample.objects.filter(export=export, shard=number).delete()
    with connection.cursor() as cursor:
        # COPY: a fifth of the time of bulk_create's INSERT for 10,000 rows (0.1-0.2 s).
        with cursor.copy(SAMPLES_COPY) as copy:
            for position, (asset_id, grant_id, sha256) in enumerate(samples):
                copy.write_row((export.pk, number, position, asset_id, grant_id, sha256))
        cursor.execute(
            SHARD_RECORDED, {"name": entry["name"], "entry": to_json(entry), "export": export.pk}
        )


# One audit event per delivered asset, written by the database from the samples.
SHARDED_EVENTS = f"""
SELECT s.asset_id, %(kind)s, '', %(actor)s,
       jsonb_build_object('buyer_id', %(buyer)s::bigint, 'grant_id', s.grant_id,
                          'shard_export_id', %(export)s::bigint),
       now()
FROM {ShardSample._meta.db_table} s WHERE s.export_id = %(export)s ORDER BY s.shard, s.position
"""  # noqa: S608 - a table name, not input


@transaction.atomic
def _finish(export: ShardExport) -> None:
    """Mark the export built and log each delivered asset, once."""
    locked = ShardExport.objects.select_for_update().get(pk=export.pk)
    if locked.state == ShardExport.State.DONE:
        return
    export.assets = sum(entry["sample_count"] for entry in export.shards)
    export.skipped = max(0, _wanted(export) - export.assets)
    export.state, export.finished_at, export.error = ShardExport.State.DONE, timezone.now(), ""
    export.save(update_fields=["index_key", "assets", "skipped", "state", "finished_at",
                               "error"])  # fmt: skip
    events_append_from(
        SHARDED_EVENTS,
        {"kind": EventKind.DOWNLOAD_SHARDED, "actor": export.buyer.get_username(),
         "buyer": export.buyer_id, "export": export.pk},
    )  # fmt: skip


# --- what the buyer is handed ---------------------------------------------------------------


NOT_SERVED = [status for status in AssetStatus.values if status not in SERVABLE]


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
    # One query: the samples whose asset is no longer served (a few, if any). Named by the
    # statuses not served rather than "not served", so that the database can start from
    # the few such assets (by their status) and find the export's samples of each (by the
    # samples' asset index), rather than read all of a large export's samples.
    down = {}
    for number, asset_id in (
        ShardSample.objects.filter(export=export, asset__status__in=NOT_SERVED)
        .order_by("shard", "asset_id")
        .values_list("shard", "asset_id")
    ):
        down.setdefault(shard_name(number), []).append(asset_id)
    seconds = settings.DOWNLOAD_URL_SECONDS
    links = []
    for shard in export.shards:
        removed = down.get(shard["name"], [])
        link = None
        if not removed:
            link = signed_link(
                key=shard["key"], seconds=seconds, filename=shard["name"], mime_type=TAR_MIME
            )
        links.append(ShardLink(shard["name"], shard["size"], shard["sha256"],
                               shard["sample_count"], link, removed))  # fmt: skip
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


# Counted by the database, so that a list of exports does not read every shard's samples.
def _length(field: str) -> Func:
    return Func(F(field), function="jsonb_array_length", output_field=BigIntegerField())


SHARDS_BYTES = RawSQL(  # noqa: S611 - a table name, not input
    "SELECT coalesce(sum((s->>'size')::bigint), 0) "  # noqa: S608
    f'FROM jsonb_array_elements("{ShardExport._meta.db_table}".shards) s',
    (),
    output_field=BigIntegerField(),
)


def shard_exports_listed(buyer):
    """The buyer's shard exports, newest first, each with its collection, its number of
    shards (`shard_count`) and their bytes (`total_bytes`) and of grants named one by one
    (`grant_count`), without reading the shards' samples."""
    return (
        shard_exports_of(buyer)
        .select_related("collection")
        .defer("plan", "shards", "grant_ids")
        .annotate(
            shard_count=_length("shards"),
            grant_count=_length("grant_ids"),
            total_bytes=SHARDS_BYTES,
        )
    )
