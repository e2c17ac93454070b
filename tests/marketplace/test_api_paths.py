"""Paths under /api/: with or without the trailing slash, and every error as the one JSON
body, whether DEBUG is on (the demo) or off (production)."""

import io

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from catalog.models import AssetStatus
from marketplace.api.accounts import MeView
from marketplace.models import Collection, Role
from tests.marketplace.factories import stored_asset
from tests.marketplace.test_errors import assert_error_body

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["debug", "no-debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def buyer_client(make_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_user("path-buyer", role=Role.BUYER))
    return client


@pytest.mark.parametrize(
    "path",
    ["/api/v1/works/abc/", "/api/v1/assets/99999999999999999999/", "/api/v1/", "/api/v1/nope"],
)
def test_unknown_api_paths_are_json_404s(api_client, debug, path):
    response = api_client.get(path)
    assert response["Content-Type"] == "application/json"
    error = assert_error_body(response, 404, "not_found")
    assert path in error["message"]


def test_an_id_out_of_range_in_a_path_says_so(api_client, debug):
    response = api_client.get("/api/v1/assets/99999999999999999999/")
    error = assert_error_body(response, 404, "not_found")
    assert "ids are whole numbers from 1 to 9223372036854775807" in error["message"]


def test_a_browser_gets_json_errors_too(api_client, debug):
    # A browser asks for HTML first; API errors stay the documented JSON body.
    for path in ("/api/v1/works/abc/", "/api/v1/me/"):
        response = api_client.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml")
        assert response["Content-Type"] == "application/json", path
        assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_a_crash_under_the_api_is_a_json_500(buyer_client, debug, monkeypatch):
    def crash(self, request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(MeView, "get", crash)
    buyer_client.raise_request_exception = False
    response = buyer_client.get("/api/v1/me/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()["error"]
    assert body["code"] == "server_error"
    assert "a bug" not in body["message"]


def test_pages_outside_the_api_keep_html_404s(client, debug):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_post_without_the_trailing_slash_reaches_the_view(buyer_client, debug):
    response = buyer_client.post("/api/v1/collections", {"name": "Harbours"}, format="json")
    assert response.status_code == 201, response.content
    assert Collection.objects.filter(name="Harbours").exists()


def test_a_method_the_view_lacks_is_a_json_405_without_the_slash(buyer_client, debug):
    response = buyer_client.post("/api/v1/me", {}, format="json")
    assert_error_body(response, 405, "method_not_allowed")
    assert response["Allow"]


@pytest.mark.parametrize("method", ["get", "put", "patch"])
def test_every_method_is_answered_without_the_slash(buyer_client, debug, method):
    response = getattr(buyer_client, method)(
        "/api/v1/me/thresholds", {"max_nsfw": 0.3}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["max_nsfw"] == (None if method == "get" else 0.3)


def test_a_path_with_an_id_works_without_the_slash(api_client, debug):
    asset = stored_asset()
    response = api_client.get(f"/api/v1/assets/{asset.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == asset.pk


def test_the_schema_documents_the_slashed_paths_only():
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    paths = set(yaml.safe_load(out.getvalue())["paths"])
    assert "/api/v1/me/" in paths
    assert not [p for p in paths if p.startswith("/api/") and not p.endswith("/")]


def test_a_taken_down_asset_is_missing_in_the_same_words(api_client, debug):
    gone = stored_asset(status=AssetStatus.TAKEN_DOWN)
    never = gone.pk + 1000
    for suffix in ("", "provenance/"):
        taken_down = api_client.get(f"/api/v1/assets/{gone.pk}/{suffix}")
        missing = api_client.get(f"/api/v1/assets/{never}/{suffix}")
        assert taken_down.status_code == missing.status_code == 404
        assert taken_down.json() == missing.json()
        assert taken_down.json()["error"]["message"] == "No published asset has this id."


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5"])
def test_a_page_that_is_no_page_number_is_a_400_naming_page(buyer_client, page):
    response = buyer_client.get("/api/v1/collections/", {"page": page})
    error = assert_error_body(response, 400, "invalid")
    assert list(error["fields"]) == ["page"]


def test_a_page_past_the_last_is_a_404(buyer_client):
    assert_error_body(buyer_client.get("/api/v1/collections/", {"page": "7"}), 404, "not_found")
    huge = buyer_client.get("/api/v1/collections/", {"page": "9" * 5000})
    assert_error_body(huge, 404, "not_found")
