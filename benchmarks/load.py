"""Steady under load: 50 buyers over HTTP against gunicorn, PostgreSQL, Redis and a Celery
worker, while a rights holder changes prices.

Makes its own database (benchmarks/_setup.py), seeds funded buyers, an artist's opt-in works
and base-set assets with real files, starts gunicorn and a Celery worker on Redis, then:

1. a baseline: `GET /healthz` from the same 50 client threads for a few seconds;
2. the mixed run, for `--seconds`: each buyer thread in turn searches (`GET /api/v1/assets/`),
   licenses one asset (`POST /api/v1/downloads/`, a paid work most of the time), fetches
   one of its files through its signed link, and exports a manifest (`POST
   /api/v1/manifests/`, polled until the worker has built it, then fetched); meanwhile the
   rights holder sets a new price on a random work about five times a second;
3. the checks: no 5xx; every charge a client was told of is in the ledger and no grant is
   charged twice (sum of the `charged_usd` answered == sum of the grants' price + fee ==
   what left the buyers' wallets == what reached the artist and the platform); every
   manifest asked for was built exactly once; `reconcile --skip-stripe` and
   `verify_audit_log --seal` pass.

It prints requests/s, p50/p95/p99 per operation, statuses, and the checks; it exits 1 if
a check fails.

    .venv/bin/python benchmarks/load.py [--seconds 60] [--buyers 50] [--workers 3]

BENCH_DATABASE_URL names the PostgreSQL server, BENCH_REDIS_URL the Redis database for the
broker (default redis://127.0.0.1:6379/1; it is flushed first)."""

import argparse
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, bench_database

FUNDS = 10**12  # micro-USD per buyer: never the limit
READY = "manifest ready (not one request)"  # from the export request until the poll saw it
WORDS = ["harbor", "dawn", "portrait", "still", "life", "river", "field", "night"]


def seed(*, buyers: int, works: int, base: int, media: Path) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from PIL import Image

    from billing.ledger import Line, platform, transaction_post, wallet_of
    from billing.models import AccountKind
    from catalog.models import Asset, AssetStatus, License
    from catalog.search_documents import DOCUMENT_SQL
    from marketplace.accounts import role_group
    from marketplace.models import Offer, OfferUse, OwnershipDeclaration, Role, Use, Work
    from marketplace.offers import current_terms
    from marketplace.tokens import token_create

    User = get_user_model()
    artist = User.objects.create_user("load-artist")  # tokens only: no password to hash
    artist.groups.add(role_group(Role.RIGHTS_HOLDER))
    tokens = []
    for n in range(buyers):
        buyer = User.objects.create_user(f"load-buyer-{n}")
        buyer.groups.add(role_group(Role.BUYER))
        transaction_post(
            kind="top_up",
            idempotency_key=f"load-fund-{n}",
            lines=[
                Line(platform(AccountKind.STRIPE_CLEARING), -FUNDS),
                Line(wallet_of(buyer), FUNDS),
            ],
        )
        tokens.append(token_create(user=buyer, name="load").token)

    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 160)).save(picture, "JPEG", quality=80)
    folder = media / "originals" / "load"
    folder.mkdir(parents=True, exist_ok=True)

    def assets(count, prefix, **fields):
        rows = []
        for i in range(count):
            key = f"originals/load/{prefix}-{i}.jpg"
            (media / key).write_bytes(picture.getvalue())
            rows.append(Asset(
                source=prefix, source_record_id=str(i),
                title=f"{random.choice(WORDS).title()} {random.choice(WORDS)} {i}",
                status=AssetStatus.PUBLISHED, original_key=key, mime_type="image/jpeg",
                width=64, height=48, byte_size=len(picture.getvalue()),
                sha256=f"{prefix}{i}".ljust(64, "0"), nsfw_score=0.01, face_count=0, **fields,
            ))  # fmt: skip
        return Asset.objects.bulk_create(rows)

    paid = assets(works, "opt_in", license=License.OPT_IN, price_micros=25_000)
    free = assets(base, "cleveland_museum", license=License.CC0)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE catalog_asset SET search_document = {DOCUMENT_SQL}")
    work_rows = Work.objects.bulk_create(Work(asset=a, owner=artist) for a in paid)
    OwnershipDeclaration.objects.bulk_create(
        OwnershipDeclaration(work=w, statement="mine", state="accepted") for w in work_rows
    )
    terms = current_terms()
    offers = Offer.objects.bulk_create(
        Offer(work=w, price_micros=25_000, allow_commercial=True, terms=terms) for w in work_rows
    )
    OfferUse.objects.bulk_create(
        OfferUse(offer=o, use=Use.AI_TRAINING, price_micros=25_000) for o in offers
    )
    return {
        "tokens": tokens,
        "artist_token": token_create(user=artist, name="load").token,
        "paid": [a.pk for a in paid],
        "free": [a.pk for a in free],
        "works": [w.pk for w in work_rows],
        "terms": terms.version,
    }


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def wait_until_up(base_url: str) -> None:
    for _ in range(150):
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


