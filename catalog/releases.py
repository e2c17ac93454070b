"""Dataset releases: named, versioned snapshots of the published catalog chosen by search
filters, written once as a Parquet file in the PD12M layout and then frozen.

The filters are the catalog's own search parameters, checked by its search serializer and
applied by its search (`catalog.search.asset_search`): a release lists exactly what a buyer
searching with the same filters would have found when it was built. Only published assets
are listed, so an asset taken down is out of every release built after the takedown; a
built release is never rewritten (a database trigger refuses it).

Rows carry the asset's record on our API (an absolute address: PUBLIC_BASE_URL, or the
address of the request that queued the build) and the source's public landing page, never
a download link: a release lists, buyers download through grants.

The release record (`provenance.DatasetRelease`) belongs to provenance with the datasheets;
building it reads the catalog, so it lives here (provenance uses no other app)."""

import contextlib
import hashlib
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from itertools import islice

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from catalog.licenses import LICENSE_URLS
from catalog.models import License
from catalog.pd12m.files import SCHEMA as PD12M_SCHEMA
from catalog.pd12m.files import caption
from catalog.search import SCORE_FILTERS, asset_search
from catalog.search_params import AssetSearchParamsSerializer
from common.errors import AlreadyExists, DomainError, NotFound
from common.money import usd
from provenance.models import DatasetRelease, EventKind, ProvenanceEvent
from provenance.selectors import (
    Datasheet,
    LicenseCount,
    ReleaseFile,
    Threshold,
    audit_log_head,
    source_counts,
    tally,
)
from provenance.services import events_append

State = DatasetRelease.State

# Search parameters that page or present results, or that depend on who searches (a buyer's
# saved thresholds), rather than choose assets.
NOT_FILTERS = ("cursor", "page_size", "facets", "ordering", "use_saved_thresholds")
# The PD12M columns, then the source's public page. `id` is our asset id, a number as in the
# API and in manifests (PD12M's own ids, which our import reads, are strings).
SCHEMA = PD12M_SCHEMA.set(PD12M_SCHEMA.get_field_index("id"), pa.field("id", pa.int64())).append(
    pa.field("landing_url", pa.string())
)
COLUMNS = tuple(SCHEMA.names)
FILE_FORMAT = "Parquet (PD12M layout)"
MIME_TYPE = "application/vnd.apache.parquet"
CHUNK_SIZE = 10_000  # rows read from the database and written as one Parquet row group
ASSET_FIELDS = ("pk", "title", "description", "width", "height", "mime_type", "sha256",
                "license", "source", "landing_url", "institution")  # fmt: skip
# PostgreSQL advisory lock (two-key form) held while a release is built: one builder per
# release, released by PostgreSQL if the worker dies. Provenance's keys are 7_342_xxx.
BUILD_LOCK = 7_342_001


class InvalidReleaseFilters(DomainError):
    """Filters that the catalog's search would refuse: a 400 naming each filter."""

    code = "invalid"

    def __init__(self, fields: dict[str, list[str]]):
        name, messages = next(iter(fields.items()))
        message = f"Filter {name}: {messages[0]}"
        if len(fields) > 1:
            message += f" (and {len(fields) - 1} more)"
        super().__init__(message, fields=fields)


class ReleaseFrozen(DomainError):
    code = "release_frozen"
    status_code = 409

    def __init__(self, release: DatasetRelease):
        super().__init__(
            f"Release {release} was built on {release.built_at:%Y-%m-%d %H:%M} and is frozen: "
            "a built release is never rebuilt. Build a new version instead.",
            fields={"version": ["Already built."]},
        )


class ReleaseBuilding(DomainError):
    code = "release_building"
    status_code = 409


