"""Ids in request bodies and queries: anything outside our id columns' range (PostgreSQL
bigint, from 1) is a 400 naming the field, on every endpoint that takes an id; nothing is
written."""

import pytest
from rest_framework.test import APIClient

from billing.models import QuotaUsage
from marketplace.models import DownloadGrant, ManifestExport, Role
from moderation.models import Flag
from tests.marketplace.factories import opt_in_work, stored_asset

pytestmark = pytest.mark.django_db

ID_MAX = 2**63 - 1
BAD_IDS = [99999999999999999999, ID_MAX + 1, 0, -1, "abc", 1.5, True]


@pytest.fixture
def buyer(make_user):
    return make_user("id-buyer", role=Role.BUYER)


@pytest.fixture
def client(buyer) -> APIClient:
    client = APIClient()
    client.force_authenticate(buyer)
    return client


def assert_refused(response, field: str):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert error["message"].startswith(f"{field}: ")
    return error


@pytest.mark.parametrize("bad", BAD_IDS)
def test_downloads_refuse_an_impossible_asset_id(client, buyer, bad):
    response = client.post(
        "/api/v1/downloads/",
        {"asset_ids": [bad], "purpose": "research", "use": "ai_training"},
        format="json",
    )
    assert_refused(response, "asset_ids.0")
    assert not DownloadGrant.objects.exists()
    assert not QuotaUsage.objects.filter(buyer=buyer, used__gt=0).exists()


@pytest.mark.parametrize("bad", BAD_IDS)
def test_downloads_refuse_an_impossible_collection_id(client, bad):
    response = client.post(
        "/api/v1/downloads/",
        {"collection": bad, "purpose": "research", "use": "ai_training"},
        format="json",
    )
    assert_refused(response, "collection")


def test_the_largest_id_is_an_id(client):
    response = client.post(
        "/api/v1/downloads/",
        {"asset_ids": [ID_MAX], "purpose": "research", "use": "ai_training"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {str(ID_MAX): ["not_found"]}


@pytest.mark.parametrize("bad", BAD_IDS)
def test_manifests_refuse_impossible_ids(client, bad):
    assert_refused(client.post("/api/v1/manifests/", {"grant_ids": [bad]}, format="json"),
                   "grant_ids.0")  # fmt: skip
    assert_refused(client.post("/api/v1/manifests/", {"collection": bad}, format="json"),
                   "collection")  # fmt: skip
    assert not ManifestExport.objects.exists()


@pytest.mark.parametrize("method", ["post", "delete"])
@pytest.mark.parametrize("bad", BAD_IDS)
def test_collection_items_refuse_impossible_ids(client, method, bad):
    collection = client.post("/api/v1/collections/", {"name": "c"}, format="json").json()
    kept = stored_asset()
    client.post(f"/api/v1/collections/{collection['id']}/items/", {"asset_ids": [kept.pk]},
                format="json")  # fmt: skip
    response = getattr(client, method)(
        f"/api/v1/collections/{collection['id']}/items/", {"asset_ids": [kept.pk, bad]},
        format="json",
    )  # fmt: skip
    assert_refused(response, "asset_ids.1")
    items = client.get(f"/api/v1/collections/{collection['id']}/items/").json()["results"]
    assert [item["asset"] for item in items] == [kept.pk]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_flags_refuse_an_impossible_asset_id(client, bad):
    response = client.post("/api/v1/flags/", {"asset": bad, "reason": "privacy"}, format="json")
    assert_refused(response, "asset")
    assert not Flag.objects.exists()


@pytest.mark.parametrize("bad", ["99999999999999999999", "0", "-3", "x"])
def test_usage_history_refuses_an_impossible_work_id(make_user, bad):
    artist = make_user("id-artist", role=Role.RIGHTS_HOLDER)
    opt_in_work(artist)
    client = APIClient()
    client.force_authenticate(artist)
    assert_refused(client.get("/api/v1/usage/history/", {"work": bad}), "work")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/collections/{}/",
        "/api/v1/collections/{}/items/",
        "/api/v1/collections/{}/datasheet/",
        "/api/v1/manifests/{}/",
        "/api/v1/releases/{}/",
        "/api/v1/releases/{}/datasheet/",
        "/api/v1/assets/{}/",
        "/api/v1/assets/{}/provenance/",
    ],
)
@pytest.mark.parametrize("bad", ["99999999999999999999", "9223372036854775808", "0"])
def test_impossible_ids_in_paths_are_json_404s(client, path, bad):
    response = client.get(path.format(bad))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("bad", ["99999999999999999999", "0"])
def test_impossible_ids_in_write_paths_are_json_404s(client, make_user, bad):
    artist = APIClient()
    artist.force_authenticate(make_user("path-artist", role=Role.RIGHTS_HOLDER))
    for response in (
        client.post(f"/api/v1/notifications/{bad}/read/"),
        client.patch(f"/api/v1/collections/{bad}/", {"name": "x"}, format="json"),
        client.delete(f"/api/v1/collections/{bad}/items/", {"asset_ids": [1]}, format="json"),
        artist.patch(f"/api/v1/works/{bad}/", {"title": "x"}, format="json"),
        artist.put(
            f"/api/v1/works/{bad}/offer/",
            {"uses": {"ai_training": "1"}, "terms_version": "1"},
            format="json",
        ),
        artist.post(f"/api/v1/works/{bad}/declaration/", {"statement": "mine"}),
    ):
        assert response.status_code == 404, response.content
        assert response.json()["error"]["code"] == "not_found"
