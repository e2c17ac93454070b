"""Searching published assets: filters, full-text relevance, keyset pages and facets.

Filters on classifier scores come from SCORE_FILTERS: a new score plugs in by adding one
entry there (its API parameter, validation and query), without touching the view."""

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.db.models import Count, F, FloatField, Q, QuerySet
from django.db.models.functions import Cast, Coalesce, Lower
from django.utils import timezone
from psycopg.errors import QueryCanceled
from rest_framework import serializers

from catalog.connectors import CONNECTORS
from catalog.models import Asset, AssetStatus, License
from catalog.pg_settings import set_local
from catalog.search_documents import CONFIG
from common.errors import DomainError

ORDERINGS = ("relevance", "newest", "id")
# Sources shown in facets: every connector, bulk imports and rights holders' uploads.
FACET_SOURCES = (*CONNECTORS, "pd12m", "opt_in")


@dataclass(frozen=True)
class ScoreFilter:
    """A buyer's threshold on one classifier score."""

    param: str
    field: Callable[[], serializers.Field]
    apply: Callable[[QuerySet, Any], QuerySet]


SCORE_FILTERS = (
    ScoreFilter(
        "max_nsfw",
        lambda: serializers.FloatField(
            min_value=0, max_value=1, required=False,
            help_text="Only assets whose nudity score is at most this (0 to 1). "
            "Assets not yet scored are left out.",
        ),
        lambda qs, value: qs.filter(nsfw_score__lte=value),
    ),
    ScoreFilter(
        "max_faces",
        lambda: serializers.IntegerField(
            min_value=0, max_value=1000, required=False,
            help_text="Only assets with at most this many detected faces (0: no faces). "
            "Assets not yet scored are left out.",
        ),
        lambda qs, value: qs.filter(face_count__lte=value),
    ),
    ScoreFilter(
        "exclude_pii",
        lambda: serializers.BooleanField(
            required=False, default=None, allow_null=True,
            help_text="true: leave out assets whose text holds personal data, and those not "
            "yet checked.",
        ),
        lambda qs, value: qs.filter(has_pii=False) if value else qs,
    ),
    ScoreFilter(
        "exclude_sensitive",
        lambda: serializers.BooleanField(
            required=False, default=None, allow_null=True,
            help_text="true: leave out assets a moderator marked sensitive (reviewed and "
            "kept, such as nudity in a painting).",
        ),
        lambda qs, value: qs.filter(sensitive=False) if value else qs,
    ),
)  # fmt: skip


class InvalidCursor(DomainError):
    """A cursor that is not ours, or belongs to another query: a 400 on `cursor`."""

    code = "invalid"

    def __init__(self, message: str):
        super().__init__(message, fields={"cursor": [message]})


class SearchTooBroad(DomainError):
    code = "search_too_broad"


@dataclass(frozen=True)
class SearchPage:
    rows: list[Asset]
    next_cursor: str | None
    facets: dict | None


@contextmanager
def within_time_limit():
    """A transaction with the search's settings; a query past its time limit raises
    SearchTooBroad, in words a person can act on."""
    try:
        with transaction.atomic():
            _search_settings()
            yield
    except OperationalError as exc:
        if not isinstance(exc.__cause__, QueryCanceled):
            raise
        raise SearchTooBroad(
            "This search took too long; add filters or more specific words."
        ) from exc


def search_page(params: dict, *, page_size: int) -> SearchPage:
    """One page of a search (and its facets when asked), within the search's time limit."""
    with within_time_limit():
        rows, next_cursor = asset_page(params, page_size=page_size, cursor=params.get("cursor"))
        facets = asset_facets(params) if params.get("facets") else None
    return SearchPage(rows, next_cursor, facets)


def _search_settings() -> None:
    """A search that would take too long is stopped, never left to scan the table; no JIT
    compilation, which costs these short queries more (about 45 ms) than it saves; and
    enough memory for the bitmap of a common word's matches to stay exact (a lossy one
    makes PostgreSQL re-check every row of the pages it covers)."""
    with connection.cursor() as cursor:
        set_local(cursor, {
            "statement_timeout": str(settings.SEARCH_STATEMENT_TIMEOUT_MS),
            "jit": "off",
            "work_mem": settings.SEARCH_WORK_MEM,
            "random_page_cost": str(settings.SEARCH_RANDOM_PAGE_COST),
        })  # fmt: skip


def published() -> QuerySet[Asset]:
    return Asset.objects.filter(status=AssetStatus.PUBLISHED)


def _text_query(q: str) -> SearchQuery:
    # websearch syntax: words, "phrases", -exclusions, OR. Any text is safe: it is a value.
    return SearchQuery(q, config=CONFIG, search_type="websearch")