def _params(filters: dict) -> dict:
    """The search parameters `asset_search` takes, checked by the catalog's serializer."""
    if not isinstance(filters, dict):
        example = '{"license": "cc0-1.0"}'
        raise InvalidReleaseFilters(
            {"filters": [f"Give the filters as an object of search parameters, e.g. {example}."]}
        )
    form = AssetSearchParamsSerializer(data=filters)
    allowed = [name for name in form.fields if name not in NOT_FILTERS]
    unknown = {
        name: [f"Not a search filter; use one of {', '.join(allowed)}."]
        for name in filters
        if name not in allowed
    }
    if unknown:
        raise InvalidReleaseFilters(unknown)
    if not form.is_valid():
        raise InvalidReleaseFilters(
            {name: _messages(errors) for name, errors in form.errors.items()}
        )
    return form.validated_data


def _messages(errors) -> list[str]:
    if isinstance(errors, dict):
        return [m for nested in errors.values() for m in _messages(nested)]
    if isinstance(errors, list):
        return [m for nested in errors for m in _messages(nested)]
    return [str(errors)]


def release_filters_clean(filters: dict | None) -> dict:
    """The filters checked as the catalog's search checks them, in the form they are stored
    and shown in datasheets: given names only, values normalized (lists for lists, days as
    YYYY-MM-DD, prices in USD). Raises InvalidReleaseFilters naming each bad filter."""
    filters = {} if filters is None else filters
    params = _params(filters)
    cleaned = {}
    for name in sorted(filters):
        if name in ("min_price", "max_price"):  # the serializer turns these into micro-USD
            value = usd(params[f"{name}_micros"])
        else:
            value = params.get(name)
        cleaned[name] = value.isoformat() if isinstance(value, date) else value
    return cleaned


