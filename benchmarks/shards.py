"""WebDataset shard export of stored images against a plain `tar` of the same files.

Generates small JPEGs in local storage (the demo's `MEDIA_ROOT` layout), records them as
published assets licensed to one buyer, then measures in the same run, alternating:

- `tar -cf` of the same files (the baseline: reads them once and writes one archive), and
- `marketplace.shards.shard_export_build` of a new export of every grant: plans the shards,
  reads each stored file, checks its SHA-256, writes the image and its
  JSON sidecar into tar shards (SHARD_MAX_BYTES each), hashes each shard, stores it, writes
  the index and appends one audit event per asset.

    .venv/bin/python benchmarks/shards.py [--images 10000] [--repeat 5]

Target (docs/BENCHMARKS.md): the export within 2x of the plain tar."""

import argparse
import hashlib
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import bench_database


def jpeg(seed: int, size: tuple[int, int]) -> bytes:
    """A picture of coloured ellipses with some grain: about the size of a photograph of
    the same dimensions at quality 85 (plain shapes alone compress far smaller)."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randrange(width), rng.randrange(height)
        box = [x, y, x + rng.randrange(20, width // 2), y + rng.randrange(20, height // 2)]
        draw.ellipse(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    grain = Image.effect_noise(size, 12).convert("RGB")
    image = Image.blend(image, grain, 0.15)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def seed(media: Path, count: int, size: tuple[int, int]):
    from django.db import connection

    from catalog.models import Asset, AssetStatus, License
    from marketplace.accounts import role_group
    from marketplace.models import DownloadGrant, Role, User

    folder = media / "originals" / "bench"
    folder.mkdir(parents=True)
    assets = []
    for n in range(count):
        data = jpeg(n, size)
        (folder / f"{n:05d}.jpg").write_bytes(data)
        assets.append(Asset(
            source="cleveland_museum", source_record_id=str(n), title=f"Study {n}",
            description="Ellipses on a plain ground.", license=License.CC0,
            status=AssetStatus.PUBLISHED, original_key=f"originals/bench/{n:05d}.jpg",
            mime_type="image/jpeg", width=size[0], height=size[1], byte_size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        ))  # fmt: skip
    assets = Asset.objects.bulk_create(assets, batch_size=2000)
    buyer = User.objects.create_user("bench-buyer", password="x" * 20)
    buyer.groups.add(role_group(Role.BUYER))
    DownloadGrant.objects.bulk_create(
        (DownloadGrant(buyer=buyer, asset=a, license=a.license, price_micros=0, fee_micros=0,
                       purpose="research") for a in assets),
        batch_size=2000,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the statistics autovacuum keeps on a live database
    return buyer, folder


def timed_tar(media: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["tar", "-cf", str(out), "-C", str(media), "originals/bench"], check=True)  # noqa: S603, S607
    seconds = time.perf_counter() - started
    out.unlink()
    return seconds


def timed_export(buyer) -> tuple[float, object]:
    from django.conf import settings

    from marketplace.models import ShardExport
    from marketplace.shards import shard_export_build

    export = ShardExport.objects.create(buyer=buyer, max_shard_bytes=settings.SHARD_MAX_BYTES)
    started = time.perf_counter()
    built = shard_export_build(export.pk)
    return time.perf_counter() - started, built


def measure(media: Path, args) -> tuple[list[float], list[float], object]:
    """Seed the images, then time the plain tar and the export in turn, `--repeat` times."""
    with bench_database("bench_shards"):
        started = time.perf_counter()
        size = tuple(int(n) for n in args.size.split("x"))
        buyer, folder = seed(media, args.images, size)
        total = sum(p.stat().st_size for p in folder.iterdir())
        print(f"{args.images:,} JPEGs of {args.size}, {total / 1e6:.1f} MB, seeded in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        tars, exports = [], []
        for _ in range(args.repeat):
            os.sync()  # the last run's writes flushed: each starts with a clean page cache
            tars.append(timed_tar(media, media / "plain.tar"))
            os.sync()
            seconds, built = timed_export(buyer)
            exports.append(seconds)
            if built.state != "done" or built.assets != args.images:
                raise SystemExit(f"the export went wrong: {built.state} {built.error}")
    return tars, exports, built


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", default="512x384", help="width x height of the images")
    args = parser.parse_args()
    media = Path(tempfile.mkdtemp(prefix="bench-shards-"))
    os.environ.update(MEDIA_ROOT=str(media), DJANGO_DEBUG="false", LOG_LEVEL="WARNING")
    try:
        tars, exports, built = measure(media, args)
    finally:
        shutil.rmtree(media)  # the images, the shards and the plain tars
    tar, export = statistics.median(tars), statistics.median(exports)
    written = sum(s["size"] for s in built.shards)
    print(f"plain tar -cf:         {', '.join(f'{t:.2f}' for t in tars)} s; median {tar:.2f} s "
          f"({args.images / tar:,.0f} files/s)")  # fmt: skip
    print(f"shard export:          {', '.join(f'{t:.2f}' for t in exports)} s; median "
          f"{export:.2f} s ({args.images / export:,.0f} files/s), {len(built.shards)} shards, "
          f"{written / 1e6:.1f} MB")  # fmt: skip
    print(f"export / tar:          {export / tar:.2f} (target: at most 2)")


if __name__ == "__main__":
    main()
