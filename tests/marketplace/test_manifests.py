"""Manifests: the PD12M layout plus grant columns, JSON Lines or Parquet, built by a task."""

import hashlib
import io
import json

import pyarrow.parquet as pq
import pytest
from django.core.files.storage import default_storage

from catalog.models import Asset, AssetStatus
from marketplace.models import Role
from tests.billing.conftest import fund
from tests.marketplace.delivery_helpers import hashed_asset, hashed_work
from tests.marketplace.factories import opt_in_work, stored_asset
from tests.marketplace.test_downloads import client_for, download

pytestmark = pytest.mark.django_db

PD12M = ["id", "url", "caption", "width", "height", "mime_type", "hash", "license", "source"]


@pytest.fixture
def buyer(make_user):
    return make_user("mia", role=Role.BUYER)


def export(client, django_capture_on_commit_callbacks, **body):
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/v1/manifests/", body, format="json")
    assert created.status_code == 202, created.json()
    return client.get(f"/api/v1/manifests/{created.json()['id']}/").json()


def fetch(api_client, url) -> bytes:
    return b"".join(api_client.get(url).streaming_content)


def test_a_jsonl_manifest_of_a_collection_lists_only_granted_live_assets(
    api_client, buyer, make_user, django_capture_on_commit_callbacks
):
    artist = make_user("arto", role=Role.RIGHTS_HOLDER)
    work = opt_in_work(artist, price_micros=20_000)
    base, not_granted, removed = stored_asset(description="A pear."), stored_asset(), stored_asset()
    fund(buyer, 100_000)
    client = client_for(api_client, buyer)
    download(client, [work.asset_id, base.pk, removed.pk])
    collection = client.post("/api/v1/collections/", {"name": "fruit"}, format="json").json()
    client.post(f"/api/v1/collections/{collection['id']}/items/",
                {"asset_ids": [work.asset_id, base.pk, not_granted.pk, removed.pk]},
                format="json")  # fmt: skip
    Asset.objects.filter(pk=removed.pk).update(status=AssetStatus.TAKEN_DOWN)

    manifest = export(client, django_capture_on_commit_callbacks,
                      collection=collection["id"], format="jsonl")  # fmt: skip
    assert (manifest["state"], manifest["rows"], manifest["skipped"]) == ("done", 2, 2)
    rows = [json.loads(line) for line in fetch(api_client, manifest["url"]).splitlines()]
    assert [r["id"] for r in rows] == [work.asset_id, base.pk]
    assert list(rows[0]) == [*PD12M, "grant_id", "price_paid_usd", "terms_version", "use", "sha256"]
    assert [r["use"] for r in rows] == ["ai_training", "ai_training"]  # as declared
    assert rows[0]["price_paid_usd"] == "0.021000" and rows[0]["license"] == "opt-in"
    assert rows[1]["caption"] == f"{base.title}. A pear." and rows[1]["terms_version"] == ""
    with default_storage.open(base.original_key) as original:
        assert fetch(api_client, rows[1]["url"]) == original.read()


def test_a_parquet_manifest_of_all_grants(api_client, buyer, django_capture_on_commit_callbacks):
    assets = [stored_asset() for _ in range(3)]
    client = client_for(api_client, buyer)
    download(client, [a.pk for a in assets])
    manifest = export(client, django_capture_on_commit_callbacks, format="parquet",
                      link_seconds=3600)  # fmt: skip
    table = pq.read_table(io.BytesIO(fetch(api_client, manifest["url"])))
    assert table.column_names[:9] == PD12M
    assert table.column("id").to_pylist() == [a.pk for a in assets]
    assert table.column("hash").to_pylist() == [a.sha256 for a in assets]


def test_manifests_are_private_and_validate_their_input(
    api_client, buyer, make_user, django_capture_on_commit_callbacks
):
    client = client_for(api_client, buyer)
    manifest = export(client, django_capture_on_commit_callbacks, format="jsonl")
    other = client_for(api_client, make_user("eve", role=Role.BUYER))
    assert other.get(f"/api/v1/manifests/{manifest['id']}/").status_code == 404
    bad = other.post("/api/v1/manifests/", {"grant_ids": [999999]}, format="json")
    assert bad.status_code == 404 and "grant_ids" in bad.json()["error"]["fields"]
    short = other.post("/api/v1/manifests/", {"link_seconds": 5}, format="json")
    assert short.status_code == 400 and "link_seconds" in short.json()["error"]["fields"]
    assert other.post("/api/v1/manifests/", {"format": "csv"}, format="json").status_code == 400


