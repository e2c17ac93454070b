"""The catalog's public reads: what other apps may ask of the catalog. Defined here: search
as the API runs it, one published asset and its neighbours, sources with their counts and
thumbnails; the others in the catalog module named beside them. Other apps use these (and
the models), never the catalog's other modules (enforced in `make lint`)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Max, Q

from catalog import search
from catalog.connectors import CONNECTORS
from catalog.consent.uploads import UploadConcerns, upload_concerns
from catalog.consent.vocabulary import USES as CONSENT_USES
from catalog.images import EXTENSION_BY_MIME, MIME_BY_FORMAT, ImageRejected, decode_image
from catalog.licenses import LICENSE_URLS, normalize_license
from catalog.models import OPT_IN_SOURCE, Asset, AssetStatus, IngestRun, License, Use
from catalog.optouts import opted_out
from catalog.pd12m.files import caption
from catalog.releases import COLUMNS as RELEASE_COLUMNS
from catalog.releases import FILE_FORMAT as RELEASE_FILE_FORMAT
from catalog.releases import MIME_TYPE as RELEASE_MIME_TYPE
from catalog.releases import (
    license_counts,
    release_asset_ids,
    release_datasheet,
    released,
    released_get,
)
from catalog.scores import (
    AssetScores,
    ScoringSubject,
    asset_scoring_backlog,
    asset_scoring_backlog_count,
    asset_scoring_subjects,
)
from catalog.search import (
    BASE_SET_LICENSES,
    ORDERINGS,
    SCORE_FILTERS,
    asset_page,
    published,
    search_page,
)
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
from common.errors import DomainError, NotFound
from provenance.models import DatasetRelease
from provenance.selectors import Datasheet

__all__ = [
    "BASE_SET_LICENSES",
    "CONSENT_USES",
    "EXTENSION_BY_MIME",
    "LICENSE_URLS",
    "MAX_CREATION_DATE_LENGTH",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "MIME_BY_FORMAT",
    "ORDERINGS",
    "RELEASE_COLUMNS",
    "RELEASE_FILE_FORMAT",
    "RELEASE_MIME_TYPE",
    "SCORE_FILTERS",
    # defined here
    "SCORE_PARAMS",
    "SIMILAR_SCAN",
    "SOURCE_NAMES",
    "AssetScores",
    "AssetSearchParamsSerializer",
    "ImageRejected",
    "InvalidSearch",
    "ScoringSubject",
    "SearchPage",
    "SearchTooBroad",
    "SourceSummary",
    "ThresholdsSerializer",
    "UploadConcerns",
    "UploadMatch",
    "VerifiedImage",
    "WorkText",
    "asset_match_count",
    "asset_page",
    "asset_scoring_backlog",
    "asset_scoring_backlog_count",
    "asset_scoring_subjects",
    "asset_search_page",
    "asset_thumbnail_key",
    "asset_use_prices",
    "assets_by_id",
    "assets_like",
    "caption",
    "creation_date_clean",
    "declared_format",
    "decode_image",
    "facet_sources",
    "file_extension",
    "includes_opt_in",
    "last_ingested_at",
    "license_counts",
    "license_url",
    "normalize_license",
    "opted_out",
    "published",
    "published_asset",
    "published_of_source",
    "published_with_thumbnails",
    "read_limited",
    "release_asset_ids",
    "release_built",
    "release_datasheet",
    "release_sheet",
    "released",
    "released_get",
    "releases_built",
    "search_page",
    "search_params_clean",
    "source_name",
    "source_summaries",
    "source_summary",
    "tags_clean",
    "upload_concerns",
    "upload_matches",
    "upload_verify",
]  # fmt: skip


# --- search ---------------------------------------------------------------------------

SearchPage = search.SearchPage
SearchTooBroad = search.SearchTooBroad
SCORE_PARAMS = tuple(score.param for score in search.SCORE_FILTERS)


class InvalidSearch(DomainError):
    code = "invalid"


def search_params_clean(query: Mapping) -> dict:
    """A search's parameters checked exactly as GET /api/v1/assets/ checks them (`query` is
    a QueryDict or a plain dict of strings); InvalidSearch names each bad parameter."""
    form = AssetSearchParamsSerializer(data=query)
    unknown = sorted(set(query) - set(form.fields))
    fields = {name: ["Unknown search parameter."] for name in unknown}
    if form.is_valid() and not fields:
        return dict(form.validated_data)
    fields.update({name: [str(m) for m in messages] for name, messages in form.errors.items()})
    first = next(iter(fields))
    raise InvalidSearch(f"{first}: {fields[first][0]}", fields=fields)


def asset_search_page(params: dict, *, page_size: int) -> SearchPage:
    """One page of a search, with facets when `params` asks for them: the API's own search
    (same cursor, same time limit: SearchTooBroad when it runs past it)."""
    return search.search_page(params, page_size=page_size)


def asset_match_count(params: dict) -> dict:
    """How many published assets the search selects, with the facets' method (exact or
    estimated) and by source and license; cached like the API's facets, and stopped like a
    search when it runs too long."""
    with search.within_time_limit():
        return search.asset_facets(params)


def facet_sources() -> tuple[str, ...]:
    """Every source a search may name: the connectors, bulk imports, rights holders' uploads."""
    return search.FACET_SOURCES


