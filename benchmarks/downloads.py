"""Download throughput against a running server on PostgreSQL.

Seeds a buyer with a large wallet, opt-in works (each single download is a new paid grant:
quota, charge, grant, audit event, signed link) and 10,000 base-set assets, starts gunicorn,
then measures in the same run:

- single-asset `POST /api/v1/downloads/` requests per second (one buyer per client thread:
  one buyer's downloads are decided one after another by design), beside
- `GET /api/v1/me/` (a trivial authenticated endpoint) requests per second, and
- the time of one request licensing 10,000 assets (three buyers, median).

The two rates are measured in alternating rounds (me, downloads, me, downloads ...), so a
burst of load from elsewhere on the machine does not fall on one kind only.

    .venv/bin/python benchmarks/downloads.py [--requests 1500] [--clients 8] [--workers 3]
                                             [--rounds 5]

Targets (docs/BENCHMARKS.md): single downloads at least 40% of the trivial endpoint's rate;
10,000 assets in one request under 3 s."""

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, bench_database

BULK = 10_000


def seed(works: int, buyers: int) -> dict:
    from django.contrib.auth import get_user_model

    from billing.ledger import Line, platform, transaction_post, wallet_of
    from billing.models import AccountKind
    from catalog.models import Asset, AssetStatus, License
    from marketplace.accounts import role_group
    from marketplace.models import Offer, OfferFile, OwnershipDeclaration, Role, Work
    from marketplace.offers import current_terms
    from marketplace.tokens import token_create

    User = get_user_model()
    artist = User.objects.create_user("bench-artist", password="x" * 20)
    artist.groups.add(role_group(Role.RIGHTS_HOLDER))
    accounts = []
    for n in range(buyers):
        buyer = User.objects.create_user(f"bench-buyer-{n}", password="x" * 20)
        buyer.groups.add(role_group(Role.BUYER))
        transaction_post(
            kind="top_up",
            idempotency_key=f"bench-fund-{n}",
            lines=[
                Line(platform(AccountKind.STRIPE_CLEARING), -(10**12)),
                Line(wallet_of(buyer), 10**12),
            ],
        )
        accounts.append(buyer)

    def assets(count, prefix, **fields):
        return Asset.objects.bulk_create(
            Asset(
                source=prefix, source_record_id=str(i), title=f"{prefix} {i}",
                status=AssetStatus.PUBLISHED, original_key=f"originals/bench/{prefix}-{i}.jpg",
                mime_type="image/jpeg", width=640, height=480, sha256=f"{prefix}{i}".ljust(64, "0"),
                **fields,
            )
            for i in range(count)
        )  # fmt: skip

    paid = assets(works, "opt_in", license=License.OPT_IN, price_micros=25_000)
    base = assets(BULK, "cleveland_museum", license=License.CC0)
    work_rows = Work.objects.bulk_create(Work(asset=a, owner=artist) for a in paid)
    OwnershipDeclaration.objects.bulk_create(
        OwnershipDeclaration(work=w, statement="mine", state="accepted") for w in work_rows
    )
    terms = current_terms()
    offers = Offer.objects.bulk_create(
        Offer(work=w, price_micros=25_000, allow_commercial=True, terms=terms) for w in work_rows
    )
    # Each offer's copy with its terms, as the task makes it once the offer commits.
    OfferFile.objects.bulk_create(
        OfferFile(offer=o, key=f"served/bench/{o.pk}.jpg", byte_size=50_000,
                  sha256=hashlib.sha256(str(o.pk).encode()).hexdigest(),
                  offer_url="http://127.0.0.1:8000/", license_url="http://127.0.0.1:8000/")
        for o in offers
    )  # fmt: skip
    return {
        "tokens": [token_create(user=b, name="benchmark").token for b in accounts],
        "paid": [a.pk for a in paid],
        "base": [a.pk for a in base],
    }


