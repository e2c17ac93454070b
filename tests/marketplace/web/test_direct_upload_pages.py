"""Large files from the upload page go straight to S3 (the moto server on loopback): the
page asks for a presigned form, posts the file to the bucket, then confirms it."""

import json

import httpx
import pytest

from catalog.models import Asset
from marketplace.models import Work
from tests.catalog.images import jpeg
from tests.marketplace.works_helpers import bucket_keys, use_s3

pytestmark = pytest.mark.django_db


@pytest.fixture
def s3(settings, s3_endpoint, request):
    bucket = f"web-{request.node.name[:40].replace('_', '-').lower()}"
    use_s3(settings, s3_endpoint, bucket)
    return s3_endpoint, bucket


def _start(client, data: bytes, name="large.jpg", content_type="image/jpeg"):
    body = {"filename": name, "size": len(data), "content_type": content_type}
    return client.post("/works/upload/direct/", json.dumps(body), content_type="application/json")


def test_the_upload_page_offers_direct_upload_only_with_s3(artist_client, settings, s3):
    page = artist_client.get("/works/upload/").content.decode()
    assert f'data-direct-max-bytes="{settings.DIRECT_UPLOAD_MAX_BYTES}"' in page
    assert "go straight to storage one by one" in page


def test_a_large_file_goes_to_s3_and_is_confirmed_into_a_work(
    artist_client, rights_holder, s3, django_capture_on_commit_callbacks
):
    endpoint, bucket = s3
    data = jpeg(60, size=(1200, 900))
    started = _start(artist_client, data)
    assert started.status_code == 201, started.content
    form = started.json()
    files = {"file": ("large.jpg", data, form["fields"]["Content-Type"])}
    posted = httpx.post(form["url"], data=form["fields"], files=files, timeout=30)
    assert posted.status_code in (200, 201, 204)
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = artist_client.post(
            form["confirm"],
            json.dumps({"title": "Big scan", "tags": "scan, paper", "creation_date": "1921"}),
            content_type="application/json",
        )
    assert confirmed.status_code == 201, confirmed.content
    work = Work.objects.get(owner=rights_holder)
    asset = Asset.objects.get(pk=work.asset_id)
    assert (asset.title, asset.tags, asset.year) == ("Big scan", ["scan", "paper"], 1921)
    assert confirmed.json()["works"][0]["url"] == f"/works/{work.pk}/"
    assert not [key for key in bucket_keys(endpoint, bucket) if key.startswith("incoming/")]


def test_direct_upload_refusals_are_the_apis(artist_client, s3, settings):
    wrong_type = _start(artist_client, b"x" * 10, name="a.gif", content_type="image/gif")
    assert wrong_type.status_code == 400
    assert wrong_type.json()["error"]["code"] == "unsupported_type"
    too_big = artist_client.post(
        "/works/upload/direct/",
        json.dumps({"filename": "a.jpg", "size": settings.DIRECT_UPLOAD_MAX_BYTES + 1,
                    "content_type": "image/jpeg"}),
        content_type="application/json",
    )  # fmt: skip
    assert too_big.status_code == 413
    garbage = artist_client.post("/works/upload/direct/", "{", content_type="application/json")
    assert garbage.status_code == 400
    assert garbage.json()["error"]["message"] == "Send filename, size and content_type."


def test_without_s3_direct_upload_says_to_use_the_page(artist_client):
    refused = _start(artist_client, b"x" * 10)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "direct_upload_unavailable"
