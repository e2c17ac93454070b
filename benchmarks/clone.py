"""Cloning throughput: serve generated JPEGs from a local HTTP server (another process) and
clone them through the real pipeline (the host's robots.txt and tdmrep.json, download,
consent signals in headers and file, decode, hashes, thumbnail, storage, dedupe on
PostgreSQL). The classifiers' tasks that cloning queues go to a Redis
queue, as they would to other workers, and are dropped at the end: scoring has its own
benchmark (classify.py). Baseline in the same run: bare downloads of the same files with
the same HTTP client and concurrency.

    .venv/bin/python benchmarks/clone.py [--images 2000] [--size 640x480]

Target (docs/BENCHMARKS.md): 300 images/s on a 2-core machine."""

import argparse
import io
import multiprocessing
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import bench_database


def make_jpeg(seed: int, size: tuple[int, int]) -> bytes:
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(30):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.ellipse(
            [x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 300)],
            fill=tuple(rng.randrange(256) for _ in range(3)),
        )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


# A robots.txt as a museum's image server might publish one: AI crawlers kept out of some
# paths, everyone else welcome. Cloning reads it once per host (per worker process here).
ROBOTS_TXT = b"""User-agent: GPTBot
User-agent: CCBot
Disallow: /private/

User-agent: *
Disallow: /admin/
Allow: /
"""


def serve(folder: str, port_queue, hits_counter) -> None:
    # From memory: the source's own work shares this machine's cores with the pipeline,
    # where a real source's would not, so it is kept as small as it can be.
    files = {path.name: path.read_bytes() for path in Path(folder).iterdir()}
    files["robots.txt"] = ROBOTS_TXT
    hits = hits_counter

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else keep-alive answers wait 40 ms for delayed ACKs

        def do_GET(self):
            if self.path == "/robots.txt":
                hits["robots.txt"] += 1
            body = files.get(self.path.lstrip("/"))
            if body is None:  # no tdmrep.json, as on most hosts: cloning asks once per host
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, all its threads, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def clone_worker(_: int) -> tuple[int, int]:
    from catalog.services import clone_pending

    report = clone_pending(actor="benchmark")
    return report.duplicates, report.errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--size", default="640x480")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(),
        help="Cloning processes, as Celery workers would run them (claims never overlap).",
    )  # fmt: skip
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))

    work = Path(tempfile.mkdtemp(prefix="bench-clone-"))
    os.environ["MEDIA_ROOT"] = str(work / "media")
    os.environ["CLONE_RATE_PER_HOST"] = "0"  # one local host: the politeness limit is not measured
    os.environ.setdefault("CLONE_CONCURRENCY", "16")
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")  # nobody consumes
    files = work / "files"
    files.mkdir()
    started = time.perf_counter()
    total_bytes = 0
    for i in range(args.images):
        data = make_jpeg(i, size)
        total_bytes += len(data)
        (files / f"{i}.jpg").write_bytes(data)
    print(f"generated {args.images} JPEGs {args.size}, {total_bytes / args.images / 1024:.0f} KiB "
          f"average, in {time.perf_counter() - started:.1f}s")  # fmt: skip

    ports = multiprocessing.Queue()
    robots_hits = multiprocessing.Manager().dict({"robots.txt": 0})
    server = multiprocessing.Process(target=serve, args=(str(files), ports, robots_hits),
                                     daemon=True)  # fmt: skip
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=10)}"

    with bench_database("bench_clone"):
        from django.conf import settings

        from catalog.models import Asset, AssetStatus
        from catalog.services import Fetcher

        urls = [f"{base}/{i}.jpg" for i in range(args.images)]
        concurrency = settings.CLONE_CONCURRENCY
        with (
            Fetcher(rate_per_host=0, max_connections=concurrency) as fetcher,
            ThreadPoolExecutor(concurrency) as pool,
        ):
            started = time.perf_counter()
            list(pool.map(lambda url: fetcher.download(url, max_bytes=10**8), urls))
            bare = time.perf_counter() - started

        Asset.objects.bulk_create(
            Asset(source="bench", source_record_id=str(i), original_url=url, license="cc0-1.0",
                  status=AssetStatus.CANDIDATE)
            for i, url in enumerate(urls)
        )  # fmt: skip
        from django.db import connections

        connections.close_all()  # each worker process opens its own
        context = multiprocessing.get_context("fork")
        started, source_cpu = time.perf_counter(), cpu_seconds(server.pid)
        with context.Pool(args.workers) as pool:
            reports = pool.map(clone_worker, range(args.workers))
        elapsed = time.perf_counter() - started
        source_cpu = cpu_seconds(server.pid) - source_cpu
        stored = Asset.objects.filter(status=AssetStatus.CANDIDATE, clone_state="done").count()
        duplicates = sum(r[0] for r in reports)
        errors = sum(r[1] for r in reports)
        from config.celery import app

        app.control.purge()  # the scoring tasks cloning queued

    server.terminate()
    print(f"bare download (baseline): {args.images / bare:8.0f} images/s")
    print(f"clone pipeline:           {args.images / elapsed:8.0f} images/s "
          f"({stored} stored for scoring, {duplicates} duplicates, {errors} errors, "
          f"{args.workers} worker processes)")  # fmt: skip
    print(f"pipeline / bare download: {bare / elapsed:8.1%}   target: 300 images/s")
    print(f"the local source server used {source_cpu / elapsed:.0%} of one core meanwhile")
    print(f"robots.txt was read {robots_hits['robots.txt']} times")


if __name__ == "__main__":
    main()
