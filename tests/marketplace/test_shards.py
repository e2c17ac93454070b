"""WebDataset shards: written by a task, read back with the real `webdataset` library,
rebuilt byte for byte after a crash, private to their buyer."""

import hashlib
import io
import json
import shutil
import subprocess
import tarfile

import boto3
import httpx
import pytest
import webdataset as wds
from django.core.files.storage import default_storage

from billing.selectors import wallet_balance
from catalog.models import Asset, AssetStatus
from marketplace import shards as shards_module
from marketplace.models import Role, ShardExport, ShardSample, TokenScope
from marketplace.services import shard_export_build
from provenance.models import EventKind, ProvenanceEvent
from tests.auth import sign_in
from tests.billing.conftest import fund
from tests.marketplace.delivery_helpers import (
    hashed_asset,
    hashed_work,
    served_bytes,
    stored_bytes,
)
from tests.marketplace.test_downloads import download

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(make_user):
    return make_user("mia", role=Role.BUYER)


def fetch(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def export(client, captured, **body) -> dict:
    with captured(execute=True):
        created = client.post("/api/v1/shard-exports/", body, format="json")
    assert created.status_code == 202, created.json()
    return client.get(f"/api/v1/shard-exports/{created.json()['id']}/").json()


def save_shards(client, body, folder) -> list[str]:
    """Fetch every shard through its link, check it against the index, keep it on disk."""
    index = json.loads(fetch(client, body["index_url"]))
    assert [s["name"] for s in index["shards"]] == [s["name"] for s in body["shards"]]
    paths = []
    for listed, shard in zip(index["shards"], body["shards"], strict=True):
        data = fetch(client, shard["url"])
        assert (len(data), hashlib.sha256(data).hexdigest()) == (listed["size"], listed["sha256"])
        assert (shard["size"], shard["sha256"]) == (listed["size"], listed["sha256"])
        path = folder / shard["name"]
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def test_a_collection_becomes_shards_that_webdataset_reads(
    api_client, buyer, make_user, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.SHARD_MAX_BYTES = 10240  # three small images a shard
    artist = make_user("arto", role=Role.RIGHTS_HOLDER)
    work = hashed_work(artist, price_micros=20_000)
    base = [hashed_asset(description=f"A pear, {n}.") for n in range(4)]
    not_granted, removed = hashed_asset(), hashed_asset()
    fund(buyer, 100_000)
    sign_in(api_client, buyer)
    assert (
        download(api_client, [work.asset_id, *(a.pk for a in base), removed.pk]).status_code == 201
    )
    collection = api_client.post("/api/v1/collections/", {"name": "fruit"}, format="json").json()
    api_client.post(f"/api/v1/collections/{collection['id']}/items/",
                    {"asset_ids": [work.asset_id, *(a.pk for a in base), not_granted.pk,
                                   removed.pk]}, format="json")  # fmt: skip
    Asset.objects.filter(pk=removed.pk).update(status=AssetStatus.TAKEN_DOWN)
    wallet = wallet_balance(buyer)

    body = export(api_client, django_capture_on_commit_callbacks, collection=collection["id"])

    assert (body["state"], body["assets"], body["skipped"]) == ("done", 5, 2)
    # Split by size: every shard within the limit, the five samples spread over them. (How
    # many go in each depends on the files' sizes, and the work's carries its terms with
    # its ids: a few bytes more or less move a sample across a block.)
    assert len(body["shards"]) >= 2 and sum(s["samples"] for s in body["shards"]) == 5
    assert all(s["size"] <= 10240 for s in body["shards"])
    paths = save_shards(api_client, body, tmp_path)
    samples = list(wds.WebDataset(paths, shardshuffle=False))
    expected = [work.asset, *base]
    assert [s["__key__"] for s in samples] == [f"asset-{a.pk}" for a in expected]
    for sample, asset in zip(samples, expected, strict=True):
        assert sample["jpg"] == served_bytes(asset, buyer)  # the work's with its terms
        meta = json.loads(sample["json"])
        assert meta["id"] == asset.pk
        assert meta["sha256"] == hashlib.sha256(sample["jpg"]).hexdigest()
        assert meta["grant_id"] == asset.grants.get(buyer=buyer).pk
    first = json.loads(samples[0]["json"])
    assert (first["license"], first["source"], first["purpose"]) == ("opt-in", "opt_in", "research")
    assert first["terms_version"] and first["use"] == work.asset.grants.get(buyer=buyer).use
    assert json.loads(samples[1]["json"])["caption"] == f"{base[0].title}. A pear, 0."
    decoded = next(iter(wds.WebDataset(paths[:1], shardshuffle=False).decode("pil")))
    assert decoded["jpg"].size == (32, 24)
    # Plain tar files: Python's tarfile and GNU tar list the same members.
    first_count, second_count = (s["samples"] for s in body["shards"][:2])
    in_second = expected[first_count : first_count + second_count]
    with tarfile.open(paths[1]) as shard:
        names = shard.getnames()
        assert names == [f"asset-{a.pk}.{ext}" for a in in_second for ext in ("jpg", "json")]
        granted = in_second[0].grants.get(buyer=buyer).created_at
        assert shard.getmember(names[0]).mtime == int(granted.timestamp())
    listed = subprocess.run([shutil.which("tar"), "-tf", paths[1]], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert listed.stdout.split() == names and not listed.stderr
    # Nothing charged; each delivered asset logged once.
    assert wallet_balance(buyer) == wallet
    logged = ProvenanceEvent.objects.filter(kind=EventKind.DOWNLOAD_SHARDED)
    assert sorted(logged.values_list("asset_id", flat=True)) == sorted(a.pk for a in expected)


def test_a_crashed_build_resumes_and_writes_the_same_shards(
    api_client, buyer, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.SHARD_MAX_BYTES = 10240
    assets = [hashed_asset() for _ in range(7)]
    sign_in(api_client, buyer, scope=TokenScope.DOWNLOAD)
    download(api_client, [a.pk for a in assets])
    write = shards_module._write_shard
    written = []

    def crash_on_the_second(export, number, grant_ids):
        if number == 1 and not written.count(1):
            written.append(1)
            raise OSError("worker lost")
        written.append(number)
        return write(export, number, grant_ids)

    monkeypatch.setattr(shards_module, "_write_shard", crash_on_the_second)
    with django_capture_on_commit_callbacks(execute=False):  # the worker runs it below
        api_client.post("/api/v1/shard-exports/", {}, format="json")
    crashed = ShardExport.objects.get()
    with pytest.raises(OSError):
        shard_export_build(crashed.pk)
    crashed.refresh_from_db()
    assert crashed.state == "queued" and [s["name"] for s in crashed.shards] == ["shard-000000.tar"]

    shard_export_build(crashed.pk)  # the retry
    shard_export_build(crashed.pk)  # and a redelivery of the same task: nothing more
    assert written == [0, 1, 1, 2]  # 3 + 3 + 1 assets
    resumed = api_client.get(f"/api/v1/shard-exports/{crashed.pk}/").json()
    fresh = export(api_client, django_capture_on_commit_callbacks)
    assert resumed["state"] == "done" and resumed["assets"] == 7
    assert [s["sha256"] for s in resumed["shards"]] == [s["sha256"] for s in fresh["shards"]]
    assert ProvenanceEvent.objects.filter(kind=EventKind.DOWNLOAD_SHARDED).count() == 14
    # The resumed export lists each asset once, in the same shards as the fresh one.
    assert _samples(crashed) == _samples(ShardExport.objects.get(pk=fresh["id"]))
    assert _samples(crashed) == _spread(assets, [s["samples"] for s in resumed["shards"]])


def _samples(export: ShardExport) -> list[tuple[int, int]]:
    """The export's (shard, asset id) pairs, in order."""
    return list(
        ShardSample.objects.filter(export=export)
        .order_by("shard", "position")
        .values_list("shard", "asset_id")
    )


def _spread(assets, counts: list[int]) -> list[tuple[int, int]]:
    """(shard, asset id) of `assets` in order, `counts` of them a shard."""
    numbers = [number for number, count in enumerate(counts) for _ in range(count)]
    return list(zip(numbers, (a.pk for a in assets), strict=True))


def test_a_multi_shard_export_keeps_each_sample_once_and_lists_them_in_its_index(
    api_client, buyer, settings, django_capture_on_commit_callbacks
):
    settings.SHARD_MAX_BYTES = 10240  # three small images a shard
    assets = [hashed_asset() for _ in range(8)]
    sign_in(api_client, buyer)
    download(api_client, [a.pk for a in assets])

    body = export(api_client, django_capture_on_commit_callbacks)

    built = ShardExport.objects.get(pk=body["id"])
    grants = {g.asset_id: g.pk for g in built.buyer.grants.all()}
    counts = [s["samples"] for s in body["shards"]]
    assert len(counts) >= 3 and _samples(built) == _spread(assets, counts)
    # The export's own row keeps a few figures a shard, not its samples.
    assert [sorted(entry) for entry in built.shards] == [
        ["key", "name", "sample_count", "sha256", "size"]
    ] * 3
    # The index lists every sample, in the format clients read (sorted keys, as before).
    text = fetch(api_client, body["index_url"]).decode()
    index = json.loads(text)
    assert text == json.dumps(index, sort_keys=True)
    assert (index["export_id"], index["format"], index["samples"]) == (built.pk, "webdataset", 8)
    assert [(s["name"], s["size"], s["sha256"]) for s in index["shards"]] == [
        (s["name"], s["size"], s["sha256"]) for s in body["shards"]
    ]
    listed = [sample for shard in index["shards"] for sample in shard["samples"]]
    assert listed == [
        {"asset_id": a.pk, "grant_id": grants[a.pk], "key": f"asset-{a.pk}",
         "sha256": a.sha256} for a in assets
    ]  # fmt: skip
    # One audit event per asset, naming its grant and the export.
    logged = ProvenanceEvent.objects.filter(kind=EventKind.DOWNLOAD_SHARDED).order_by("pk")
    assert [(e.asset_id, e.data) for e in logged] == [
        (a.pk, {"buyer_id": buyer.pk, "grant_id": grants[a.pk], "shard_export_id": built.pk})
        for a in assets
    ]


def test_a_rerun_writes_a_recorded_shard_whose_file_is_gone_in_its_place(
    api_client, buyer, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """A shard recorded but missing from storage is written again: its entry and samples
    replace those recorded, never beside them."""
    settings.SHARD_MAX_BYTES = 10240
    assets = [hashed_asset() for _ in range(7)]
    sign_in(api_client, buyer)
    download(api_client, [a.pk for a in assets])
    write = shards_module._write_shard

    def crash_on_the_last(export, number, grant_ids):
        if number == 2:
            raise OSError("worker lost")
        return write(export, number, grant_ids)

    monkeypatch.setattr(shards_module, "_write_shard", crash_on_the_last)
    with django_capture_on_commit_callbacks(execute=False):
        api_client.post("/api/v1/shard-exports/", {}, format="json")
    crashed = ShardExport.objects.get()
    with pytest.raises(OSError):
        shard_export_build(crashed.pk)
    crashed.refresh_from_db()
    default_storage.delete(crashed.shards[0]["key"])  # lost with the worker's disk
    monkeypatch.setattr(shards_module, "_write_shard", write)

    shard_export_build(crashed.pk)

    crashed.refresh_from_db()
    names = [e["name"] for e in crashed.shards]
    assert names == ["shard-000000.tar", "shard-000001.tar", "shard-000002.tar"]
    assert _samples(crashed) == _spread(assets, [e["sample_count"] for e in crashed.shards])
    body = api_client.get(f"/api/v1/shard-exports/{crashed.pk}/").json()
    assert (body["state"], body["assets"]) == ("done", 7)
    data = fetch(api_client, body["shards"][0]["url"])
    assert hashlib.sha256(data).hexdigest() == body["shards"][0]["sha256"]


def test_a_failed_write_fails_the_build_and_a_retry_writes_the_shard(
    api_client, buyer, monkeypatch, django_capture_on_commit_callbacks
):
    """The shard is written by a thread of its own: a full disk there stops the build rather
    than leaving a short shard recorded as written."""
    assets = [hashed_asset() for _ in range(2)]
    sign_in(api_client, buyer)
    download(api_client, [a.pk for a in assets])
    store = shards_module._TarWriter._store

    def disk_full(writer, block):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shards_module._TarWriter, "_store", disk_full)
    with django_capture_on_commit_callbacks(execute=False):
        api_client.post("/api/v1/shard-exports/", {}, format="json")
    failed = ShardExport.objects.get()
    with pytest.raises(OSError, match="No space left"):
        shard_export_build(failed.pk)
    failed.refresh_from_db()
    assert (failed.state, failed.shards) == ("queued", [])
    assert not ProvenanceEvent.objects.filter(kind=EventKind.DOWNLOAD_SHARDED).exists()

    monkeypatch.setattr(shards_module._TarWriter, "_store", store)
    shard_export_build(failed.pk)
    body = api_client.get(f"/api/v1/shard-exports/{failed.pk}/").json()
    assert (body["state"], body["assets"]) == ("done", 2)
    assert (
        hashlib.sha256(fetch(api_client, body["shards"][0]["url"])).hexdigest()
        == (body["shards"][0]["sha256"])
    )


def test_files_are_read_whole_whatever_size_is_recorded_and_a_replaced_one_fails_the_build(
    api_client, buyer, django_capture_on_commit_callbacks
):
    """A shard reads each stored file in one go of its recorded size: a size recorded wrong
    or not at all still gives the whole file, and a file replaced since it was stored is
    refused by its SHA-256, naming the asset (tests/marketplace/test_export_failures.py)."""
    unknown, smaller, larger, replaced = (hashed_asset() for _ in range(4))
    Asset.objects.filter(pk=unknown.pk).update(byte_size=None)
    Asset.objects.filter(pk=smaller.pk).update(byte_size=10)
    Asset.objects.filter(pk=larger.pk).update(byte_size=smaller.byte_size * 2)
    sign_in(api_client, buyer)
    download(api_client, [a.pk for a in (unknown, smaller, larger, replaced)])

    body = export(api_client, django_capture_on_commit_callbacks)
    assert (body["state"], body["assets"]) == ("done", 4)
    with tarfile.open(fileobj=io.BytesIO(fetch(api_client, body["shards"][0]["url"]))) as tar:
        for asset in (unknown, smaller, larger, replaced):
            member = tar.extractfile(f"asset-{asset.pk}.jpg").read()
            assert member == stored_bytes(asset)

    with default_storage.open(replaced.original_key, "wb") as stored:
        stored.write(b"not the stored image")
    with django_capture_on_commit_callbacks(execute=False):
        created = api_client.post("/api/v1/shard-exports/", {}, format="json").json()
    shard_export_build(created["id"])
    failed = api_client.get(f"/api/v1/shard-exports/{created['id']}/").json()
    assert failed["state"] == "failed"
    assert failed["error"].startswith(f"Asset {replaced.pk} cannot be delivered right now")


def test_a_takedown_after_the_export_withholds_the_shard_holding_it(
    api_client, buyer, settings, django_capture_on_commit_callbacks
):
    settings.SHARD_MAX_BYTES = 10240
    assets = [hashed_asset() for _ in range(4)]
    sign_in(api_client, buyer)
    download(api_client, [a.pk for a in assets])
    body = export(api_client, django_capture_on_commit_callbacks)
    Asset.objects.filter(pk=assets[3].pk).update(status=AssetStatus.TAKEN_DOWN)
    again = api_client.get(f"/api/v1/shard-exports/{body['id']}/").json()
    assert [s["removed"] for s in again["shards"]] == [[], [assets[3].pk]]  # 3 + 1
    assert again["shards"][0]["url"] and again["shards"][1]["url"] is None


def test_withheld_shards_are_found_in_one_query_however_many_samples(
    api_client, buyer, settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """Exactly the shards holding an asset taken down are withheld, each naming the assets;
    finding them reads the taken-down samples only, in one query."""
    settings.SHARD_MAX_BYTES = 10240  # three small images a shard
    assets = [hashed_asset() for _ in range(10)]
    sign_in(api_client, buyer)
    download(api_client, [a.pk for a in assets])
    built = ShardExport.objects.get(pk=export(api_client, django_capture_on_commit_callbacks)["id"])
    held = _samples(built)
    last = held[-1][0]
    assert last >= 2  # a shard between the first and the last
    # Two assets of the first shard and the last asset (in the last shard) taken down.
    gone = [held[0][1], held[1][1], held[-1][1]]
    Asset.objects.filter(pk__in=gone).update(status=AssetStatus.TAKEN_DOWN)

    with django_assert_num_queries(1):
        links, index = shards_module.shard_links(built)

    removed = [[gone[0], gone[1]], *([[]] * (last - 1)), [gone[2]]]
    assert [(link.name, link.removed) for link in links] == [
        (shards_module.shard_name(n), r) for n, r in enumerate(removed)
    ]
    assert [link.link is None for link in links] == [bool(r) for r in removed]
    assert [link.samples for link in links] == [e["sample_count"] for e in built.shards]
    assert sum(link.samples for link in links) == 10 and index is not None


def test_shard_exports_are_private_scoped_and_validated(
    api_client, buyer, make_user, django_capture_on_commit_callbacks
):
    asset = hashed_asset()
    sign_in(api_client, buyer)
    download(api_client, [asset.pk])
    mine = export(api_client, django_capture_on_commit_callbacks)
    listed = api_client.get("/api/v1/shard-exports/").json()
    assert [e["id"] for e in listed["results"]] == [mine["id"]]

    sign_in(api_client, make_user("eve", role=Role.BUYER))
    assert api_client.get(f"/api/v1/shard-exports/{mine['id']}/").status_code == 404
    assert api_client.get("/api/v1/shard-exports/").json()["results"] == []
    grant_id = asset.grants.get().pk
    refused = api_client.post("/api/v1/shard-exports/", {"grant_ids": [grant_id]}, format="json")
    assert refused.status_code == 404 and "grant_ids" in refused.json()["error"]["fields"]
    both = api_client.post("/api/v1/shard-exports/", {"grant_ids": [1], "collection": 1},
                           format="json")  # fmt: skip
    assert both.status_code == 400

    sign_in(api_client, buyer, scope=TokenScope.READ)
    scoped = api_client.post("/api/v1/shard-exports/", {}, format="json")
    assert scoped.status_code == 403 and scoped.json()["error"]["code"] == "insufficient_scope"


def test_shards_on_s3_are_private_and_offered_through_presigned_links(
    s3_storage, api_client, buyer, settings, tmp_path, django_capture_on_commit_callbacks
):
    bucket, endpoint = s3_storage
    settings.SHARD_MAX_BYTES = 10240
    assets = [hashed_asset() for _ in range(4)]
    sign_in(api_client, buyer)
    download(api_client, [a.pk for a in assets])
    body = export(api_client, django_capture_on_commit_callbacks)
    assert body["state"] == "done" and len(body["shards"]) == 2
    keys = {o["Key"] for o in boto3.client("s3", endpoint_url=endpoint)
            .list_objects_v2(Bucket=bucket, Prefix="shards/")["Contents"]}  # fmt: skip
    assert keys == {f"shards/{buyer.pk}/{body['id']}/{name}"
                    for name in ("shard-000000.tar", "shard-000001.tar", "index.json")}  # fmt: skip
    paths = []
    for shard in body["shards"]:
        assert (
            shard["url"].startswith(f"{endpoint}/{bucket}/") and "X-Amz-Signature=" in shard["url"]
        )
        assert httpx.get(shard["url"].split("?")[0], timeout=10).status_code == 403
        data = httpx.get(shard["url"], timeout=10).content
        assert hashlib.sha256(data).hexdigest() == shard["sha256"]
        (tmp_path / shard["name"]).write_bytes(data)
        paths.append(str(tmp_path / shard["name"]))
    index = httpx.get(body["index_url"], timeout=10).json()
    assert [s["sha256"] for s in index["shards"]] == [s["sha256"] for s in body["shards"]]
    samples = list(wds.WebDataset(paths, shardshuffle=False))
    assert [s["jpg"] for s in samples] == [stored_bytes(a) for a in assets]


@pytest.fixture
def subprocess_env(subprocess_env, tmp_path):
    """The worker keeps its files where this test's storage does."""
    return {**subprocess_env, "MEDIA_ROOT": str(tmp_path / "media")}


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_builds_the_shards(
    worker, api_client, buyer, tmp_path, django_capture_on_commit_callbacks
):
    client, queue = worker
    assets = [hashed_asset() for _ in range(3)]
    sign_in(api_client, buyer)
    download(api_client, [a.pk for a in assets])
    with django_capture_on_commit_callbacks(execute=False):  # queued below, to the worker
        created = api_client.post("/api/v1/shard-exports/", {}, format="json").json()
    result = client.send_task("marketplace.build_shards", args=[created["id"]], queue=queue)
    assert result.get(timeout=60) == 3
    body = api_client.get(f"/api/v1/shard-exports/{created['id']}/").json()
    assert body["state"] == "done" and body["assets"] == 3
    paths = save_shards(api_client, body, tmp_path)
    assert [s["__key__"] for s in wds.WebDataset(paths, shardshuffle=False)] == [
        f"asset-{a.pk}" for a in assets
    ]
