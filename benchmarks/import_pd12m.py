"""Benchmark: import a PD12M-layout Parquet file into PostgreSQL, against a bare COPY.

    .venv/bin/python benchmarks/import_pd12m.py [--rows N] [--batch-size N] [--repeat N]
                                                [--keep]

Creates its own database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bench_import; CREATE DATABASE through the server's
`postgres` database, dropped at the end unless --keep), migrates it, writes N rows of
realistic PD12M metadata to a Parquet file, then, --repeat times (the catalog emptied and a
CHECKPOINT before each timed step, so that each starts alike):

1. `import_pd12m` on the file, into the empty catalog (the first import);
2. the same import again (nothing changes: the re-import);
3. a bare COPY of the same rows (read from the same file, in the same batches) into an
   unindexed table with the file's columns.

It prints rows per second for each, with the CPU time of this process and of the import's
PostgreSQL backend (when the server runs on this machine: other load on the machine shows
as wall time above the CPU times), the ratio of the first import to the COPY, the medians
over the repeats, and the targets: at least 100,000 rows/s, and at least a third of the
COPY's rate. Not a test."""

import argparse
import os
import random
import statistics
import string
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_import"
TARGET_ROWS_PER_SECOND = 100_000
TARGET_RATIO = 1 / 3

SOURCES = [
    "Metropolitan Museum of Art", "Smithsonian Institution", "Wikimedia Commons",
    "National Gallery of Art", "Cleveland Museum of Art", "Rijksmuseum", "Flickr Commons",
    "Europeana", "Library of Congress", "Art Institute of Chicago",
]  # fmt: skip
ACCEPTED_LICENSES = [
    "https://creativecommons.org/publicdomain/zero/1.0/",
    "https://creativecommons.org/publicdomain/mark/1.0/",
    "cc0",
    "CC0 1.0",
    "Public Domain Mark 1.0",
]
OTHER_LICENSES = [
    "https://creativecommons.org/licenses/by/4.0/", "cc-by-sa-4.0", "", "Public Domain",
    "http://rightsstatements.org/vocab/NoC-US/1.0/", "All rights reserved",
]  # fmt: skip
WORDS_TEXT = (
    "a an the of with and in on at by from portrait landscape view study sketch drawing "
    "painting photograph print engraving etching lithograph map chart plate figure woman "
    "man child horse river mountain city street harbor ship church castle garden flowers "
    "still life fruit bird tree forest sea coast bridge road village market interior "
    "window door table chair vase bowl cup red blue green yellow black white old young "
    "small large early late morning evening winter summer spring autumn rain snow"
)
WORDS = WORDS_TEXT.split()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="Rows to generate.")
    parser.add_argument("--batch-size", type=int, default=100_000, help="Import batch size.")
    parser.add_argument("--repeat", type=int, default=1, help="Runs of the three steps.")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--seed", type=int, default=12)
    return parser.parse_args()


def server_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def generate(path: Path, rows: int, seed: int) -> None:
    """Write `rows` PD12M-layout rows: unique ids and URLs, captions of 20-200 characters,
    ~97% CC0/PDM licenses (as URLs and names), 10 sources, mostly JPEG."""
    rng = random.Random(seed)
    schema = pa.schema(
        [
            ("id", pa.string()), ("url", pa.string()), ("caption", pa.string()),
            ("width", pa.int64()), ("height", pa.int64()), ("mime_type", pa.string()),
            ("hash", pa.string()), ("license", pa.string()), ("source", pa.string()),
        ]
    )  # fmt: skip
    chunk = 100_000
    text = " ".join(rng.choice(WORDS) for _ in range(200_000))
    with pq.ParquetWriter(path, schema, compression="snappy") as writer:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)]
            captions = []
            for _ in range(n):
                length = rng.randint(20, 200)
                offset = rng.randrange(len(text) - length)
                captions.append(text[offset : offset + length].strip().capitalize() or "Untitled")
            licenses = [
                rng.choice(OTHER_LICENSES) if rng.random() < 0.03 else rng.choice(ACCEPTED_LICENSES)
                for _ in range(n)
            ]
            mime = [rng.choice(("image/jpeg",) * 8 + ("image/png", "image/tiff")) for _ in range(n)]
            columns = {
                "id": ids,
                "url": [f"https://pd12m.s3.us-west-2.amazonaws.com/images/{i}.jpeg" for i in ids],
                "caption": captions,
                "width": [rng.randint(256, 8000) for _ in range(n)],
                "height": [rng.randint(256, 8000) for _ in range(n)],
                "mime_type": mime,
                "hash": ["".join(rng.choices(string.hexdigits[:16], k=16)) for _ in range(n)],
                "license": licenses,
                "source": [rng.choice(SOURCES) for _ in range(n)],
            }
            writer.write_table(pa.table(columns, schema=schema))