def asset_search(params: dict[str, Any]) -> QuerySet[Asset]:
    """Published assets matching the validated search parameters (no ordering yet)."""
    qs = published()
    q = params.get("q")
    if q:
        query = _text_query(q)
        # ts_rank is a 4-byte float, which loses digits on its way to Python and back:
        # as a double the cursor's rank compares exactly.
        qs = qs.filter(search_document=query).annotate(
            rank=Cast(SearchRank(F("search_document"), query), FloatField())
        )
    if params.get("license"):
        qs = qs.filter(license__in=params["license"])
    if params.get("source"):
        qs = qs.filter(source__in=params["source"])
    if params.get("mime_type"):
        qs = qs.filter(mime_type__in=params["mime_type"])
    if params.get("creator"):
        # LOWER(creator) = ... is what the creator index holds.
        qs = qs.alias(creator_lower=Lower("creator")).filter(
            creator_lower=params["creator"].lower()
        )
    for param, lookup in (
        ("year_from", "year__gte"), ("year_to", "year__lte"),
        ("min_width", "width__gte"), ("min_height", "height__gte"),
    ):  # fmt: skip
        if params.get(param) is not None:
            qs = qs.filter(**{lookup: params[param]})
    if params.get("added_after"):
        qs = qs.filter(created_at__gte=_day_start(params["added_after"]))
    if params.get("added_before"):
        qs = qs.filter(created_at__lt=_day_start(params["added_before"]))
    if params.get("min_aspect") is not None or params.get("max_aspect") is not None:
        qs = qs.filter(width__isnull=False, height__gt=0).alias(
            aspect=Cast("width", FloatField()) / Cast("height", FloatField())
        )
        if params.get("min_aspect") is not None:
            qs = qs.filter(aspect__gte=params["min_aspect"])
        if params.get("max_aspect") is not None:
            qs = qs.filter(aspect__lte=params["max_aspect"])
    qs = _price_filter(qs, params)
    for score in SCORE_FILTERS:
        if params.get(score.param) is not None:
            qs = score.apply(qs, params[score.param])
    return qs


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _price_filter(qs: QuerySet, params: dict) -> QuerySet:
    if params.get("free_only"):
        return qs.filter(Q(price_micros__isnull=True) | Q(price_micros=0))
    if params.get("min_price_micros") is None and params.get("max_price_micros") is None:
        return qs
    qs = qs.alias(price=Coalesce("price_micros", 0))
    if params.get("min_price_micros") is not None:
        qs = qs.filter(price__gte=params["min_price_micros"])
    if params.get("max_price_micros") is not None:
        qs = qs.filter(price__lte=params["max_price_micros"])
    return qs


def effective_ordering(params: dict) -> str:
    return params.get("ordering") or ("relevance" if params.get("q") else "newest")


def query_key(params: dict) -> str:
    """A short stable digest of what the query selects (not how it is paged). It keys
    cursors and cached facets; `params` hold the effective classifier thresholds (a buyer's
    saved defaults already merged in: marketplace.search_defaults), so neither is shared
    across different thresholds."""
    selecting = {
        k: v for k, v in params.items()
        if k not in ("cursor", "page_size", "facets") and v not in (None, "", [])
    }  # fmt: skip
    raw = json.dumps(selecting, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def encode_cursor(*, ordering: str, key: str, last: Asset, floor: int | None = None) -> str:
    position = {"o": ordering, "k": key, "id": last.pk}
    if ordering == "relevance":
        position["f"] = floor
        if getattr(last, "rank", None) is None:
            position["older"] = True  # past the ranked window: newest first
        else:
            position["r"] = last.rank
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _valid_relevance(position: dict) -> bool:
    floor = position.get("f")
    if floor is not None and not isinstance(floor, int):
        return False
    if position.get("older") is True:
        return floor is not None
    return isinstance(position.get("r"), int | float)


def decode_cursor(raw: str, *, ordering: str, key: str) -> dict:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
        valid = (
            isinstance(position, dict)
            and isinstance(position.get("id"), int)
            and (ordering != "relevance" or _valid_relevance(position))
        )
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("This cursor is not valid; start again from the first page.") from exc
    if not valid:
        raise InvalidCursor("This cursor is not valid; start again from the first page.")
    if position.get("o") != ordering or position.get("k") != key:
        raise InvalidCursor(
            "This cursor belongs to another query or ordering; start again from the first page."
        )
    return position


def asset_page(
    params: dict, *, page_size: int, cursor: str | None = None
) -> tuple[list[Asset], str | None]:
    """One page in keyset order, and the cursor of the next page (None on the last)."""
    ordering = effective_ordering(params)
    key = query_key({**params, "ordering": ordering})
    qs = asset_search(params)
    position = decode_cursor(cursor, ordering=ordering, key=key) if cursor else None
    if ordering == "relevance":
        rows, floor = _relevance_rows(qs, page_size=page_size, position=position)
        if len(rows) <= page_size:
            return rows, None
        rows = rows[:page_size]
        return rows, encode_cursor(ordering=ordering, key=key, last=rows[-1], floor=floor)
    if ordering == "newest":
        qs = qs.order_by("-id")
        if position:
            qs = qs.filter(id__lt=position["id"])
    else:
        qs = qs.order_by("id")
        if position:
            qs = qs.filter(id__gt=position["id"])
    rows = list(qs[: page_size + 1])
    if len(rows) <= page_size:
        return rows, None
    rows = rows[:page_size]
    return rows, encode_cursor(ordering=ordering, key=key, last=rows[-1])


def _relevance_rows(
    qs: QuerySet, *, page_size: int, position: dict | None
) -> tuple[list[Asset], int | None]:
    """Up to page_size + 1 matches in relevance order, and the floor of the ranked window.

    Ranking reads every match it ranks, so a common word (one in a fifth of the catalog)
    would read a fifth of the table for each page. Relevance therefore ranks a window: the
    SEARCH_RANK_WINDOW newest matches, whose lowest id (the floor) the cursor carries so
    every page ranks the same window, plus what was published above it meanwhile. The
    older matches follow the window, newest first, so paging still reaches every match
    once. Rows from the window carry `rank`; the older ones have none."""
    limit = page_size + 1
    if position and position.get("older"):
        floor = position["f"]
        return _loaded(_older(qs, floor, limit, before=position["id"])), floor
    if position is None:
        window = qs.order_by("-id")[: settings.SEARCH_RANK_WINDOW]
        ranked, floor = _ranked_window(window, limit)
    else:
        floor = position["f"]
        window = qs if floor is None else qs.filter(id__gte=floor)
        ranked = _ranked(window, limit, after=(position["r"], position["id"]))
    if len(ranked) < limit and floor is not None:
        ranked += _older(qs, floor, limit - len(ranked), before=floor)
    return _loaded(ranked), floor


Ranked = list[tuple[int, float | None]]  # (asset id, rank), in page order


def _ranked_window(window: QuerySet, limit: int) -> tuple[Ranked, int | None]:
    """The first page of the window, and its floor when the window is full (when it is
    not, it holds every match and needs none)."""
    sql, values = window.values_list("id", "rank").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, rank, min(id) OVER (), count(*) OVER () FROM ({sql}) AS w "  # noqa: S608 - the ORM's own SQL
            "ORDER BY rank DESC, id DESC LIMIT %s",
            [*values, limit],
        )
        found = cursor.fetchall()
    full = bool(found) and found[0][3] >= settings.SEARCH_RANK_WINDOW
    return [(row[0], row[1]) for row in found], found[0][2] if full else None


