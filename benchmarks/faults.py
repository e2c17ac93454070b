"""Faults: processes killed (SIGKILL) in the middle of work, restarted, and the work done once.

Against gunicorn, PostgreSQL, Redis and a Celery worker, on a throw-away database:

1. licensing: a buyer's request licensing 2,000 paid works (with an Idempotency-Key); the
   web server (master and workers) is killed while it runs, restarted, and the client sends
   the same request again;
2. a manifest build: a manifest of a buyer's 20,000 grants; the Celery worker is killed
   while it builds it, and restarted;
3. a shard export: WebDataset shards of another buyer's 3,000 grants (distinct stored
   JPEGs, shards of at most 200 KB); the worker is killed while it writes them, and
   restarted;
4. a payout run: `billing.run_payouts` over 300 rights holders; the worker is killed once
   some payouts are posted, and restarted.

After each: the work completed exactly once (the grants and one charge; the manifest done
with every row; the shards done, every sample once, each shard's bytes as its index says,
one delivery event per asset, nothing charged; one payout per rights holder, each sent),
and at the end `reconcile --skip-stripe` and `verify_audit_log --seal` pass. Prints each
check; exits 1 if one fails.

    .venv/bin/python benchmarks/faults.py        (or `make faults`)

A killed worker's task comes back through Celery's late acknowledgement: Redis hands an
unacknowledged task out again after CELERY_VISIBILITY_TIMEOUT (here 10 s). BENCH_REDIS_URL
names the Redis database for the broker (default redis://127.0.0.1:6379/1; flushed first)."""

import hashlib
import io
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, bench_database

VISIBILITY = 10
PAID, BASE, HOLDERS, SHARDED = 2_000, 20_000, 300, 3_000
PRICE, FEE = 25_000, 1_000


