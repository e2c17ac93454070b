"""The buyers' command-line client (client/), run as its own process against a live server:
sign in, license with a summary, download verified files and shards, resume after a kill
without fetching a finished file again, and apply the revocations feed (restores too)."""

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest
import webdataset as wds
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from billing.selectors import wallet_balance
from marketplace.models import Collection, CollectionItem, DownloadGrant, Role
from marketplace.served import served_file
from tests.billing.conftest import fund
from tests.marketplace.delivery_helpers import (
    hashed_asset,
    hashed_work,
    served_bytes,
    stored_bytes,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def served(monkeypatch):
    """Every file the server hands out through a signed link, counted by storage key; a
    pause per file (`served.pause`) makes a download long enough to interrupt."""
    from marketplace.api import downloads as file_view

    counts = Counter()
    counts.pause = 0.0
    original = file_view.file_for_token

    def counting(token):
        found = original(token)
        counts[found.key] += 1
        time.sleep(counts.pause)
        return found

    monkeypatch.setattr(file_view, "file_for_token", counting)
    return counts


@pytest.fixture
def env(tmp_path, settings):
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "OPTIN_MEDIA_CONFIG": str(tmp_path / "config" / "client.json"),
        # The client of this checkout, whichever checkout the environment installed.
        "PYTHONPATH": str(settings.BASE_DIR / "client"),
    }


def command(*args) -> list[str]:
    return [sys.executable, "-m", "optin_media_client", *map(str, args)]


def run(env, *args, stdin: str = "") -> subprocess.CompletedProcess:
    # In the test's own folder: `license` saves its receipt in the current one.
    return subprocess.run(command(*args), env=env, input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=env["HOME"])  # fmt: skip


@pytest.fixture
def buyer(make_user):
    return make_user("mia", role=Role.BUYER)


def collection_of(buyer, assets) -> Collection:
    collection = Collection.objects.create(owner=buyer, name="training set")
    CollectionItem.objects.bulk_create(
        CollectionItem(collection=collection, asset=a) for a in assets
    )
    return collection


def login(env, live_server):
    signed = run(env, "login", "--server", live_server.url, "--username", "mia",
                 "--password-stdin", stdin="a-long-passphrase\n")  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    return signed


def test_login_license_download_and_shards_of_a_collection(
    live_server, buyer, make_user, env, tmp_path, served
):
    work = hashed_work(make_user("arto", role=Role.RIGHTS_HOLDER), price_micros=20_000)
    base = [hashed_asset() for _ in range(3)]
    assets = [work.asset, *base]
    collection = collection_of(buyer, assets)
    fund(buyer, 100_000)

    signed = login(env, live_server)
    assert "as mia" in signed.stdout
    config = tmp_path / "config" / "client.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert json.loads(config.read_text())["token"].startswith("mkt_")

    unconfirmed = run(env, "license", collection.pk, "--use", "ai_training")
    assert unconfirmed.returncode == 1 and "add --yes" in unconfirmed.stdout
    assert "new, paid (opt-in works):  1  price USD 0.020000 + fees USD 0.001000" in (
        unconfirmed.stdout
    )
    assert "new, free (base set):      3" in unconfirmed.stdout
    assert "Total: USD 0.021000" in unconfirmed.stdout and "Wallet after: USD 0.079000" in (
        unconfirmed.stdout
    )
    assert DownloadGrant.objects.count() == 0 and wallet_balance(buyer) == 100_000

    licensed = run(env, "license", collection.pk, "--use", "ai_training", "--yes")
    assert licensed.returncode == 0, licensed.stdout + licensed.stderr
    assert "Licensed 4 assets (4 new), charged USD 0.021000" in licensed.stdout
    assert DownloadGrant.objects.count() == 4 and wallet_balance(buyer) == 79_000

    files = tmp_path / "files"
    downloaded = run(env, "download", collection.pk, "--to", files, "--workers", 3, "--quiet")
    assert downloaded.returncode == 0, downloaded.stdout + downloaded.stderr
    assert "4 files downloaded and verified" in downloaded.stdout
    for asset in assets:
        assert (files / f"{asset.pk}.jpg").read_bytes() == served_bytes(asset, buyer)
    state = [
        json.loads(x) for x in (files / ".optin-media" / "files.jsonl").read_text().splitlines()
    ]
    assert sorted((e["asset_id"], e["grant_id"]) for e in state) == sorted(
        (a.pk, a.grants.get().pk) for a in assets
    )
    keys = [served_file(a.grants.get(buyer=buyer)).key for a in assets]
    assert [served[key] for key in keys] == [1] * 4

    again = run(env, "download", collection.pk, "--to", files, "--quiet")
    assert again.returncode == 0 and "0 files downloaded" in again.stdout
    assert "4 already here" in again.stdout
    assert [served[key] for key in keys] == [1] * 4

    shard_folder = tmp_path / "shards"
    sharded = run(env, "shards", collection.pk, "--to", shard_folder, "--quiet")
    assert sharded.returncode == 0, sharded.stdout + sharded.stderr
    assert "4 assets in 1 shards" in sharded.stdout
    index = json.loads((shard_folder / "index.json").read_text())
    paths = [str(shard_folder / s["name"]) for s in index["shards"]]
    for path, listed in zip(paths, index["shards"], strict=True):
        with open(path, "rb") as shard:
            assert hashlib.sha256(shard.read()).hexdigest() == listed["sha256"]
    samples = list(wds.WebDataset(paths, shardshuffle=False))
    assert [s["jpg"] for s in samples] == [served_bytes(a, buyer) for a in assets]