# --- one asset ----------------------------------------------------------------------------


def published_asset(asset_id: int) -> Asset:
    """A published asset; anything else (never there, embargoed, taken down) is NotFound,
    alike, as the API answers."""
    asset = search.published().filter(pk=asset_id).first()
    if asset is None:
        raise NotFound("No published asset has this id.")
    return asset


def license_url(code: str) -> str | None:
    return LICENSE_URLS.get(code)


SIMILAR_SCAN = 5000  # newest published assets compared by perceptual hash, at most


def assets_like(asset: Asset, *, limit: int = 6) -> dict[str, list[Asset]]:
    """ "More like this": other published assets by the same creator (newest first), those
    whose perceptual hash is nearest (candidates from the index of hash bands and the newest
    SIMILAR_SCAN assets, compared bit by bit), and more from the same source (newest first).
    No asset is in two lists."""
    others = search.published().exclude(pk=asset.pk).exclude(thumbnail_key="")
    shown = {asset.pk}
    lists = {}
    if asset.creator:
        lists["creator"] = list(
            others.filter(creator__iexact=asset.creator).order_by("-pk")[:limit]
        )
        shown |= {a.pk for a in lists["creator"]}
    lists["similar"] = (
        [a for a in _nearest(asset, limit + len(shown)) if a.pk not in shown][:limit]
        if asset.perceptual_hash
        else []
    )
    shown |= {a.pk for a in lists["similar"]}
    lists["source"] = list(others.filter(source=asset.source).exclude(pk__in=shown)
                           .order_by("-pk")[:limit])  # fmt: skip
    return lists


def _nearest(asset: Asset, limit: int) -> list[Asset]:
    """Published assets ordered by Hamming distance between 64-bit perceptual hashes."""
    sql = """
        SELECT id FROM (
            (SELECT id, perceptual_hash FROM catalog_asset
             WHERE status = 'published' AND id <> %(id)s AND thumbnail_key <> ''
               AND (phash_band0 = %(b0)s OR phash_band1 = %(b1)s
                    OR phash_band2 = %(b2)s OR phash_band3 = %(b3)s))
            UNION
            (SELECT id, perceptual_hash FROM catalog_asset
             WHERE status = 'published' AND id <> %(id)s AND thumbnail_key <> ''
               AND perceptual_hash <> ''
             ORDER BY id DESC LIMIT %(scan)s)
        ) AS c
        WHERE length(perceptual_hash) = 16
        ORDER BY bit_count(('x' || perceptual_hash)::bit(64) # ('x' || %(hash)s)::bit(64)), id DESC
        LIMIT %(limit)s
    """
    values = {
        "id": asset.pk, "hash": asset.perceptual_hash, "scan": SIMILAR_SCAN, "limit": limit,
        **{f"b{i}": getattr(asset, f"phash_band{i}") for i in range(4)},
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        ids = [row[0] for row in cursor.fetchall()]
    found = Asset.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


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


def assets_by_id(asset_ids: list[int]) -> dict[int, Asset]:
    """These assets in any state (a buyer's collection shows the removed ones as such)."""
    return Asset.objects.in_bulk(asset_ids)


def includes_opt_in(asset_ids: list[int]) -> bool:
    """Whether any of these assets is an opt-in work (licensing one needs a use)."""
    return Asset.objects.filter(pk__in=asset_ids, license=License.OPT_IN).exists()


# --- sources ------------------------------------------------------------------------------

SOURCE_NAMES = {
    "wikimedia_commons": "Wikimedia Commons",
    "smithsonian": "Smithsonian Open Access",
    "europeana": "Europeana",
    "metropolitan_museum": "The Metropolitan Museum of Art",
    "cleveland_museum": "The Cleveland Museum of Art",
    "art_institute_chicago": "Art Institute of Chicago",
    "nypl": "New York Public Library",
    "brooklyn_museum": "Brooklyn Museum",
    "pd12m": "PD12M bulk import",
    OPT_IN_SOURCE: "Rights holders' own works",
    "sample_images": "Demo sample images",
}


def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, source.replace("_", " ").capitalize())


