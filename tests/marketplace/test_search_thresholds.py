"""A buyer's saved default thresholds: saving them, and asset search applying them."""

import io

import pytest
import yaml
from django.core.management import call_command

from catalog.search import SCORE_FILTERS
from marketplace.models import Role, SavedThresholds
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db

THRESHOLDS = "/api/v1/me/thresholds/"
ASSETS = "/api/v1/assets/"
# Every threshold search knows, unset: the shape of GET and of `applied_thresholds`.
NONE = {score.param: None for score in SCORE_FILTERS}


@pytest.fixture
def buyer(make_user):
    return make_user("bea", role=Role.BUYER)


@pytest.fixture
def scored():
    """Four published assets: one harmless, one racy, one crowd, one with an email in it."""
    stored_asset(title="safe", nsfw_score=0.01, face_count=0, has_pii=False)
    stored_asset(title="racy", nsfw_score=0.7, face_count=0, has_pii=False)
    stored_asset(title="crowd", nsfw_score=0.02, face_count=12, has_pii=False)
    stored_asset(title="email", nsfw_score=0.01, face_count=0, has_pii=True)


def save(client, thresholds, method="put"):
    response = getattr(client, method)(THRESHOLDS, thresholds, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def search(client, **params) -> dict:
    response = client.get(ASSETS, params)
    assert response.status_code == 200, response.json()
    return response.json()


def titles(body) -> set[str]:
    return {item["title"] for item in body["results"]}


def cursor_of(body) -> str:
    return body["next"].split("cursor=")[1].split("&")[0]


# --- saving ------------------------------------------------------------------------------


def test_put_replaces_patch_merges_and_null_clears(api_client, buyer):
    api_client.force_authenticate(buyer)
    assert api_client.get(THRESHOLDS).json() == NONE

    saved = save(api_client, {"max_nsfw": 0.2, "exclude_pii": True})
    assert saved == {**NONE, "max_nsfw": 0.2, "exclude_pii": True}
    assert SavedThresholds.objects.get(user=buyer).thresholds == {
        "max_nsfw": 0.2, "exclude_pii": True,
    }  # fmt: skip

    merged = save(api_client, {"max_faces": 0}, method="patch")
    assert merged == {**NONE, "max_nsfw": 0.2, "max_faces": 0, "exclude_pii": True}

    cleared = save(api_client, {"max_nsfw": None}, method="patch")
    assert cleared == {**NONE, "max_faces": 0, "exclude_pii": True}

    replaced = save(api_client, {"max_faces": 3})
    assert replaced == {**NONE, "max_faces": 3}
    assert api_client.get(THRESHOLDS).json() == replaced
    assert SavedThresholds.objects.get(user=buyer).thresholds == {"max_faces": 3}

    assert save(api_client, {}) == NONE
    assert SavedThresholds.objects.filter(user=buyer).count() == 1


def test_values_have_the_json_types_the_schema_declares(api_client, buyer):
    api_client.force_authenticate(buyer)
    saved = save(api_client, {"max_nsfw": 0.5, "max_faces": 2, "exclude_pii": True})
    assert saved == {**NONE, "max_nsfw": 0.5, "max_faces": 2, "exclude_pii": True}
    # Text where the schema says a number or a boolean (as a query string would carry them)
    # is refused in a JSON body, each field named, and nothing changes.
    as_text = {"max_nsfw": "0.5", "max_faces": "2", "exclude_pii": "true"}
    response = api_client.put("/api/v1/me/thresholds/", as_text, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == set(as_text)
    assert api_client.get("/api/v1/me/thresholds/").json() == saved


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"max_nsfw": 1.5}, "max_nsfw"),
        ({"max_nsfw": -0.1}, "max_nsfw"),
        ({"max_nsfw": "lots"}, "max_nsfw"),
        ({"max_faces": -1}, "max_faces"),
        ({"max_faces": 2.5}, "max_faces"),
        ({"exclude_pii": "maybe"}, "exclude_pii"),
        ({"max_sfw": 0.1}, "max_sfw"),
        ({"max_nsfw": 0.1, "page_size": 10}, "page_size"),
        (["max_nsfw"], None),
    ],
)
def test_bad_thresholds_are_400_naming_the_field_and_save_nothing(
    api_client, buyer, method, body, field
):
    api_client.force_authenticate(buyer)
    save(api_client, {"max_faces": 1})
    response = getattr(api_client, method)(THRESHOLDS, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    if field:
        assert field in error["fields"], error
        assert error["message"].startswith(f"{field}: ")
    else:  # not an object: said in the message
        assert error["fields"] == {} and "JSON object" in error["message"]
    assert api_client.get(THRESHOLDS).json() == {**NONE, "max_faces": 1}


def test_unknown_and_bad_values_are_all_named_at_once(api_client, buyer):
    api_client.force_authenticate(buyer)
    response = api_client.put(THRESHOLDS, {"max_sfw": 1, "max_nsfw": 2}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"max_sfw", "max_nsfw"}
    assert "Unknown threshold" in fields["max_sfw"][0]


def test_only_signed_in_buyers_have_saved_thresholds(api_client, make_user):
    for method in ("get", "put", "patch"):
        response = getattr(api_client, method)(THRESHOLDS, {"max_nsfw": 0.1}, format="json")
        assert response.status_code == 401, method
        assert response.json()["error"]["code"] == "not_authenticated"
    api_client.force_authenticate(make_user("rhoda", role=Role.RIGHTS_HOLDER))
    for method in ("get", "put", "patch"):
        response = getattr(api_client, method)(THRESHOLDS, {"max_nsfw": 0.1}, format="json")
        assert response.status_code == 403, method
        assert response.json()["error"]["code"] == "permission_denied"
    assert not SavedThresholds.objects.exists()


# --- search --------------------------------------------------------------------------------


def test_search_applies_the_buyers_saved_thresholds(api_client, buyer, make_user, scored):
    anonymous = search(api_client)
    assert titles(anonymous) == {"safe", "racy", "crowd", "email"}
    assert anonymous["applied_thresholds"] == NONE
    assert anonymous["thresholds_from_saved"] == []

    api_client.force_authenticate(buyer)
    save(api_client, {"max_nsfw": 0.05, "exclude_pii": True})
    body = search(api_client)
    assert titles(body) == {"safe", "crowd"}
    assert body["applied_thresholds"] == {**NONE, "max_nsfw": 0.05, "exclude_pii": True}
    assert body["thresholds_from_saved"] == ["max_nsfw", "exclude_pii"]

    api_client.force_authenticate(make_user("other", role=Role.BUYER))
    assert titles(search(api_client)) == {"safe", "racy", "crowd", "email"}


def test_a_threshold_in_the_request_wins_over_the_saved_one(api_client, buyer, scored):
    api_client.force_authenticate(buyer)
    save(api_client, {"max_nsfw": 0.05, "exclude_pii": True})

    looser = search(api_client, max_nsfw="1")
    assert titles(looser) == {"safe", "racy", "crowd"}
    assert looser["applied_thresholds"] == {**NONE, "max_nsfw": 1.0, "exclude_pii": True}
    assert looser["thresholds_from_saved"] == ["exclude_pii"]

    with_pii = search(api_client, exclude_pii="false", max_faces="0")
    assert titles(with_pii) == {"safe", "email"}
    assert with_pii["applied_thresholds"] == {
        **NONE, "max_nsfw": 0.05, "max_faces": 0, "exclude_pii": False,
    }  # fmt: skip
    assert with_pii["thresholds_from_saved"] == ["max_nsfw"]


def test_use_saved_thresholds_false_turns_them_off_for_one_search(api_client, buyer, scored):
    api_client.force_authenticate(buyer)
    save(api_client, {"max_nsfw": 0.05, "exclude_pii": True})
    body = search(api_client, use_saved_thresholds="false")
    assert titles(body) == {"safe", "racy", "crowd", "email"}
    assert body["applied_thresholds"] == NONE and body["thresholds_from_saved"] == []
    only_given = search(api_client, use_saved_thresholds="false", max_faces="0")
    assert titles(only_given) == {"safe", "racy", "email"}
    assert titles(search(api_client)) == {"safe", "crowd"}  # still saved


def test_saved_values_no_longer_valid_are_left_out(api_client, buyer, scored):
    # Saved before a range narrowed or a score was retired: ignored, not a broken search.
    SavedThresholds.objects.create(
        user=buyer, thresholds={"max_nsfw": 7, "retired_score": 1, "exclude_pii": True}
    )
    api_client.force_authenticate(buyer)
    assert api_client.get(THRESHOLDS).json() == {**NONE, "exclude_pii": True}
    body = search(api_client)
    assert titles(body) == {"safe", "racy", "crowd"}
    assert body["thresholds_from_saved"] == ["exclude_pii"]


def test_a_cursor_is_refused_under_other_effective_thresholds(api_client, buyer):
    for n in range(4):
        stored_asset(title=f"calm {n}", nsfw_score=0.1 * n)
    api_client.force_authenticate(buyer)
    save(api_client, {"max_nsfw": 0.25})
    first = search(api_client, page_size=1)
    assert len(first["results"]) == 1 and first["next"]
    cursor = cursor_of(first)

    # The same effective thresholds, saved or given: the cursor goes on.
    assert len(search(api_client, page_size=1, cursor=cursor)["results"]) == 1
    same = search(api_client, page_size=1, cursor=cursor, use_saved_thresholds="false",
                  max_nsfw="0.25")  # fmt: skip
    assert len(same["results"]) == 1

    # Saved thresholds turned off, or changed since: another query.
    off = api_client.get(ASSETS, {"page_size": 1, "cursor": cursor,
                                  "use_saved_thresholds": "false"})  # fmt: skip
    save(api_client, {"max_nsfw": 0.5})
    changed = api_client.get(ASSETS, {"page_size": 1, "cursor": cursor})
    for response in (off, changed):
        assert response.status_code == 400
        assert "another query" in response.json()["error"]["fields"]["cursor"][0]


def test_cached_facets_are_not_shared_across_thresholds(api_client, buyer, scored):
    assert search(api_client, facets="true")["facets"]["total"] == 4
    api_client.force_authenticate(buyer)
    save(api_client, {"max_nsfw": 0.05, "exclude_pii": True})
    mine = search(api_client, facets="true")["facets"]
    assert (mine["total"], mine["cached"]) == (2, False)
    assert search(api_client, facets="true")["facets"]["cached"] is True
    api_client.force_authenticate(None)
    anonymous = search(api_client, facets="true")["facets"]
    assert (anonymous["total"], anonymous["cached"]) == (4, True)


def test_the_schema_documents_saved_and_applied_thresholds():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    assert {"get", "put", "patch"} <= set(schema["paths"]["/api/v1/me/thresholds/"])
    page = schema["components"]["schemas"]["AssetPage"]["properties"]
    assert {"applied_thresholds", "thresholds_from_saved"} <= set(page)
    thresholds = schema["components"]["schemas"]["Thresholds"]["properties"]
    assert set(thresholds) == set(NONE)
    params = {p["name"] for p in schema["paths"]["/api/v1/assets/"]["get"]["parameters"]}
    assert "use_saved_thresholds" in params