def test_shards_of_an_expired_export_are_asked_for_again_with_new(
    live_server, buyer, env, tmp_path
):
    from datetime import timedelta

    from django.utils import timezone

    from marketplace.models import ShardExport
    from marketplace.shard_expiry import shard_exports_expire

    assets = [hashed_asset() for _ in range(2)]
    collection = collection_of(buyer, assets)
    login(env, live_server)
    assert run(env, "license", collection.pk, "--use", "ai_training", "--yes").returncode == 0
    folder = tmp_path / "shards"
    assert run(env, "shards", collection.pk, "--to", folder, "--quiet").returncode == 0
    ShardExport.objects.update(created_at=timezone.now() - timedelta(days=31))
    assert shard_exports_expire() == 1

    expired = run(env, "shards", collection.pk, "--to", folder, "--quiet")
    assert expired.returncode != 0
    assert "has expired: its files were deleted" in expired.stdout + expired.stderr
    assert "--new" in expired.stdout + expired.stderr
    fresh = run(env, "shards", collection.pk, "--to", folder, "--new", "--quiet")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert ShardExport.objects.filter(state="done").count() == 1


def test_a_download_whose_manifest_expired_builds_a_new_one_and_keeps_the_files(
    live_server, buyer, env, tmp_path, served
):
    from datetime import timedelta

    from django.utils import timezone

    from marketplace.manifest_expiry import manifests_expire
    from marketplace.models import ManifestExport

    assets = [hashed_asset() for _ in range(2)]
    collection = collection_of(buyer, assets)
    login(env, live_server)
    assert run(env, "license", collection.pk, "--use", "ai_training", "--yes").returncode == 0
    folder = tmp_path / "files"
    assert run(env, "download", collection.pk, "--to", folder, "--quiet").returncode == 0
    first = ManifestExport.objects.get()
    ManifestExport.objects.update(created_at=timezone.now() - timedelta(days=31))
    assert manifests_expire() == 1

    named = run(env, "download", f"manifest:{first.pk}", "--to", tmp_path / "named", "--quiet")
    assert named.returncode != 0
    assert "The manifest has expired: its files were deleted" in named.stdout + named.stderr
    assert "download the collection by its id" in named.stdout + named.stderr

    again = run(env, "download", collection.pk, "--to", folder, "--quiet")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 files downloaded" in again.stdout and "2 already here" in again.stdout
    assert ManifestExport.objects.filter(state="done").exclude(pk=first.pk).count() == 1
    assert [served[a.original_key] for a in assets] == [1, 1]