def _ranked(window: QuerySet, limit: int, *, after: tuple[float, int]) -> Ranked:
    rank, last_id = after
    found = (
        window.filter(Q(rank__lt=rank) | Q(rank=rank, id__lt=last_id))
        .order_by("-rank", "-id")
        .values_list("id", "rank")[:limit]
    )
    return list(found)


def _older(qs: QuerySet, floor: int, limit: int, *, before: int) -> Ranked:
    found = qs.filter(id__lt=min(floor, before)).order_by("-id").values_list("id", flat=True)
    return [(pk, None) for pk in found[:limit]]


def _loaded(ranked: Ranked) -> list[Asset]:
    """The assets of (id, rank) pairs, in that order. Ranking reads ids only: loading whole
    rows for one page is cheaper than carrying them through the ranking of thousands."""
    assets = Asset.objects.in_bulk([pk for pk, _ in ranked])
    rows = []
    for pk, rank in ranked:
        if pk in assets:
            assets[pk].rank = rank
            rows.append(assets[pk])
    return rows


def asset_facets(params: dict) -> dict:
    """Counts by source and by license for the query. Exact when the query selects at most
    FACET_EXACT_LIMIT assets; beyond that, PostgreSQL's planner estimates (no scan of the
    matching rows). Kept in the cache for FACET_CACHE_SECONDS either way."""
    cache_key = f"facets:{query_key(params)}"
    cached = cache.get(cache_key)
    if cached:
        return {**cached, "cached": True}
    qs = asset_search(params).order_by()
    facets = _exact_facets(qs) if _small(qs) else _estimated_facets(qs)
    facets["computed_at"] = timezone.now().isoformat()
    cache.set(cache_key, facets, settings.FACET_CACHE_SECONDS)
    return {**facets, "cached": False}


def _small(qs: QuerySet) -> bool:
    return _planner_rows(qs) <= settings.FACET_EXACT_LIMIT


def _planner_rows(qs: QuerySet) -> int:
    plan = json.loads(qs.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _exact_facets(qs: QuerySet) -> dict:
    by_source: dict[str, int] = {}
    by_license: dict[str, int] = {}
    for source, license_code, count in _grouped(qs):
        by_source[source] = by_source.get(source, 0) + count
        by_license[license_code] = by_license.get(license_code, 0) + count
    return {
        "method": "exact",
        "total": sum(by_source.values()),
        "source": dict(sorted(by_source.items())),
        "license": dict(sorted(by_license.items())),
    }


def _grouped(qs: QuerySet):
    return qs.values_list("source", "license").annotate(n=Count("id")).order_by()


def _estimated_facets(qs: QuerySet) -> dict:
    by_source = {s: _planner_rows(qs.filter(source=s)) for s in FACET_SOURCES}
    by_license = {code: _planner_rows(qs.filter(license=code)) for code in License.values}
    return {
        "method": "estimated",
        "total": _planner_rows(qs),
        "source": {s: n for s, n in sorted(by_source.items()) if n > 1},
        "license": {c: n for c, n in sorted(by_license.items()) if n > 1},
    }
