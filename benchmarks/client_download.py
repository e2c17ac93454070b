"""The buyers' client downloading licensed files from a local server, against `curl
--parallel` fetching the same links from the same server in the same run.

Generates JPEGs in local storage, licenses them to one buyer, builds a JSON Lines manifest
of the grants (links to this server's signed file view), starts gunicorn, then alternates:

- `curl --parallel --parallel-max N` with every link and its output file in a config file
  (fetches only), and
- `optin-media download manifest.jsonl --to DIR --workers N` (a new process each time:
  fetches, checks every file's SHA-256, records each in its state file).

    .venv/bin/python benchmarks/client_download.py [--files 2000] [--parallel 8]
                                                   [--workers 3] [--repeat 3]"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, bench_database
from downloads import start_server
from shards import jpeg


def seed(media: Path, count: int, base_url: str) -> list[dict]:
    from catalog.models import Asset, AssetStatus, License
    from marketplace.accounts import role_group
    from marketplace.manifests import manifest_build
    from marketplace.models import DownloadGrant, ManifestExport, Role, User

    folder = media / "originals" / "bench"
    folder.mkdir(parents=True)
    assets = []
    for n in range(count):
        data = jpeg(n, (512, 384))
        (folder / f"{n:05d}.jpg").write_bytes(data)
        assets.append(Asset(
            source="cleveland_museum", source_record_id=str(n), title=f"Study {n}",
            license=License.CC0, status=AssetStatus.PUBLISHED,
            original_key=f"originals/bench/{n:05d}.jpg", mime_type="image/jpeg", width=512,
            height=384, byte_size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        ))  # fmt: skip
    assets = Asset.objects.bulk_create(assets, batch_size=2000)
    buyer = User.objects.create_user("bench-buyer", password="x" * 20)
    buyer.groups.add(role_group(Role.BUYER))
    DownloadGrant.objects.bulk_create(
        (DownloadGrant(buyer=buyer, asset=a, license=a.license, price_micros=0, fee_micros=0,
                       purpose="research") for a in assets),
        batch_size=2000,
    )  # fmt: skip
    manifest = ManifestExport.objects.create(buyer=buyer, format="jsonl", link_seconds=6 * 3600,
                                             base_url=base_url)  # fmt: skip
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the statistics autovacuum keeps on a live database
    manifest_build(manifest.pk)
    from marketplace.manifests import manifest_rows

    return manifest_rows(ManifestExport.objects.get(pk=manifest.pk))


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--parallel", type=int, default=8, help="downloads at once")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    curl = shutil.which("curl")
    if not curl:
        raise SystemExit("curl is not installed")
    work = Path(tempfile.mkdtemp(prefix="bench-client-"))
    media = work / "media"
    base_url = f"http://127.0.0.1:{args.port}"
    os.environ.update(MEDIA_ROOT=str(media), DJANGO_DEBUG="false", LOG_LEVEL="WARNING",
                      API_THROTTLE_ANON="100000000/min")  # fmt: skip
    with bench_database("bench_client") as url:
        rows = seed(media, args.files, base_url)
        total = sum(p.stat().st_size for p in (media / "originals" / "bench").iterdir())
        manifest = work / "manifest.jsonl"
        manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
        config = work / "curl.cfg"
        config.write_text("".join(f'url = "{row["url"]}"\noutput = "{work}/curl/{row["id"]}.jpg"\n'
                                  for row in rows))  # fmt: skip
        env = {**os.environ, "DATABASE_URL": url}
        server = start_server(args.port, args.workers, env)
        try:
            for row in rows[:30]:  # every worker has served a file before the clock starts
                httpx.get(row["url"], timeout=30).raise_for_status()
            curl_times, client_times = [], []
            for _ in range(args.repeat):
                for folder in ("curl", "client"):
                    shutil.rmtree(work / folder, ignore_errors=True)
                (work / "curl").mkdir()
                # --retry: a 429 is waited for (Retry-After), as the client does.
                fetch = [curl, "--parallel", "--parallel-max", str(args.parallel), "--fail",
                         "--retry", "20", "--no-progress-meter", "-K", str(config)]  # fmt: skip
                curl_times.append(timed(fetch, env))
                client_times.append(timed(
                    [sys.executable, "-m", "optin_media_client", "download", str(manifest),
                     "--to", str(work / "client"), "--workers", str(args.parallel), "--quiet"],
                    env,
                ))  # fmt: skip
                if len(list((work / "client").glob("*.jpg"))) != args.files:
                    raise SystemExit("the client did not download every file")
        finally:
            server.terminate()
            server.wait()
    shutil.rmtree(work, ignore_errors=True)
    print(f"{args.files:,} files, {total / 1e6:.1f} MB, gunicorn workers: {args.workers}, "
          f"{args.parallel} downloads at once")  # fmt: skip
    for label, times in (("curl --parallel:      ", curl_times),
                         ("optin-media download: ", client_times)):  # fmt: skip
        median = statistics.median(times)
        print(f"{label}{', '.join(f'{t:.2f}' for t in times)} s; median {median:.2f} s "
              f"({args.files / median:,.0f} files/s, {total / 1e6 / median:.1f} MB/s)")  # fmt: skip
    print(f"client / curl: {statistics.median(client_times) / statistics.median(curl_times):.2f}")


if __name__ == "__main__":
    main()