def test_an_interrupted_download_resumes_without_fetching_finished_files_again(
    live_server, buyer, env, tmp_path, served
):
    assets = [hashed_asset() for _ in range(12)]
    collection = collection_of(buyer, assets)
    login(env, live_server)
    assert run(env, "license", collection.pk, "--use", "ai_training", "--yes").returncode == 0
    served.pause = 0.3
    folder = tmp_path / "files"
    state = folder / ".optin-media" / "files.jsonl"
    client = subprocess.Popen(command("download", collection.pk, "--to", folder, "--workers", 2,
                                      "--quiet"), env=env, cwd=env["HOME"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 60
    while not state.exists() or len(state.read_text().splitlines()) < 4:
        assert client.poll() is None and time.monotonic() < deadline, client.stdout.read()
        time.sleep(0.05)
    client.send_signal(signal.SIGKILL)
    client.wait(timeout=10)
    finished = {json.loads(line)["asset_id"] for line in state.read_text().splitlines()}
    assert 4 <= len(finished) < 12
    before = Counter(served)

    served.pause = 0.0
    resumed = run(env, "download", collection.pk, "--to", folder, "--quiet")

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"{len(finished)} already here" in resumed.stdout
    for asset in assets:
        assert (folder / f"{asset.pk}.jpg").read_bytes() == stored_bytes(asset)
        if asset.pk in finished:
            assert served[asset.original_key] == before[asset.original_key] == 1
    # Only files cut off by the kill (at most one per worker) were fetched twice.
    assert sum(served[a.original_key] for a in assets) <= 12 + 2
    assert not list(folder.glob("*.part"))


def test_a_file_that_does_not_match_its_sha256_is_refused(live_server, buyer, env, tmp_path):
    good, bad = hashed_asset(), hashed_asset()
    collection = collection_of(buyer, [good, bad])
    login(env, live_server)
    assert run(env, "license", collection.pk, "--use", "ai_training", "--yes").returncode == 0
    default_storage.delete(bad.original_key)
    default_storage.save(bad.original_key, ContentFile(b"not the licensed file"))

    downloaded = run(env, "download", collection.pk, "--to", tmp_path / "files", "--quiet")

    assert downloaded.returncode == 1
    assert f"FAILED {bad.pk}.jpg: SHA-256" in downloaded.stdout
    assert (tmp_path / "files" / f"{good.pk}.jpg").exists()
    assert not (tmp_path / "files" / f"{bad.pk}.jpg").exists()
    assert not list((tmp_path / "files").glob("*.part"))


def test_a_server_asking_to_slow_down_is_waited_for_not_failed(
    live_server, buyer, env, tmp_path, monkeypatch
):
    from rest_framework.exceptions import Throttled

    from marketplace.api import downloads as file_view

    first, second = hashed_asset(), hashed_asset()
    collection = collection_of(buyer, [first, second])
    login(env, live_server)
    assert run(env, "license", collection.pk, "--use", "ai_training", "--yes").returncode == 0
    original, asked = file_view.file_for_token, []

    def busy_once(token):
        found = original(token)
        if found.key == second.original_key:
            asked.append(time.monotonic())
            if len(asked) == 1:
                raise Throttled(wait=1)  # 429 with Retry-After: 1
        return found

    monkeypatch.setattr(file_view, "file_for_token", busy_once)
    downloaded = run(env, "download", collection.pk, "--to", tmp_path / "files", "--quiet")

    assert downloaded.returncode == 0, downloaded.stdout + downloaded.stderr
    assert len(asked) == 2 and asked[1] - asked[0] >= 0.9
    assert (tmp_path / "files" / f"{second.pk}.jpg").read_bytes() == stored_bytes(second)


def test_sync_removes_revoked_files_and_rewrites_the_shards_holding_them(
    live_server, buyer, env, tmp_path
):
    from django.db import transaction

    from catalog.services import asset_take_down

    kept, revoked = [hashed_asset(), hashed_asset()], hashed_asset()
    collection = collection_of(buyer, [*kept, revoked])
    login(env, live_server)
    assert run(env, "license", collection.pk, "--use", "ai_training", "--yes").returncode == 0
    files, shards = tmp_path / "files", tmp_path / "shards"
    assert run(env, "download", collection.pk, "--to", files, "--quiet").returncode == 0
    assert run(env, "shards", collection.pk, "--to", shards, "--quiet").returncode == 0
    with transaction.atomic():
        asset_take_down(asset_id=revoked.pk, actor="moderator", reason="infringing")

    synced = run(env, "sync", "--to", files)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert f"removed {revoked.pk}.jpg: asset {revoked.pk} taken down (rights)" in synced.stdout
    assert not (files / f"{revoked.pk}.jpg").exists()
    assert all((files / f"{a.pk}.jpg").exists() for a in kept)

    resharded = run(env, "sync", "--to", shards)
    assert resharded.returncode == 0, resharded.stdout + resharded.stderr
    assert f"rewrote shard-000000.tar without asset(s) {revoked.pk}" in resharded.stdout
    index = json.loads((shards / "index.json").read_text())
    [listed] = index["shards"]
    data = (shards / "shard-000000.tar").read_bytes()
    assert (len(data), hashlib.sha256(data).hexdigest()) == (listed["size"], listed["sha256"])
    samples = list(wds.WebDataset([str(shards / "shard-000000.tar")], shardshuffle=False))
    assert [s["__key__"] for s in samples] == [f"asset-{a.pk}" for a in kept]
    assert [s["asset_id"] for s in listed["samples"]] == [a.pk for a in kept]

    again = run(env, "sync", "--to", shards)
    assert "0 files removed, 0 shards rewritten" in again.stdout
    # A later download of the same collection does not bring the revoked file back.
    resumed = run(env, "download", collection.pk, "--to", files, "--quiet")
    assert resumed.returncode == 0 and "2 already here" in resumed.stdout
    assert not (files / f"{revoked.pk}.jpg").exists()


def test_sync_reports_a_restored_work_which_downloads_again_until_taken_down_again(
    live_server, buyer, make_user, env, tmp_path
):
    from catalog.services import asset_restore, asset_take_down
    from marketplace.offers import offer_withdraw

    kept, back = hashed_asset(), hashed_asset()
    artist = make_user("arto", role=Role.RIGHTS_HOLDER)
    work = hashed_work(artist, price_micros=20_000)
    collection = collection_of(buyer, [kept, back, work.asset])
    fund(buyer, 100_000)
    login(env, live_server)
    assert run(env, "license", collection.pk, "--use", "ai_training", "--yes").returncode == 0
    files, shards = tmp_path / "files", tmp_path / "shards"
    assert run(env, "download", collection.pk, "--to", files, "--quiet").returncode == 0
    assert run(env, "shards", collection.pk, "--to", shards, "--quiet").returncode == 0
    for asset in (back, work.asset):
        asset_take_down(asset_id=asset.pk, actor="moderator", reason="privacy")
    assert "2 files removed" in run(env, "sync", "--to", files).stdout
    assert "rewrote shard-000000.tar" in run(env, "sync", "--to", shards).stdout
    assert not (files / f"{back.pk}.jpg").exists()

    for asset in (back, work.asset):
        assert asset_restore(asset_id=asset.pk, actor="moderator", note="consent shown")
    # Withdrawn by its rights holder since the restore: the grant still holds.
    offer_withdraw(owner=artist, work_id=work.pk)
    synced = run(env, "sync", "--to", files)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    for asset in (back, work.asset):
        assert (
            f"restored asset {asset.pk} ({asset.pk}.jpg): it is licensed to you again and can "
            "be downloaded again"
        ) in synced.stdout
    assert f"optin-media download {collection.pk} --to {files}" in synced.stdout
    assert "0 revocations in force; 0 files removed, 0 shards rewritten, 2 restored" in (
        synced.stdout
    )
    assert (files / f"{kept.pk}.jpg").exists()
    assert "0 restored" in run(env, "sync", "--to", files).stdout  # told once
    fetched = run(env, "download", collection.pk, "--to", files, "--quiet")
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert "2 files downloaded and verified" in fetched.stdout
    for asset in (back, work.asset):
        assert (files / f"{asset.pk}.jpg").read_bytes() == served_bytes(asset, buyer)

    resynced = run(env, "sync", "--to", shards)
    assert f"restored asset {back.pk} (shard-000000.tar)" in resynced.stdout
    assert f"optin-media shards {collection.pk} --to {shards}" in resynced.stdout
    refetched = run(env, "shards", collection.pk, "--to", shards, "--quiet")
    assert refetched.returncode == 0, refetched.stdout + refetched.stderr
    samples = list(wds.WebDataset([str(shards / "shard-000000.tar")], shardshuffle=False))
    assert sorted(s["__key__"] for s in samples) == sorted(
        f"asset-{a.pk}" for a in (kept, back, work.asset)
    )

    # Taken down again after the restore: the latest entry counts, and it goes again.
    asset_take_down(asset_id=back.pk, actor="moderator", reason="legal")
    again = run(env, "sync", "--to", files)
    assert f"removed {back.pk}.jpg: asset {back.pk} taken down (legal)" in again.stdout
    assert "1 revocations in force; 1 files removed, 0 shards rewritten, 0 restored" in (
        again.stdout
    )
    assert not (files / f"{back.pk}.jpg").exists()
    assert (files / f"{kept.pk}.jpg").exists() and (files / f"{work.asset.pk}.jpg").exists()
    resharded = run(env, "sync", "--to", shards)
    assert f"rewrote shard-000000.tar without asset(s) {back.pk}" in resharded.stdout


def test_the_license_receipt_is_saved_and_verifies_offline_until_a_byte_changes(
    live_server, buyer, env, tmp_path
):
    from django.conf import settings

    asset = hashed_asset()
    collection = collection_of(buyer, [asset])
    login(env, live_server)
    receipt = tmp_path / "receipt.json"
    licensed = run(
        env, "license", collection.pk, "--use", "ai_training", "--yes", "--receipt", receipt
    )
    assert licensed.returncode == 0, licensed.stdout + licensed.stderr
    saved = json.loads(receipt.read_text())
    assert [g["asset_id"] for g in saved["payload"]["grants"]] == [asset.pk]

    verified = run(env, "verify-receipt", receipt)  # against the server's published keys
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"The receipt {saved['payload']['receipt_id']} verifies" in verified.stdout
    keys = tmp_path / "keys.json"
    keys.write_text(httpx.get(f"{live_server.url}/.well-known/receipt-keys.json").text)
    offline = run({**env, "OPTIN_MEDIA_CONFIG": str(tmp_path / "none.json")},
                  "verify-receipt", receipt, "--keys", keys)  # fmt: skip
    assert offline.returncode == 0, offline.stdout + offline.stderr

    saved["payload"]["grants"][0]["price_micros"] += 1
    receipt.write_text(json.dumps(saved))
    tampered = run(env, "verify-receipt", receipt, "--keys", keys)
    assert tampered.returncode == 1 and "does NOT verify" in tampered.stdout
    # The client's verifier is the platform's own module, copied as it is.
    copied = settings.BASE_DIR / "client" / "optin_media_client" / "receipt_verify.py"
    assert copied.read_text() == (settings.BASE_DIR / "common" / "receipt_verify.py").read_text()
