"""Search speed at 1,000,000 published assets (issue: stays fast at 10 million).

Seeds a throw-away PostgreSQL database with N published assets (10 sources with a skewed
share, 2 licenses, Zipf-distributed creators and title words, random sizes and classifier
scores), then replays a fixed mix of 1,000 queries through the Django test client and, in
the same run, the bare SQL of the same page queries. Prints p50/p95/p99 per query kind.

    .venv/bin/python benchmarks/search.py [--rows 1000000] [--queries 1000] [--explain]

BENCH_DATABASE_URL picks the PostgreSQL server; the figures depend on whether the asset
table fits in its shared buffers, which the benchmark prints first.

Targets (docs/BENCHMARKS.md): p95 < 50 ms for filter-only queries and cursor pages,
p95 < 150 ms for text + filters."""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/_setup.py
from _setup import bench_database

SOURCES = [  # (name, share)
    ("wikimedia_commons", 30), ("smithsonian", 18), ("europeana", 15), ("pd12m", 12),
    ("metropolitan_museum", 8), ("cleveland_museum", 6), ("art_institute_chicago", 4),
    ("nypl", 3), ("brooklyn_museum", 2), ("opt_in", 2),
]  # fmt: skip
WORDS = (
    "harbor boat ship sea river bridge mountain forest tree flower garden portrait woman man "
    "child horse dog cat bird landscape city street church castle house interior still life "
    "fruit vase map manuscript letter book page drawing sketch engraving etching print photo "
    "glass negative lantern slide plate insect butterfly beetle shell fossil skull bone coin "
    "medal vase textile carpet dress hat shoe armor sword gun clock watch chair table bowl "
    "jar cup lamp window door tower wall ruin temple statue bust relief mask icon saint "
    "angel king queen soldier battle parade market fair dance music violin piano theater "
    "poster advertisement snow rain storm sunset night moon star sky cloud winter summer"
).split()
MIME = ["image/jpeg"] * 8 + ["image/tiff", "image/png"]


def zipf_choice(rng: random.Random, items: list, s: float = 1.1):
    # Inverse-CDF sampling over precomputed weights is cheap enough for a seed.
    return items[min(int(rng.paretovariate(s)) - 1, len(items) - 1)]


def seed(rows: int) -> None:
    from django.db import connection

    rng = random.Random(42)
    creators = [f"Creator {i:05d} {rng.choice(WORDS).title()}" for i in range(50_000)]
    source_pool = [name for name, share in SOURCES for _ in range(share)]
    columns = (
        "source, source_record_id, landing_url, original_url, title, creator, creator_url, "
        "description, creation_date, year, institution, tags, width, height, mime_type, "
        "license, status, rejection_reason, clone_state, clone_attempts, clone_error, "
        "perceptual_hash, sha256, original_key, thumbnail_key, price_micros, nsfw_score, "
        "face_count, has_pii, created_at, updated_at"
    )
    started = time.perf_counter()
    raw = connection.connection  # psycopg
    with raw.cursor() as cursor, cursor.copy(f"COPY catalog_asset ({columns}) FROM STDIN") as copy:
        for i in range(rows):
            source = rng.choice(source_pool)
            w, h = rng.choice([(4000, 3000), (3000, 4000), (1024, 768), (6000, 4000),
                               (800, 800), (2048, 1365), (1365, 2048)])  # fmt: skip
            words = [zipf_choice(rng, WORDS) for _ in range(rng.randint(2, 6))]
            paid = source == "opt_in"
            copy.write_row((
                source, f"{i}", f"https://example.org/r/{i}", f"https://img.example.org/{i}.jpg",
                " ".join(words).capitalize(), zipf_choice(rng, creators), "",
                " ".join(zipf_choice(rng, WORDS) for _ in range(rng.randint(5, 30))),
                str(rng.randint(1450, 2020)), rng.randint(1450, 2020), "",
                '["' + '","'.join(rng.sample(WORDS, 3)) + '"]', w, h, rng.choice(MIME),
                "opt-in" if paid else rng.choice(["pdm-1.0", "cc0-1.0"]), "published", "",
                "done", 0, "", "", "", "", "", rng.randint(0, 50_000) if paid else None,
                round(rng.betavariate(0.5, 12), 4), min(int(rng.expovariate(1.2)), 40),
                rng.random() < 0.03, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
            ))  # fmt: skip
    print(f"seeded {rows} rows in {time.perf_counter() - started:.0f}s", flush=True)
    started = time.perf_counter()
    from catalog.search_documents import DOCUMENT_SQL

    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE catalog_asset SET search_document = {DOCUMENT_SQL}")
        cursor.execute("VACUUM ANALYZE catalog_asset")
    print(f"search documents and statistics in {time.perf_counter() - started:.0f}s", flush=True)


