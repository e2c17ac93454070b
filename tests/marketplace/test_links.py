"""Every link a client follows is absolute: built from PUBLIC_BASE_URL when it is set, else
from the request's own address; and manifests and releases write the same columns alike."""

import io
import json

import pyarrow.parquet as pq
import pytest
from django.core.files.storage import default_storage
from PIL import Image
from rest_framework.test import APIClient

from catalog.releases import release_build, release_create
from marketplace.models import OfferFile, Role
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work, stored_asset
from tests.marketplace.works_helpers import gps_jpeg, upload

pytestmark = pytest.mark.django_db

SITE = "https://market.example.org"
REQUEST = "http://testserver"


@pytest.fixture(params=[SITE, ""], ids=["public-address", "request-address"])
def site(request, settings) -> str:
    """The address links must start with: PUBLIC_BASE_URL, or the request's without it."""
    settings.PUBLIC_BASE_URL = request.param
    settings.STRIPE_SECRET_KEY = ""  # the sandbox gateway
    return request.param or REQUEST


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def buyer(make_user):
    return make_user("linker", role=Role.BUYER)


def fetch(client, url: str) -> bytes:
    path = url.removeprefix(SITE).removeprefix(REQUEST)
    response = client.get(path)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def export(client, capture, **body) -> dict:
    with capture(execute=True):
        created = client.post("/api/v1/manifests/", body, format="json")
    assert created.status_code == 202, created.json()
    assert created.json()["url"] is None  # not built yet when answered
    return client.get(f"/api/v1/manifests/{created.json()['id']}/").json()


def test_download_links_are_absolute(site, buyer):
    body = client_of(buyer).post(
        "/api/v1/downloads/", {"asset_ids": [stored_asset().pk], "purpose": "research"},
        format="json",
    ).json()  # fmt: skip
    [item] = body["downloads"]
    assert item["url"].startswith(f"{site}/api/v1/files/")


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_manifest_links_are_absolute_inside_the_file_too(
    site, buyer, fmt, django_capture_on_commit_callbacks
):
    client = client_of(buyer)
    asset = stored_asset()
    client.post("/api/v1/downloads/", {"asset_ids": [asset.pk], "purpose": "research"},
                format="json")  # fmt: skip
    manifest = export(client, django_capture_on_commit_callbacks, format=fmt)
    assert manifest["url"].startswith(f"{site}/api/v1/files/")
    data = fetch(client, manifest["url"])
    if fmt == "jsonl":
        [row] = [json.loads(line) for line in data.decode().splitlines()]
    else:
        [row] = pq.read_table(io.BytesIO(data)).to_pylist()
    assert row["url"].startswith(f"{site}/api/v1/files/")
    assert fetch(APIClient(), row["url"]) == default_storage.open(asset.original_key).read()


def test_release_links_are_absolute(site, api_client, settings):
    asset = stored_asset()
    release = release_create(name="links", version="1")
    release_build(release.pk, actor="test", base_url=REQUEST)
    detail = api_client.get(f"/api/v1/releases/{release.pk}/").json()
    assert detail["file"]["url"].startswith(f"{site}/api/v1/files/")
    assert detail["datasheet_url"] == f"{site}/api/v1/releases/{release.pk}/datasheet/"
    [row] = pq.read_table(io.BytesIO(fetch(api_client, detail["file"]["url"]))).to_pylist()
    assert row["url"] == f"{site}/api/v1/assets/{asset.pk}/"


def test_next_and_previous_pages_are_absolute(site, buyer):
    client = client_of(buyer)
    for name in ("a", "b", "c"):
        client.post("/api/v1/collections/", {"name": name}, format="json")
    second = client.get("/api/v1/collections/?page_size=1&page=2").json()
    assert second["next"] == f"{site}/api/v1/collections/?page=3&page_size=1"
    assert second["previous"] == f"{site}/api/v1/collections/?page_size=1"
    stored_asset(), stored_asset()
    assets = client.get("/api/v1/assets/?page_size=1").json()
    assert assets["next"].startswith(f"{site}/api/v1/assets/?")