def seed(media: Path) -> dict:
    from django.contrib.auth import get_user_model
    from PIL import Image

    from billing.ledger import Line, payable_of, platform, transaction_post, wallet_of
    from billing.models import AccountKind, ConnectAccount
    from catalog.models import Asset, AssetStatus, License
    from marketplace.accounts import role_group
    from marketplace.downloads import downloads_grant
    from marketplace.models import Offer, OfferUse, OwnershipDeclaration, Purpose, Role, Use, Work
    from marketplace.offers import current_terms
    from marketplace.tokens import token_create

    User = get_user_model()

    def person(name, role):
        user = User.objects.create_user(name)  # no password: tokens only, and no hashing cost
        user.groups.add(role_group(role))
        return user

    def fund(buyer, micros, key):
        transaction_post(kind="top_up", idempotency_key=key, lines=[
            Line(platform(AccountKind.STRIPE_CLEARING), -micros), Line(wallet_of(buyer), micros),
        ])  # fmt: skip

    (media / "originals").mkdir(parents=True, exist_ok=True)
    picture = io.BytesIO()  # a real JPEG: an opt-in work's served copy carries its terms
    Image.new("RGB", (8, 8), (90, 120, 160)).save(picture, "JPEG")
    (media / "originals" / "f.jpg").write_bytes(picture.getvalue())

    def assets(count, prefix, **fields):
        return Asset.objects.bulk_create(
            Asset(source=prefix, source_record_id=str(i), title=f"{prefix} {i}",
                  status=AssetStatus.PUBLISHED, original_key="originals/f.jpg",
                  mime_type="image/jpeg", width=8, height=8,
                  sha256=f"{prefix}{i}".ljust(64, "0"), **fields)
            for i in range(count)
        )  # fmt: skip

    artist = person("fault-artist", Role.RIGHTS_HOLDER)
    paid = assets(PAID, "opt_in", license=License.OPT_IN, price_micros=PRICE)
    works = Work.objects.bulk_create(Work(asset=a, owner=artist) for a in paid)
    OwnershipDeclaration.objects.bulk_create(
        OwnershipDeclaration(work=w, statement="mine", state="accepted") for w in works
    )
    terms = current_terms()
    offers = Offer.objects.bulk_create(
        Offer(work=w, price_micros=PRICE, allow_commercial=True, terms=terms) for w in works
    )
    OfferUse.objects.bulk_create(
        OfferUse(offer=o, use=Use.AI_TRAINING, price_micros=PRICE) for o in offers
    )
    base = assets(BASE, "cleveland_museum", license=License.CC0)

    licensing = person("fault-buyer", Role.BUYER)
    fund(licensing, 10**9, "fault-fund-1")
    exporter = person("fault-exporter", Role.BUYER)
    for start in range(0, BASE, 10_000):
        ids = [a.pk for a in base[start : start + 10_000]]
        downloads_grant(buyer=exporter, asset_ids=ids, purpose=Purpose.RESEARCH)

    # Shards read and check each file: distinct real JPEGs, their hashes recorded.
    files = []
    for i in range(SHARDED):
        picture = io.BytesIO()
        Image.new("RGB", (8, 8), (i % 256, i // 256 % 256, 7)).save(picture, "JPEG")
        key = f"originals/s{i}.jpg"
        (media / key).write_bytes(picture.getvalue())
        files.append((key, hashlib.sha256(picture.getvalue()).hexdigest()))
    sharded = Asset.objects.bulk_create(
        Asset(source="cleveland_museum", source_record_id=f"s{i}", title=f"shard {i}",
              status=AssetStatus.PUBLISHED, original_key=key, mime_type="image/jpeg",
              width=8, height=8, sha256=sha, license=License.CC0)
        for i, (key, sha) in enumerate(files)
    )  # fmt: skip
    sharder = person("fault-sharder", Role.BUYER)
    downloads_grant(buyer=sharder, asset_ids=[a.pk for a in sharded], purpose=Purpose.RESEARCH)

    earnings = person("fault-earnings-buyer", Role.BUYER)
    fund(earnings, HOLDERS * 5_000_000, "fault-fund-2")
    for n in range(HOLDERS):
        holder = person(f"fault-holder-{n}", Role.RIGHTS_HOLDER)
        ConnectAccount.objects.create(
            rights_holder=holder, stripe_account_id=f"acct_fault_{n}", payouts_enabled=True,
            details_submitted=True,
        )  # fmt: skip
        transaction_post(kind="download", idempotency_key=f"fault-earn-{n}", lines=[
            Line(wallet_of(earnings), -5_000_000), Line(payable_of(holder), 5_000_000),
        ])  # fmt: skip
    return {
        "paid": [a.pk for a in paid],
        "licensing_token": token_create(user=licensing, name="faults").token,
        "exporter_token": token_create(user=exporter, name="faults").token,
        "sharder_token": token_create(user=sharder, name="faults").token,
    }


class Processes:
    """gunicorn and a Celery worker, each in its own process group (killed whole)."""

    def __init__(self, env: dict, port: int, logs: Path):
        self.env, self.port, self.logs = env, port, logs
        self.web = self.worker = None
        self.base_url = f"http://127.0.0.1:{port}"

    def _start(self, command, log):
        return subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            command, cwd=ROOT, env=self.env, start_new_session=True,
            stdout=(self.logs / log).open("a"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def start_web(self):
        self.web = self._start([sys.executable, "-m", "gunicorn", "config.wsgi", "--bind",
                                f"127.0.0.1:{self.port}", "--workers", "2", "--timeout", "120",
                                "--log-level", "warning"], "gunicorn.log")  # fmt: skip
        for _ in range(300):
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not start")

    def start_worker(self):
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency",
                   "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle"]  # fmt: skip
        self.worker = self._start(command, "celery.log")

    @staticmethod
    def kill(process):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self):
        for process in (self.web, self.worker):
            if process and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)