def start_server(port: int, workers: int, env: dict) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def timed(base_url: str, tokens: list[str], requests: list) -> tuple[float, list[float]]:
    """Send `requests` ((method, path, json) tuples) from one thread per token, each thread
    a different buyer; return the seconds they took and each request's latency."""
    clients = len(tokens)
    chunks = [(tokens[i], requests[i::clients]) for i in range(clients)]

    def run(job):
        token, chunk = job
        latencies = []
        headers = {"Authorization": f"Token {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            for method, path, body in chunk:
                started = time.perf_counter()
                response = client.request(method, path, json=body)
                latencies.append(time.perf_counter() - started)
                if response.status_code >= 300:
                    raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
        return latencies

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = [x for chunk in pool.map(run, chunks) for x in chunk]
    return time.perf_counter() - started, latencies


def alternating(base_url: str, tokens: list[str], kinds: dict[str, list], rounds: int) -> dict:
    """Run each kind's requests in `rounds` slices, the kinds taking turns, so that load from
    outside the benchmark falls on every kind alike. Per kind: requests/s over all rounds,
    latencies, and the rate of each round."""
    results = {name: {"seconds": 0.0, "latencies": [], "rounds": []} for name in kinds}
    for r in range(rounds):
        for name, requests in kinds.items():
            part = requests[r::rounds]
            seconds, latencies = timed(base_url, tokens, part)
            result = results[name]
            result["seconds"] += seconds
            result["latencies"] += latencies
            result["rounds"].append(len(part) / seconds)
    for name, result in results.items():
        result["rate"] = len(kinds[name]) / result["seconds"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rounds", type=int, default=5, help="turns each kind takes")
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="bench-downloads-")
    os.environ.update(
        MEDIA_ROOT=media, DJANGO_DEBUG="false", API_THROTTLE_USER="100000000/min",
        PLAN_FREE_MONTHLY_DOWNLOADS="1000000000", LOG_LEVEL="WARNING",
    )  # fmt: skip
    with bench_database("bench_downloads") as url:
        data = seed(args.requests, args.clients + 3)
        env = {**os.environ, "DATABASE_URL": url}
        server = start_server(args.port, args.workers, env)
        base_url = f"http://127.0.0.1:{args.port}"
        try:
            singles, bulk = data["tokens"][: args.clients], data["tokens"][args.clients :]
            me = [("GET", "/api/v1/me/", None)] * args.requests
            downloads = [("POST", "/api/v1/downloads/", {"asset_ids": [i], "purpose": "research"})
                         for i in data["paid"]]  # fmt: skip
            timed(base_url, singles, me[:200])  # warm up every worker
            measured = alternating(base_url, singles, {"me": me, "downloads": downloads},
                                   args.rounds)  # fmt: skip
            bulk_times = []
            for token in bulk:
                body = {"asset_ids": data["base"], "purpose": "research"}
                started = time.perf_counter()
                response = httpx.post(f"{base_url}/api/v1/downloads/", json=body, timeout=120,
                                      headers={"Authorization": f"Token {token}"})  # fmt: skip
                bulk_times.append(time.perf_counter() - started)
                if response.status_code != 201 or len(response.json()["downloads"]) != BULK:
                    raise SystemExit(f"bulk request failed: {response.text[:300]}")
        finally:
            server.terminate()
            server.wait()

    def p(latencies, q):
        return statistics.quantiles(latencies, n=100)[q - 1] * 1000

    print(f"gunicorn workers: {args.workers}, client threads: {args.clients}, "
          f"requests per kind: {args.requests} in {args.rounds} alternating rounds")  # fmt: skip
    trivial, single = measured["me"], measured["downloads"]
    for label, result in (("GET /api/v1/me/ (baseline):  ", trivial),
                          ("POST /api/v1/downloads/ (1): ", single)):  # fmt: skip
        lat = result["latencies"]
        print(f"{label} {result['rate']:7.1f} req/s  p50 {p(lat, 50):6.1f} ms  "
              f"p95 {p(lat, 95):6.1f} ms")  # fmt: skip
    by_round = [d / t for d, t in zip(single["rounds"], trivial["rounds"], strict=True)]
    print(
        f"single downloads / baseline:  {single['rate'] / trivial['rate']:7.1%}  "
        f"(target at least 40%; rounds {min(by_round):.1%} to {max(by_round):.1%})"
    )
    print(
        f"10,000 assets in one request: {statistics.median(bulk_times):7.2f} s median of "
        f"{len(bulk_times)} ({', '.join(f'{t:.2f}' for t in bulk_times)})  (target under 3 s)"
    )


if __name__ == "__main__":
    main()