def test_sandbox_checkout_portal_and_onboarding_links_are_absolute(site, buyer, make_user):
    client = client_of(buyer)
    top_up = client.post("/api/v1/billing/top-ups/", {"amount_usd": "25.00"}, format="json")
    assert top_up.json()["checkout_url"].startswith(f"{site}/")
    checkout = client.post("/api/v1/billing/subscription/checkout/").json()["checkout_url"]
    assert checkout.startswith(f"{site}/")
    client.post(checkout.removeprefix(site))  # subscribed: now there is a portal
    assert client.post("/api/v1/billing/subscription/portal/").json()["url"].startswith(f"{site}/")
    artist = client_of(make_user("onboarder", role=Role.RIGHTS_HOLDER))
    assert artist.post("/api/v1/billing/payouts/onboarding/").json()["url"].startswith(f"{site}/")


def test_thumbnail_links_are_absolute_and_show_the_thumbnail(site, make_user, api_client):
    client = client_of(make_user("thumbs", role=Role.RIGHTS_HOLDER))
    work = upload(client, gps_jpeg()).json()["works"][0]
    # A draft's thumbnail: a signed link, the only way to it without the owner's session.
    path, _, signature = work["thumbnail_url"].removeprefix(site).partition("?s=")
    assert path.startswith("/thumbnails/") and path.endswith(".jpg") and signature
    for url in (work["thumbnail_url"], client.get(f"/api/v1/works/{work['id']}/").json()
                ["thumbnail_url"]):  # fmt: skip
        response = APIClient().get(url.removeprefix(site))
        assert response["Content-Type"] == "image/jpeg"
        assert not response["Content-Disposition"].startswith("attachment")
        with Image.open(io.BytesIO(b"".join(response.streaming_content))) as thumb:
            assert max(thumb.size) <= 384
    assert APIClient().get(path).status_code == 404  # unsigned: a draft is not public
    second = upload(client, gps_jpeg(2)).json()["works"][0]["thumbnail_url"]
    other_path = second.removeprefix(site).partition("?s=")[0]
    assert APIClient().get(f"{other_path}?s={signature}").status_code == 404  # not its own

    asset = stored_asset(thumbnail_key=stored_asset().original_key)
    listed = api_client.get(f"/api/v1/assets/{asset.pk}/").json()["thumbnail_url"]
    assert listed == f"{site}/thumbnails/{asset.pk}.jpg"
    assert fetch(APIClient(), listed) == default_storage.open(asset.thumbnail_key).read()


def test_manifests_and_releases_write_ids_and_hashes_alike(
    buyer, make_user, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_BASE_URL = SITE
    base = stored_asset()  # a base-set image, stored and hashed like an upload
    work = opt_in_work(make_user("hasher", role=Role.RIGHTS_HOLDER))
    fund(buyer, 1_000_000)
    client = client_of(buyer)
    client.post("/api/v1/downloads/", {"asset_ids": [base.pk, work.asset_id],
                                       "purpose": "research"}, format="json")  # fmt: skip
    release = release_build(release_create(name="alike", version="1").pk, actor="test")
    with default_storage.open(release.file_key, "rb") as file:
        released = pq.read_table(io.BytesIO(file.read()))
    parquet = export(client, django_capture_on_commit_callbacks, format="parquet")
    manifest = pq.read_table(io.BytesIO(fetch(client, parquet["url"])))
    jsonl = export(client, django_capture_on_commit_callbacks, format="jsonl")
    lines = [json.loads(line) for line in fetch(client, jsonl["url"]).decode().splitlines()]

    assert released.schema.field("id").type == manifest.schema.field("id").type
    assert str(released.schema.field("id").type) == "int64"
    expected = {base.pk: base.sha256, work.asset_id: work.asset.sha256}
    # A manifest's hash is of the file its link serves: an opt-in work's copy with its
    # terms written in (marketplace.served); a release names the stored original.
    served = {**expected, work.asset_id: OfferFile.objects.get(offer__work=work).sha256}
    for table, hashes in ((released, expected), (manifest, served)):
        assert dict(zip(table.column("id").to_pylist(), table.column("hash").to_pylist(),
                        strict=True)) == hashes  # fmt: skip
    assert {row["id"]: row["hash"] for row in lines} == served
    assert all(isinstance(row["id"], int) for row in lines)