class Recorder:
    """Latencies and statuses per operation, from every thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.statuses = defaultdict(Counter)
        self.charged = 0  # micro-USD the API said it charged
        self.manifests = []  # (buyer index, manifest id)
        self.failures = []  # unexpected answers, for the report

    def record(self, operation: str, started: float, response: httpx.Response, ok=(200, 201)):
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[operation].append(elapsed)
            self.statuses[operation][response.status_code] += 1
            if response.status_code not in ok and len(self.failures) < 20:
                self.failures.append(f"{operation}: {response.status_code} {response.text[:200]}")


def buyer_loop(base_url: str, token: str, index: int, data: dict, stop: float, rec: Recorder):
    rng = random.Random(index)
    links: list[str] = []
    headers = {"Authorization": f"Token {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        step = 0
        while time.monotonic() < stop:
            step += 1
            started = time.perf_counter()
            if step % 10 == 0:  # a manifest of everything licensed so far
                response = client.post("/api/v1/manifests/", json={"format": "jsonl"})
                rec.record("manifest export", started, response, ok=(202,))
                if response.status_code == 202:
                    manifest = response.json()
                    with rec.lock:
                        rec.manifests.append((index, manifest["id"]))
                    url = None
                    while time.monotonic() < stop + 60:
                        polled_at = time.perf_counter()
                        polled = client.get(f"/api/v1/manifests/{manifest['id']}/")
                        rec.record("manifest poll", polled_at, polled)
                        if polled.status_code != 200 or polled.json()["state"] != "queued":
                            url = polled.json().get("url") if polled.status_code == 200 else None
                            break
                        time.sleep(0.2)
                    rec.record(READY, started, polled)
                    if url:
                        fetched_at = time.perf_counter()
                        rec.record("manifest fetch", fetched_at, client.get(url))
            elif step % 3 == 0:
                query = {"q": rng.choice(WORDS), "page_size": 20}
                if rng.random() < 0.5:
                    query = {"license": "opt-in", "max_price": "1", "page_size": 20}
                rec.record("search", started, client.get("/api/v1/assets/", params=query))
            elif step % 3 == 1:
                pool = data["paid"] if rng.random() < 0.8 else data["free"]
                body = {
                    "asset_ids": [rng.choice(pool)],
                    "purpose": "research",
                    "use": "ai_training",
                }
                response = client.post("/api/v1/downloads/", json=body)
                rec.record("license", started, response)
                if response.status_code == 201:
                    answer = response.json()
                    charged = Decimal(answer["charged_usd"]) * 1_000_000
                    with rec.lock:
                        rec.charged += int(charged)
                    links += [d["url"] for d in answer["downloads"]]
            elif links:
                rec.record("download file", started, httpx.get(rng.choice(links[-50:])))


def price_loop(base_url: str, data: dict, stop: float, rec: Recorder):
    rng = random.Random(-1)
    headers = {"Authorization": f"Token {data['artist_token']}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        while time.monotonic() < stop:
            work = rng.choice(data["works"])
            price = f"0.{rng.randint(10, 99):02d}"
            body = {"uses": {"ai_training": price}, "allow_research": True,
                    "allow_commercial": True, "terms_version": data["terms"]}  # fmt: skip
            started = time.perf_counter()
            rec.record("set price", started, client.put(f"/api/v1/works/{work}/offer/", json=body))
            time.sleep(0.2)


def baseline(base_url: str, threads: int, seconds: float) -> float:
    stop = time.monotonic() + seconds
    counts = []

    def run(_):
        n = 0
        with httpx.Client(base_url=base_url, timeout=30) as client:
            while time.monotonic() < stop:
                client.get("/healthz")
                n += 1
        return n

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        counts = list(pool.map(run, range(threads)))
    return sum(counts) / (time.perf_counter() - started)


def checks(rec: Recorder, data: dict) -> list[tuple[str, bool, str]]:
    from django.core.management import call_command
    from django.db.models import F, Sum

    from billing.selectors import payable_balance, wallet_balance
    from marketplace.models import DownloadGrant, ManifestExport, User

    results = []
    server_errors = sum(n for s in rec.statuses.values() for code, n in s.items() if code >= 500)
    results.append(("no 5xx", server_errors == 0, f"{server_errors} answers were 5xx"))

    grants = DownloadGrant.objects.aggregate(
        total=Sum(F("price_micros") + F("fee_micros")), prices=Sum("price_micros")
    )
    total, prices = grants["total"] or 0, grants["prices"] or 0
    buyers = User.objects.filter(username__startswith="load-buyer-")
    spent = sum(FUNDS - wallet_balance(b) for b in buyers)
    artist = User.objects.get(username="load-artist")
    results.append((
        "no lost or double charges",
        rec.charged == total == spent and payable_balance(artist) == prices,
        f"answered {rec.charged}, grants {total}, wallets {spent} micro-USD; artist "
        f"{payable_balance(artist)} of prices {prices}",
    ))  # fmt: skip
    asked = {pk for _, pk in rec.manifests}
    built = ManifestExport.objects.filter(pk__in=asked)
    done = built.filter(state=ManifestExport.State.DONE).count()
    results.append((
        "every manifest built once",
        done == len(asked) == built.count(),
        f"{done} of {len(asked)} done",
    ))  # fmt: skip
    for command, args in (("reconcile", ["--skip-stripe"]), ("verify_audit_log", ["--seal"])):
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(command, *args, stdout=out, stderr=err)
            ok = True
        except SystemExit as exit_:
            ok = exit_.code in (0, None)
        text = (out.getvalue() + err.getvalue()).strip().splitlines()
        results.append((command, ok, text[-1] if text else ""))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--buyers", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--works", type=int, default=300)
    parser.add_argument("--base", type=int, default=3000)
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()

    import redis

    broker = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
    redis.Redis.from_url(broker).flushdb()
    media = Path(tempfile.mkdtemp(prefix="bench-load-"))
    os.environ.update(
        MEDIA_ROOT=str(media / "media"), DJANGO_DEBUG="false", LOG_LEVEL="WARNING",
        API_THROTTLE_USER="100000000/min", API_THROTTLE_ANON="100000000/min",
        PLAN_FREE_MONTHLY_DOWNLOADS="1000000000", CELERY_BROKER_URL=broker,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
    )  # fmt: skip
    with bench_database("bench_load") as url:
        started = time.perf_counter()
        data = seed(buyers=args.buyers, works=args.works, base=args.base, media=media / "media")
        print(f"seeded in {time.perf_counter() - started:.1f} s: {args.buyers} buyers, "
              f"{args.works} works, {args.base} base-set assets")  # fmt: skip
        env = {**os.environ, "DATABASE_URL": url}
        base_url = f"http://127.0.0.1:{args.port}"
        logs = media / "logs"
        logs.mkdir()
        web = start([sys.executable, "-m", "gunicorn", "config.wsgi", "--bind",
                     f"127.0.0.1:{args.port}", "--workers", str(args.workers),
                     "--log-level", "warning"], env, logs / "gunicorn.log")  # fmt: skip
        worker_command = [sys.executable, "-m", "celery", "-A", "config", "worker",
                          "--concurrency", "1", "--loglevel", "WARNING", "--without-gossip",
                          "--without-mingle", "--without-heartbeat"]  # fmt: skip
        worker = start(worker_command, env, logs / "celery.log")
        try:
            wait_until_up(base_url)
            base_rate = baseline(base_url, args.buyers, 5)
            rec = Recorder()
            stop = time.monotonic() + args.seconds
            threads = [threading.Thread(target=price_loop, args=(base_url, data, stop, rec))]
            threads += [
                threading.Thread(target=buyer_loop, args=(base_url, t, i, data, stop, rec))
                for i, t in enumerate(data["tokens"])
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        finally:
            web.terminate()
            worker.terminate()
            web.wait(30)
            worker.wait(30)
        results = checks(rec, data)

    def p(values, q):
        return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else 0

    total = sum(len(v) for name, v in rec.latencies.items() if name != READY)
    print(f"\n{args.buyers} buyers and one rights holder for {elapsed:.0f} s; gunicorn "
          f"{args.workers} sync workers, one Celery worker (concurrency 1)")  # fmt: skip
    print(f"baseline GET /healthz: {base_rate:8.1f} req/s "
          f"(same server, {args.buyers} client threads)")  # fmt: skip
    print(f"mixed run, all requests: {total / elapsed:8.1f} req/s ({total} requests)\n")
    print(f"{'operation':34} {'count':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8}  statuses")  # fmt: skip
    for name, values in sorted(rec.latencies.items()):
        statuses = ", ".join(f"{c}: {n}" for c, n in sorted(rec.statuses[name].items()))
        print(f"{name:34} {len(values):7} {len(values) / elapsed:8.1f} {p(values, 50):8.1f} "
              f"{p(values, 95):8.1f} {p(values, 99):8.1f}  {statuses}")  # fmt: skip
    if rec.failures:
        print("\nunexpected answers (first 20):")
        for line in rec.failures:
            print("  " + line)
    print()
    for name, ok, detail in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not all(ok for _, ok, _ in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