def query_mix(count: int) -> list[tuple[str, dict]]:
    rng = random.Random(7)
    mix = []
    for i in range(count):
        kind = ["filter", "text", "text+filters", "cursor"][i % 4]
        params: dict = {"page_size": rng.choice([20, 50, 100])}
        if kind in ("filter", "text+filters", "cursor"):
            for _ in range(rng.randint(1, 3)):
                choice = rng.randrange(8)
                if choice == 0:
                    params["license"] = rng.choice(["pdm-1.0", "cc0-1.0"])
                elif choice == 1:
                    params["source"] = rng.choice([s for s, _ in SOURCES])
                elif choice == 2:
                    params["min_width"] = rng.choice([1000, 2000, 3000])
                elif choice == 3:
                    params["max_nsfw"] = rng.choice([0.01, 0.05, 0.2])
                elif choice == 4:
                    params["max_faces"] = 0
                elif choice == 5:
                    params["exclude_pii"] = "true"
                elif choice == 6:
                    params["mime_type"] = "image/jpeg"
                else:
                    params["year_from"] = rng.choice([1700, 1800, 1900])
        if kind in ("text", "text+filters"):
            params["q"] = " ".join(rng.sample(WORDS, rng.choice([1, 1, 2])))
        mix.append((kind, params))
    return mix


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {q[49]:7.1f} ms   p95 {q[94]:7.1f} ms   p99 {q[98]:7.1f} ms   (n={len(samples)})"


def run(mix, explain: bool) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from catalog.selectors import asset_page
    from marketplace.api.assets import search_params

    setup_test_environment()
    client = Client()
    from django.conf import settings

    with connection.cursor() as cursor:  # as the API's searches run
        cursor.execute("SET jit = off")
        cursor.execute("SELECT set_config('work_mem', %s, false)", [settings.SEARCH_WORK_MEM])
        cursor.execute(
            "SELECT set_config('random_page_cost', %s, false)",
            [str(settings.SEARCH_RANDOM_PAGE_COST)],
        )
        cursor.execute(
            "SELECT current_setting('shared_buffers'), "
            "pg_size_pretty(pg_table_size('catalog_asset'))"
        )
        shared_buffers, table_size = cursor.fetchone()
    # Reads from shared buffers cost about a third of reads through the OS cache, so the
    # figures depend on whether the table fits: say which it was.
    print(f"server shared_buffers {shared_buffers}, asset table {table_size}", flush=True)
    api: dict[str, list[float]] = {}
    sql: dict[str, list[float]] = {}
    for kind, params in mix:
        url = "/api/v1/assets/?" + urlencode(params)
        if kind == "cursor":  # go 10 pages deep first, time the pages after
            for _ in range(10):
                nxt = client.get(url).json()["next"]
                if not nxt:
                    break
                url = nxt
        started = time.perf_counter()
        response = client.get(url)
        api.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")

        parsed = _effective(search_params(_query_dict(url)))
        statements = _page_sql(parsed, asset_page)
        with connection.cursor() as cursor:
            started = time.perf_counter()
            for statement in statements:
                cursor.execute(statement)
                cursor.fetchall()
            sql.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
    print("\nthrough the API (Django test client, serialization included):")
    for kind in api:
        print(f"  {kind:13} {percentiles(api[kind])}")
    print("bare SQL of the same page queries (every statement of the page):")
    for kind in sql:
        print(f"  {kind:13} {percentiles(sql[kind])}")
    if explain:
        for kind, params in mix[:4]:
            print(f"\nEXPLAIN ({kind}) {params}")
            for statement in _page_sql(_effective(search_params(params)), asset_page):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
                    print("\n".join(row[0] for row in cursor.fetchall()))


def _effective(params: dict) -> dict:
    """The parameters the view searches with: an anonymous user's (no saved thresholds)."""
    from django.contrib.auth.models import AnonymousUser

    from marketplace.search_defaults import search_thresholds

    return search_thresholds(user=AnonymousUser(), params=params).params


def _query_dict(url: str):
    from django.http import QueryDict

    return QueryDict(url.split("?", 1)[1])


def _page_sql(params, asset_page) -> list[str]:
    """The statements asset_page runs for these parameters, captured rather than rebuilt
    (a relevance page ranks ids, then loads the page's rows)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        asset_page(params, page_size=params.get("page_size") or 50, cursor=params.get("cursor"))
    return [query["sql"] for query in captured.captured_queries]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    os.environ["API_THROTTLE_ANON"] = "100000000/min"
    os.environ["API_THROTTLE_USER"] = "100000000/min"  # it counts anonymous clients too
    with bench_database("bench_search"):
        seed(args.rows)
        run(query_mix(args.queries), args.explain)


if __name__ == "__main__":
    main()