@dataclass(frozen=True)
class SourceSummary:
    source: str
    name: str
    published: int
    rejected: int
    last_ingest: IngestRun | None
    is_connector: bool


def source_summaries() -> list[SourceSummary]:
    """Every source the catalog holds assets of, with its published and rejected counts and
    its latest finished ingest run, largest first. One grouped query over the catalog's
    (source, status) pairs and one over ingest runs."""
    counts: dict[str, dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT source, status, count(*) FROM catalog_asset "
            "WHERE status IN ('published', 'rejected') GROUP BY source, status"
        )
        for source, status, n in cursor.fetchall():
            counts.setdefault(source, {})[status] = n
    runs = _latest_runs(list(counts))
    summaries = [
        SourceSummary(source, source_name(source), by.get("published", 0),
                      by.get("rejected", 0), runs.get(source), source in CONNECTORS)
        for source, by in counts.items()
    ]  # fmt: skip
    return sorted(summaries, key=lambda s: (-s.published, s.source))


def source_summary(source: str) -> SourceSummary:
    """One source's summary, or NotFound when the catalog holds nothing from it."""
    for summary in source_summaries():
        if summary.source == source:
            return summary
    raise NotFound("The catalog holds nothing from this source.")


def _latest_runs(sources: list[str]) -> dict[str, IngestRun]:
    finished = IngestRun.objects.filter(source__in=sources, finished_at__isnull=False)
    latest = finished.values("source").annotate(last=Max("finished_at"))
    wanted = Q(pk__in=[])
    for row in latest:
        wanted |= Q(source=row["source"], finished_at=row["last"])
    return {run.source: run for run in finished.filter(wanted).order_by("pk")}


def last_ingested_at(summary: SourceSummary) -> datetime | None:
    return summary.last_ingest.finished_at if summary.last_ingest else None


# --- dataset releases ---------------------------------------------------------------------


def releases_built():
    """Built releases, newest first (queued and failed ones are not shown to readers)."""
    return released()


def release_built(release_id: int) -> DatasetRelease:
    return released_get(release_id)


def release_sheet(release: DatasetRelease, *, base_url: str = "") -> Datasheet:
    return release_datasheet(release, base_url=base_url)


def published_of_source(source: str, *, limit: int) -> list[Asset]:
    """The newest published assets of a source that have a thumbnail."""
    return list(
        search.published().filter(source=source).exclude(thumbnail_key="").order_by("-pk")[:limit]
    )


def file_extension(mime_type: str) -> str:
    """The extension a stored file of this type is delivered with ("bin" when unknown)."""
    return EXTENSION_BY_MIME.get(mime_type or "", "bin")


def asset_use_prices(asset: Asset) -> dict[str, int]:
    """Each use the asset may be licensed for and the artist's price for it in micro-USD
    (the platform fee comes on top for opt-in works): every use for free in the base set,
    the current offer's uses for an opt-in work (none when it is not on offer)."""
    if asset.license in BASE_SET_LICENSES:
        return dict.fromkeys(Use.values, 0)
    prices = asset.use_prices or {}
    return {use: prices[use] for use in Use.values if use in prices}