def release_create(
    *,
    name: str,
    version: str,
    filters: dict | None = None,
    description: str = "",
    created_by: str = "",
) -> DatasetRelease:
    """A new release, queued (not built yet). Refuses a name and version already used."""
    name, version = name.strip(), version.strip()
    blank = {f: ["Must not be blank."] for f, v in (("name", name), ("version", version)) if not v}
    if blank:
        raise DomainError("A release needs a name and a version.", code="invalid", fields=blank)
    release = DatasetRelease(
        name=name,
        version=version,
        filters=release_filters_clean(filters),
        description=description.strip(),
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            release.save()
    except IntegrityError as error:
        raise AlreadyExists(
            f"Release {name} {version} exists already; choose another version.",
            fields={"version": ["Already used for this name."]},
        ) from error
    return release


def release_for_build(
    *,
    name: str,
    version: str,
    filters: dict | None = None,
    description: str = "",
    created_by: str = "",
) -> DatasetRelease:
    """The release to build now: a new one, or the same name and version left queued or
    failed earlier (built again with its own filters; other filters are refused). A built
    release is refused: it is frozen."""
    release = DatasetRelease.objects.filter(name=name.strip(), version=version.strip()).first()
    if release is None:
        return release_create(
            name=name, version=version, filters=filters, description=description,
            created_by=created_by,
        )  # fmt: skip
    if release.state == State.DONE:
        raise ReleaseFrozen(release)
    if filters is not None and release_filters_clean(filters) != release.filters:
        raise AlreadyExists(
            f"Release {release} exists already with other filters ({release.filters}); "
            "choose another version.",
            fields={"version": ["Already used for this name."]},
        )
    return release


def release_queue(*, release_id: int, base_url: str = "") -> DatasetRelease:
    """Queue a build on a worker (after the caller's transaction commits). A built release
    is refused (frozen); so is one being built, unless its builder is gone. `base_url`: the
    site's address for the file's links when PUBLIC_BASE_URL is not set."""
    with transaction.atomic():
        release = DatasetRelease.objects.select_for_update().get(pk=release_id)
        if release.state == State.DONE:
            raise ReleaseFrozen(release)
        if release.state == State.BUILDING and _builder_alive(release.pk):
            raise ReleaseBuilding(f"Release {release} is being built now.")
        release.state, release.error = State.QUEUED, ""
        release.save(update_fields=["state", "error"])

    def build_later():
        from catalog.tasks import build_release_task

        build_release_task.delay(release.pk, base_url)

    transaction.on_commit(build_later)
    return release


def release_size(release: DatasetRelease) -> int:
    """How many assets the release's filters select now (one count query): for progress."""
    return asset_search(_params(release.filters)).order_by().count()


def release_build(
    release_id: int,
    *,
    actor: str,
    base_url: str = "",
    progress: Callable[[int], object] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> DatasetRelease:
    """Build the release: stream the matching published assets in id order, a chunk at a
    time, into a Parquet file in storage, with its counts and SHA-256, and log a
    `release.built` event naming the file. A release already built is returned unchanged
    (a no-op: it is frozen), as is one another worker is building. A failure marks it
    failed, with the error, and is raised again. Each row's `url` starts with
    PUBLIC_BASE_URL, else `base_url`; with neither the build fails, saying so."""
    with _build_lock(release_id) as locked:
        release = DatasetRelease.objects.get(pk=release_id)
        if not locked or release.state == State.DONE:
            return release
        release.state, release.error = State.BUILDING, ""
        release.save(update_fields=["state", "error"])
        try:
            counts, key, sha256 = _write(release, progress, chunk_size, base_url)
        except Exception as error:
            DatasetRelease.objects.filter(pk=release_id).update(
                state=State.FAILED, error=f"{type(error).__name__}: {error}"[:500]
            )
            raise
        release.counts, release.file_key, release.sha256 = counts, key, sha256
        release.state, release.built_at = State.DONE, timezone.now()
        with transaction.atomic():
            release.save()
            events_append([_built_event(release, actor)])
    return release


def _built_event(release: DatasetRelease, actor: str) -> ProvenanceEvent:
    """The audit log's entry for a release: which file, with which assets (the file lists
    them; its SHA-256 pins it), asked for by whom."""
    return ProvenanceEvent(
        kind=EventKind.RELEASE_BUILT,
        actor=actor,
        data={
            "release_id": release.pk, "name": release.name, "version": release.version,
            "filters": release.filters, "total": release.counts["total"],
            "file_key": release.file_key, "sha256": release.sha256,
            "requested_by": release.created_by,
        },
    )  # fmt: skip


class NoSiteAddress(ValueError):
    """A release file links each asset by its absolute address, and none is known."""

    def __init__(self):
        super().__init__(
            "No site address for the release's links: set PUBLIC_BASE_URL (or pass "
            "--base-url to build_release)."
        )


def release_base_url(base_url: str = "") -> str:
    """The address a release's rows start with: PUBLIC_BASE_URL, else `base_url`."""
    base = settings.PUBLIC_BASE_URL or base_url.rstrip("/")
    if not base:
        raise NoSiteAddress()
    return base


def _write(
    release: DatasetRelease,
    progress: Callable[[int], object] | None,
    chunk_size: int,
    base_url: str,
) -> tuple[dict, str, str]:
    """Write the release file; returns its counts, storage key and SHA-256. Streams: the
    assets come through a server-side cursor (one query, so one consistent snapshot), and
    the file is spooled on disk, never held in memory whole."""
    assets = asset_search(_params(release.filters)).order_by("pk").values_list(*ASSET_FIELDS)
    groups: Counter[tuple[str, str, str]] = Counter()
    # "https://market.example.org/api/v1/assets/"
    api_prefix = release_base_url(base_url) + reverse("asset-detail", args=[0])[:-2]
    with tempfile.TemporaryFile() as spool:
        with pq.ParquetWriter(spool, SCHEMA) as writer:
            for chunk in _chunks(assets.iterator(chunk_size=chunk_size), chunk_size):
                writer.write_table(_table(chunk, api_prefix), row_group_size=chunk_size)
                groups.update((row[8], row[7], row[10]) for row in chunk)
                if progress is not None:
                    progress(len(chunk))
        spool.seek(0)
        sha256 = hashlib.file_digest(spool, "sha256").hexdigest()
        spool.seek(0)
        key = _file_key(release)
        if default_storage.exists(key):  # left by a failed build
            default_storage.delete(key)
        key = default_storage.save(key, File(spool, name=key))
    counts = tally(
        (source, code, institution, n) for (source, code, institution), n in groups.items()
    )
    return counts, key, sha256


def _table(rows: list[tuple], api_prefix: str) -> pa.Table:
    pk, title, description, width, height, mime, sha256, license_, source, landing, _ = zip(
        *rows, strict=True
    )
    return pa.Table.from_pydict(
        {
            "id": pk,
            "url": [f"{api_prefix}{i}/" for i in pk],
            "caption": [caption(t, d) for t, d in zip(title, description, strict=True)],
            "width": width,
            "height": height,
            "mime_type": mime,
            "hash": [h or None for h in sha256],  # null: not stored yet, so not hashed
            "license": license_,
            "source": source,
            "landing_url": landing,
        },
        schema=SCHEMA,
    )


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _file_key(release: DatasetRelease) -> str:
    name = slugify(release.name) or "release"
    return f"releases/{release.pk}/{name}-{slugify(release.version) or 'v'}.parquet"


@contextlib.contextmanager
def _build_lock(release_id: int) -> Iterator[bool]:
    """Yields whether this process holds the release's build lock (session-level, so a
    long build holds no transaction open)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [BUILD_LOCK, release_id])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [BUILD_LOCK, release_id])


def _builder_alive(release_id: int) -> bool:
    """Whether some process holds the release's build lock (a release left `building` by a
    worker that died has none)."""
    with _build_lock(release_id) as locked:
        return not locked


def license_counts(by_license: dict[str, int], *, base_url: str = "") -> tuple[LicenseCount, ...]:
    """Counts by license code, each with its name and URL, largest first. The opt-in license
    is the platform's own: its URL is the current training license's terms, on the site at
    `base_url`."""
    urls = {**LICENSE_URLS, License.OPT_IN: base_url + reverse("terms-current")}
    return tuple(
        LicenseCount(
            code=code,
            name=License(code).label if code in License.values else code,
            url=urls.get(code),
            count=count,
        )
        for code, count in sorted(by_license.items(), key=lambda item: (-item[1], item[0]))
    )


def score_thresholds(filters: dict) -> tuple[Threshold, ...]:
    """The classifier thresholds among the filters, each with the search's own words."""
    return tuple(
        Threshold(score.param, filters[score.param], str(score.field().help_text))
        for score in SCORE_FILTERS
        if filters.get(score.param) is not None
    )


def release_datasheet(release: DatasetRelease, *, base_url: str = "") -> Datasheet:
    counts = release.counts or {}
    return Datasheet(
        kind="release",
        name=release.name,
        version=release.version,
        description=release.description,
        created_at=release.created_at,
        built_at=release.built_at,
        generated_at=timezone.now(),
        total=counts.get("total", 0),
        by_source=source_counts(counts),
        by_license=license_counts(counts.get("by_license", {}), base_url=base_url),
        filters=release.filters,
        thresholds=score_thresholds(release.filters),
        file=ReleaseFile(FILE_FORMAT, COLUMNS, release.sha256) if release.file_key else None,
        audit_log=audit_log_head(),
    )


def release_asset_ids(release: DatasetRelease) -> frozenset[int]:
    """The ids of the assets a built release lists (its file's `id` column)."""
    if release.state != State.DONE or not release.file_key:
        return frozenset()
    with default_storage.open(release.file_key, "rb") as handle:
        table = pq.read_table(handle, columns=["id"])
    return frozenset(int(i) for i in table.column("id").to_pylist() if i is not None)


def released() -> QuerySet[DatasetRelease]:
    """Built releases, newest first: the ones anyone may read."""
    return DatasetRelease.objects.filter(state=State.DONE).order_by("-built_at", "-pk")


def released_get(pk: int) -> DatasetRelease:
    """A built release, or NotFound (queued and failed ones do not exist for readers)."""
    release = released().filter(pk=pk).first()
    if release is None:
        raise NotFound("No built release has this id.")
    return release
