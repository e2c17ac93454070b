"""Browsing published assets: only published ones, keyset pages, clear 400s on bad paging."""

import io

import pytest
import yaml
from django.core.management import call_command

from catalog.models import Asset, AssetStatus, License

pytestmark = pytest.mark.django_db

ASSETS = "/api/v1/assets/"


def make_assets(count: int, status=AssetStatus.PUBLISHED, prefix="r") -> list[Asset]:
    return [
        Asset.objects.create(
            source="cleveland_museum",
            source_record_id=f"{prefix}{i}",
            title=f"Work {i}",
            original_url=f"https://images.example.org/{prefix}{i}.jpg",
            license=License.CC0,
            status=status,
        )
        for i in range(count)
    ]


def test_list_shows_only_published_newest_first(api_client):
    published = make_assets(3)
    for status in set(AssetStatus) - {AssetStatus.PUBLISHED}:
        make_assets(1, status=status, prefix=status.value)
    response = api_client.get(ASSETS)
    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["results"]]
    assert ids == [asset.id for asset in reversed(published)]


@pytest.mark.parametrize("status", sorted(set(AssetStatus) - {AssetStatus.PUBLISHED}))
def test_unpublished_asset_detail_is_404(api_client, status):
    (asset,) = make_assets(1, status=status)
    response = api_client.get(f"{ASSETS}{asset.id}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_detail_of_published_asset(api_client):
    (asset,) = make_assets(1)
    body = api_client.get(f"{ASSETS}{asset.id}/").json()
    assert body["title"] == "Work 0"
    assert body["license"] == "cc0-1.0"


def test_cursor_pages_walk_everything_once_despite_new_inserts(api_client):
    make_assets(25)
    seen = []
    url = f"{ASSETS}?page_size=10"
    while url:
        body = api_client.get(url).json()
        seen.extend(item["id"] for item in body["results"])
        if len(seen) == 10:
            make_assets(5, prefix="late")  # newer rows must not shift later pages
        url = body["next"]
    assert len(seen) == 25 == len(set(seen))


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "501", "1e3"])
def test_absurd_page_sizes_are_400_naming_the_parameter(api_client, page_size):
    response = api_client.get(ASSETS, {"page_size": page_size})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["page_size"]


def test_malformed_cursor_is_400(api_client):
    response = api_client.get(ASSETS, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["cursor"]


def test_pages_have_next_and_previous_like_every_list(api_client):
    make_assets(3)
    first = api_client.get(f"{ASSETS}?page_size=2").json()
    assert first["next"] and first["previous"] is None
    second = api_client.get(first["next"]).json()
    assert second["next"] is None and second["previous"] is None  # forward-only cursors
    assert len(second["results"]) == 1


def test_the_schema_documents_previous_on_asset_pages():
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    page = yaml.safe_load(out.getvalue())["components"]["schemas"]["AssetPage"]
    assert {"next", "previous", "results"} <= set(page["required"])
    assert "forward only" in page["properties"]["previous"]["description"]