def wait_for(predicate, seconds: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def licensing_fault(procs: Processes, data: dict) -> list:
    from billing.selectors import wallet_balance
    from marketplace.models import DownloadGrant, User

    buyer = User.objects.get(username="fault-buyer")
    before = wallet_balance(buyer)
    headers = {
        "Authorization": f"Token {data['licensing_token']}",
        "Idempotency-Key": str(uuid.uuid4()),
    }
    body = {"asset_ids": data["paid"], "purpose": "research", "use": "ai_training"}
    answers = []

    def send():
        try:
            answers.append(httpx.post(f"{procs.base_url}/api/v1/downloads/", json=body,
                                      headers=headers, timeout=120).status_code)  # fmt: skip
        except httpx.HTTPError as error:
            answers.append(type(error).__name__)

    thread = threading.Thread(target=send)
    thread.start()
    time.sleep(0.4)  # the request is being served (about 1.5 s for 2,000 works)
    procs.kill(procs.web)
    thread.join()
    interrupted = answers[0]
    granted_between = DownloadGrant.objects.filter(buyer=buyer).count()
    procs.start_web()
    retried = httpx.post(f"{procs.base_url}/api/v1/downloads/", json=body, headers=headers,
                         timeout=120)  # fmt: skip
    grants = DownloadGrant.objects.filter(buyer=buyer).count()
    spent = before - wallet_balance(buyer)
    return [
        ("licensing: the killed request got no answer", interrupted != 201, str(interrupted)),
        ("licensing: the retry licensed everything",
         retried.status_code in (200, 201) and grants == PAID,
         f"retry {retried.status_code}; {granted_between} grants after the kill, {grants} after "
         "the retry"),
        ("licensing: charged exactly once", spent == PAID * (PRICE + FEE),
         f"{spent} micro-USD for {PAID} works at {PRICE + FEE}"),
    ]  # fmt: skip


def manifest_fault(procs: Processes, data: dict, redis_client) -> list:
    from django.core.files.storage import default_storage

    from marketplace.models import ManifestExport

    headers = {"Authorization": f"Token {data['exporter_token']}"}
    answer = httpx.post(f"{procs.base_url}/api/v1/manifests/", json={"format": "jsonl"},
                        headers=headers, timeout=60)  # fmt: skip
    manifest_id = answer.json()["id"]
    taken = wait_for(lambda: redis_client.hlen("unacked") > 0, 60)
    time.sleep(0.5)  # into the build
    state_at_kill = ManifestExport.objects.get(pk=manifest_id).state
    procs.kill(procs.worker)
    killed_at = time.monotonic()
    procs.start_worker()
    done = wait_for(
        lambda: ManifestExport.objects.get(pk=manifest_id).state != "queued", VISIBILITY + 120, 0.5
    )
    manifest = ManifestExport.objects.get(pk=manifest_id)
    lines = 0
    if manifest.file_key:
        with default_storage.open(manifest.file_key) as file:
            lines = sum(1 for _ in file)
    return [
        ("manifest: the worker was killed mid-build",
         answer.status_code == 202 and taken and state_at_kill == "queued",
         f"taken by the worker: {taken}; state when killed: {state_at_kill}"),
        ("manifest: built once, complete, after the restart",
         done and manifest.state == "done" and manifest.rows == lines == BASE,
         f"state {manifest.state}, {manifest.rows} rows, {lines} lines in the file, "
         f"{time.monotonic() - killed_at:.0f} s after the kill"),
    ]  # fmt: skip


def shard_fault(procs: Processes, data: dict, redis_client) -> list:
    from django.core.files.storage import default_storage

    from billing.selectors import wallet_balance
    from marketplace.models import DownloadGrant, ShardExport, ShardSample, User
    from provenance.models import EventKind, ProvenanceEvent

    sharder = User.objects.get(username="fault-sharder")
    wallet_before = wallet_balance(sharder)
    headers = {"Authorization": f"Token {data['sharder_token']}"}
    answer = httpx.post(f"{procs.base_url}/api/v1/shard-exports/", json={}, headers=headers,
                        timeout=60)  # fmt: skip
    export_id = answer.json()["id"]
    taken = wait_for(lambda: redis_client.hlen("unacked") > 0, 60)
    written = wait_for(lambda: len(ShardExport.objects.get(pk=export_id).shards) > 0, 60, 0.02)
    export = ShardExport.objects.get(pk=export_id)
    shards_at_kill, state_at_kill = len(export.shards), export.state
    procs.kill(procs.worker)
    killed_at = time.monotonic()
    procs.start_worker()
    done = wait_for(
        lambda: ShardExport.objects.get(pk=export_id).state != "queued", VISIBILITY + 120, 0.5
    )
    export = ShardExport.objects.get(pk=export_id)
    samples = list(ShardSample.objects.filter(export=export).values_list("grant_id", flat=True))
    intact = 0
    for shard in export.shards:
        with default_storage.open(shard["key"]) as file:
            intact += hashlib.sha256(file.read()).hexdigest() == shard["sha256"]
    events = ProvenanceEvent.objects.filter(
        kind=EventKind.DOWNLOAD_SHARDED,
        asset_id__in=DownloadGrant.objects.filter(buyer=sharder).values("asset_id"),
    )
    return [
        ("shards: the worker was killed mid-export",
         answer.status_code == 202 and taken and written and state_at_kill == "queued",
         f"{shards_at_kill} of {len(export.plan)} shards written when killed"),
        ("shards: done once after the restart, every sample once, every shard intact",
         done and export.state == "done" and len(samples) == len(set(samples)) == SHARDED
         and intact == len(export.shards) == len(export.plan),
         f"state {export.state}, {len(samples)} samples in {len(export.shards)} shards "
         f"({intact} matching their SHA-256), {time.monotonic() - killed_at:.0f} s after the kill"),
        ("shards: one delivery event per asset, nothing charged",
         events.count() == SHARDED and wallet_balance(sharder) == wallet_before,
         f"{events.count()} events for {SHARDED} assets"),
    ]  # fmt: skip


def payout_fault(procs: Processes, redis_client) -> list:
    from celery import current_app

    from billing.models import LedgerTransaction, Payout

    current_app.send_task("billing.run_payouts")
    started = wait_for(lambda: Payout.objects.exists(), 60, 0.02)
    posted_at_kill = Payout.objects.count()
    procs.kill(procs.worker)
    procs.start_worker()
    finished = wait_for(
        lambda: Payout.objects.filter(state=Payout.State.SENT).count() == HOLDERS,
        VISIBILITY + 180, 0.5,
    )  # fmt: skip
    payouts = Payout.objects.count()
    per_holder = set(Payout.objects.values_list("rights_holder", flat=True))
    postings = LedgerTransaction.objects.filter(kind="payout").count()
    return [
        ("payouts: the worker was killed mid-run", started and posted_at_kill < HOLDERS,
         f"{posted_at_kill} of {HOLDERS} payouts posted when killed"),
        ("payouts: each rights holder paid once, all sent",
         finished and payouts == len(per_holder) == HOLDERS and postings == HOLDERS,
         f"{payouts} payouts for {len(per_holder)} rights holders, {postings} ledger "
         "transactions"),
    ]  # fmt: skip


def main() -> None:
    import redis
    from django.core.management import call_command

    broker = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
    redis_client = redis.Redis.from_url(broker)
    redis_client.flushdb()
    work = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    media = work / "media"
    os.environ.update(
        MEDIA_ROOT=str(media), DJANGO_DEBUG="false", LOG_LEVEL="WARNING",
        CELERY_BROKER_URL=broker, CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY),
        PAYOUT_HOLD_DAYS="0", SHARD_MAX_BYTES="200000", PLAN_FREE_MONTHLY_DOWNLOADS="1000000000",
        API_THROTTLE_USER="100000000/min",
    )  # fmt: skip
    with bench_database("bench_faults") as url:
        started = time.perf_counter()
        data = seed(media)
        print(f"seeded in {time.perf_counter() - started:.0f} s")
        procs = Processes({**os.environ, "DATABASE_URL": url}, 8768, work)
        results = []
        try:
            procs.start_web()
            procs.start_worker()
            results += licensing_fault(procs, data)
            results += manifest_fault(procs, data, redis_client)
            results += shard_fault(procs, data, redis_client)
            results += payout_fault(procs, redis_client)
        finally:
            procs.stop()
        for command, args in (("reconcile", ["--skip-stripe"]), ("verify_audit_log", ["--seal"])):
            out = io.StringIO()
            try:
                call_command(command, *args, stdout=out, stderr=out)
                ok = True
            except SystemExit as exit_:
                ok = exit_.code in (0, None)
            lines = out.getvalue().strip().splitlines()
            results.append((command, ok, lines[-1] if lines else ""))
    for name, ok, detail in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    print(f"logs: {work}")
    if not all(ok for _, ok, _ in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