def bare_copy(path: Path, url: str, batch_size: int) -> float:
    """Seconds to read the file in batches and COPY every row into an unindexed table."""
    columns = ["id", "url", "caption", "width", "height", "mime_type", "hash", "license", "source"]
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute(
            "CREATE TABLE bench_copy (id text, url text, caption text, width integer, "
            "height integer, mime_type text, hash text, license text, source text)"
        )
        conn.commit()
        checkpoint(conn)
        started = time.perf_counter()
        parquet = pq.ParquetFile(path)
        with conn.cursor() as cursor:
            for batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
                with cursor.copy(f"COPY bench_copy ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in zip(*(batch.column(c).to_pylist() for c in columns), strict=True):
                        copy.write_row(row)
                conn.commit()
        return time.perf_counter() - started


def checkpoint(conn) -> None:
    """Start from a checkpoint: no timed step pays for the WAL of the one before."""
    try:
        conn.execute("CHECKPOINT")
    except psycopg.Error:  # not allowed for this role: carry on without
        conn.rollback()
    else:
        conn.commit()


def backend_cpu(pid: int) -> float | None:
    """CPU seconds used so far by a PostgreSQL backend on this machine, else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Timed:
    """Wall time, this process's CPU time and the import backend's CPU time of a step."""

    def __init__(self, backend_pid: int):
        self.backend_pid = backend_pid

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.server = backend_cpu(self.backend_pid)
        return self

    def __exit__(self, *exc_info):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        server = backend_cpu(self.backend_pid)
        self.server = None if self.server is None or server is None else server - self.server

    def line(self, label: str, rows: int) -> str:
        server = "" if self.server is None else f", server CPU {self.server:.1f} s"
        return (
            f"{label:<10} {self.wall:6.1f} s  {rows / self.wall:>10,.0f} rows/s  "
            f"(Python CPU {self.cpu:.1f} s{server})"
        )


def timed_statements():
    """A Django execute wrapper that adds up time per kind of statement."""
    totals: dict[str, float] = defaultdict(float)

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            words = sql.split()
            key = " ".join(words[:2]) if words else "?"
            if "INSERT INTO catalog_asset" in sql:
                key = "insert new assets + provenance"
            elif "UPDATE catalog_asset" in sql:
                key = "update existing assets + provenance"
            elif "catalog_ingestrun" in sql:
                key = "report save"
            totals[key] += time.perf_counter() - started

    return totals, wrapper


def import_twice(args, path: Path, agains: list[float], connection) -> float:
    """Empty the catalog, import the file, import it again; the first import's seconds."""
    from catalog.models import Asset
    from catalog.pd12m import import_pd12m
    from provenance.models import ProvenanceEvent, ProvenanceRecord

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE catalog_asset, provenance_provenancerecord, provenance_provenanceevent, "
            "provenance_auditseal, catalog_ingestrun"
        )
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    checkpoint_django(connection)
    totals, wrapper = timed_statements()
    with connection.execute_wrapper(wrapper), Timed(pid) as first:
        report = import_pd12m(path=path, batch_size=args.batch_size)
    print(first.line("import:", args.rows))
    print(f"           {report.summary()}")
    for key, seconds in sorted(totals.items(), key=lambda item: -item[1])[:4]:
        print(f"           {key}: {seconds:.1f} s")
    counts = (
        Asset.objects.count(),
        ProvenanceRecord.objects.count(),
        ProvenanceEvent.objects.count(),
    )
    print(f"           assets {counts[0]:,}, records {counts[1]:,}, events {counts[2]:,}")
    checkpoint_django(connection)
    totals, wrapper = timed_statements()
    with connection.execute_wrapper(wrapper), Timed(pid) as again:
        report = import_pd12m(path=path, batch_size=args.batch_size)
    print(again.line("re-import:", args.rows))
    print(f"           {report.summary()}")
    for key, seconds in sorted(totals.items(), key=lambda item: -item[1])[:3]:
        print(f"           {key}: {seconds:.1f} s")
    agains.append(again.wall)
    return first.wall


def checkpoint_django(connection) -> None:
    from django.db import DatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:  # not allowed for this role: carry on without
        pass


def main() -> int:
    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    database = urlsplit(url).path.lstrip("/")
    admin_url = server_url(url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')

    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "pd12m-bench.parquet"
            started = time.perf_counter()
            generate(path, args.rows, args.seed)
            print(
                f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s "
                f"({path.stat().st_size / 1e6:.0f} MB Parquet); "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            firsts, agains, copies = [], [], []
            for run in range(1, args.repeat + 1):
                if args.repeat > 1:
                    print(f"run {run} of {args.repeat}")
                firsts.append(import_twice(args, path, agains, connection))
                connection.close()
                copies.append(bare_copy(path, url, args.batch_size))
                print(f"bare COPY: {copies[-1]:6.1f} s  {args.rows / copies[-1]:>10,.0f} rows/s")
            first, copy_seconds = statistics.median(firsts), statistics.median(copies)
            rate, copy_rate = args.rows / first, args.rows / copy_seconds
            ratio = rate / copy_rate
            if args.repeat > 1:
                print(
                    f"medians: import {rate:,.0f} rows/s, re-import "
                    f"{args.rows / statistics.median(agains):,.0f} rows/s, "
                    f"bare COPY {copy_rate:,.0f} rows/s"
                )
            print(
                f"import / COPY = {ratio:.2f}  "
                f"(targets: >= {TARGET_ROWS_PER_SECOND:,} rows/s: "
                f"{'met' if rate >= TARGET_ROWS_PER_SECOND else 'MISSED'}; "
                f">= {TARGET_RATIO:.2f} of COPY: {'met' if ratio >= TARGET_RATIO else 'MISSED'}); "
                f"load average {os.getloadavg()[0]:.1f}"
            )
    finally:
        connection.close()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