def test_manifests_load_in_datasets_with_the_same_types_in_every_export(
    api_client, buyer, make_user, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from datasets import load_dataset

    work = hashed_work(make_user("arto", role=Role.RIGHTS_HOLDER), price_micros=20_000)
    first, second = hashed_asset(), hashed_asset()
    fund(buyer, 100_000)
    client = client_for(api_client, buyer)
    download(client, [work.asset_id, first.pk])
    grants = {g["asset"]: g["id"] for g in client.get("/api/v1/downloads/").json()["results"]}
    download(client, [second.pk])
    second_grant = second.grants.get().pk
    features, rows = [], {}
    for fmt in ("jsonl", "parquet"):
        for name, body in (("mixed", {"grant_ids": list(grants.values())}),
                           ("base", {"grant_ids": [second_grant]})):  # fmt: skip
            manifest = export(client, django_capture_on_commit_callbacks, format=fmt, **body)
            path = tmp_path / f"{name}.{fmt}"
            path.write_bytes(fetch(api_client, manifest["url"]))
            loaded = load_dataset("json" if fmt == "jsonl" else "parquet", data_files=str(path),
                                  split="train", cache_dir=str(tmp_path / "hf"))  # fmt: skip
            features.append(loaded.features)
            rows[(fmt, name)] = loaded.to_list()
    assert all(f == features[0] for f in features), features
    assert features[0]["id"].dtype == "int64" and features[0]["url"].dtype == "string"
    assert list(features[0]) == [
        *PD12M,
        "grant_id",
        "price_paid_usd",
        "terms_version",
        "use",
        "sha256",
    ]
    # What img2dataset reads (url_col, caption_col), and what checks each file.
    for row in rows[("parquet", "mixed")] + rows[("jsonl", "base")]:
        assert row["url"].startswith("http://testserver/api/v1/files/")
        assert row["caption"]
        data = fetch(api_client, row["url"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"] == row["hash"]


def test_renewing_a_manifest_signs_its_links_again_and_keeps_its_rows(
    api_client, buyer, make_user, django_capture_on_commit_callbacks
):
    assets = [hashed_asset() for _ in range(3)]
    client = client_for(api_client, buyer)
    download(client, [a.pk for a in assets])
    manifest = export(client, django_capture_on_commit_callbacks, format="parquet",
                      link_seconds=60)  # fmt: skip
    before = pq.read_table(io.BytesIO(fetch(api_client, manifest["url"]))).to_pylist()
    Asset.objects.filter(pk=assets[2].pk).update(status=AssetStatus.TAKEN_DOWN)

    renewed = client.post(f"/api/v1/manifests/{manifest['id']}/renew/",
                          {"link_seconds": 7200}, format="json")  # fmt: skip
    assert renewed.status_code == 200, renewed.json()
    body = renewed.json()
    assert (body["rows"], body["skipped"], body["link_seconds"]) == (2, 1, 7200)
    assert body["links_expire_at"] > manifest["links_expire_at"] and body["renewed_at"]
    after = pq.read_table(io.BytesIO(fetch(api_client, body["url"]))).to_pylist()
    assert [{**r, "url": ""} for r in after] == [{**r, "url": ""} for r in before[:2]]
    assert all(a["url"] != b["url"] for a, b in zip(after, before, strict=False))
    for row, asset in zip(after, assets, strict=False):
        assert hashlib.sha256(fetch(api_client, row["url"])).hexdigest() == asset.sha256

    with django_capture_on_commit_callbacks(execute=False):
        queued = client.post("/api/v1/manifests/", {"format": "jsonl"}, format="json").json()
    not_ready = client.post(f"/api/v1/manifests/{queued['id']}/renew/", {}, format="json")
    assert not_ready.status_code == 409 and not_ready.json()["error"]["code"] == "not_ready"
    too_long = client.post(f"/api/v1/manifests/{manifest['id']}/renew/",
                           {"link_seconds": 10**9}, format="json")  # fmt: skip
    assert too_long.status_code == 400
    other = client_for(api_client, make_user("eve", role=Role.BUYER))
    assert other.post(f"/api/v1/manifests/{manifest['id']}/renew/", {}).status_code == 404
