"""Searching published assets: text, filters, thresholds, keyset pages, facets, refusals."""

from datetime import timedelta

import pytest
from django.db import connection

from catalog.consent.vocabulary import USES
from catalog.models import Asset, AssetStatus
from catalog.search_documents import parse_year, search_documents_refresh
from provenance.services import Decision, decisions_record

pytestmark = pytest.mark.django_db

ASSETS = "/api/v1/assets/"
_counter = iter(range(10**6))


def make(title="Untitled", *, status=AssetStatus.PUBLISHED, **fields) -> Asset:
    n = next(_counter)
    fields.setdefault("source", "cleveland_museum")
    fields.setdefault("license", "cc0-1.0")
    asset = Asset.objects.create(
        source_record_id=str(n), title=title, status=status,
        original_url=f"https://images.example.org/{n}.jpg", **fields,
    )  # fmt: skip
    search_documents_refresh([asset.pk])
    return asset


def search(api_client, **params):
    response = api_client.get(ASSETS, params)
    assert response.status_code == 200, response.json()
    return response.json()


def titles(body) -> list[str]:
    return [item["title"] for item in body["results"]]


def test_text_search_looks_at_title_creator_tags_and_description(api_client):
    make("Harbor at dawn")
    make("Portrait", creator="Winslow Harbor")
    make("Boats", tags=["harbor", "ships"])
    make("Still life", description="Painted in a harbor town.")
    make("Mountains")
    body = search(api_client, q="harbor")
    assert set(titles(body)) == {"Harbor at dawn", "Portrait", "Boats", "Still life"}
    assert titles(body)[0] == "Harbor at dawn"  # a title match ranks first
    assert titles(body)[-1] == "Still life"  # a description match ranks last


def test_words_are_stemmed_and_phrases_and_exclusions_work(api_client):
    make("Sailing boats in the harbor")
    make("A boat race")
    assert set(titles(search(api_client, q="boat"))) == {"Sailing boats in the harbor",
                                                         "A boat race"}  # fmt: skip
    assert titles(search(api_client, q='"boat race"')) == ["A boat race"]
    assert titles(search(api_client, q="boat -race")) == ["Sailing boats in the harbor"]


def test_only_published_assets_are_found(api_client):
    make("Harbor published")
    for status in set(AssetStatus) - {AssetStatus.PUBLISHED}:
        make(f"Harbor {status}", status=status)
    assert titles(search(api_client, q="harbor")) == ["Harbor published"]
    assert titles(search(api_client)) == ["Harbor published"]


def test_sql_looking_text_is_just_text(api_client):
    make("Robert'); DROP TABLE catalog_asset;--")
    body = search(api_client, q="'); DROP TABLE catalog_asset;--")
    assert len(body["results"]) == 1
    assert Asset.objects.count() == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"license": "pdm-1.0"}, {"pdm"}),
        ({"license": "pdm-1.0,opt-in"}, {"pdm", "paid"}),
        ({"source": "europeana"}, {"europe"}),
        ({"creator": "JANE doe"}, {"jane"}),
        ({"year_from": 1800, "year_to": 1850}, {"old"}),
        ({"min_width": 3000}, {"wide"}),
        ({"min_height": 2000}, {"wide"}),
        ({"min_aspect": 1.4}, {"wide"}),
        ({"max_aspect": 0.9}, {"tall"}),
        ({"mime_type": "image/png"}, {"png"}),
        ({"free_only": "true", "license": "opt-in"}, set()),
        ({"min_price": "0.01"}, {"paid"}),
        ({"max_price": "0.004", "license": "opt-in"}, set()),
        ({"max_price": "0.05", "license": "opt-in"}, {"paid"}),
    ],
)
def test_filters(api_client, params, expected):
    make("plain")
    make("pdm", license="pdm-1.0")
    make("paid", license="opt-in", source="opt_in", price_micros=20_000)
    make("europe", source="europeana")
    make("jane", creator="Jane Doe")
    make("old", year=1820)
    make("wide", width=4000, height=2500)
    make("tall", width=800, height=1200)
    make("png", mime_type="image/png")
    found = set(titles(search(api_client, **params, page_size=50)))
    assert found == expected


def test_added_date_filters(api_client):
    recent = make("recent")
    older = make("older")
    Asset.objects.filter(pk=older.pk).update(created_at=recent.created_at - timedelta(days=10))
    day = recent.created_at.date()
    assert titles(search(api_client, added_after=day.isoformat())) == ["recent"]
    assert titles(search(api_client, added_before=day.isoformat())) == ["older"]


def test_classifier_thresholds_are_the_buyers_own(api_client):
    make("safe", nsfw_score=0.01, face_count=0, has_pii=False)
    make("racy", nsfw_score=0.7, face_count=0, has_pii=False)
    make("crowd", nsfw_score=0.02, face_count=12, has_pii=False)
    make("email", nsfw_score=0.01, face_count=0, has_pii=True)
    make("unscored")
    assert set(titles(search(api_client, max_nsfw=0.05))) == {"safe", "crowd", "email"}
    assert set(titles(search(api_client, max_faces=0))) == {"safe", "racy", "email"}
    assert set(titles(search(api_client, exclude_pii="true"))) == {"safe", "racy", "crowd"}
    assert titles(search(api_client, max_nsfw=0.05, max_faces=0, exclude_pii="true")) == ["safe"]
    assert len(search(api_client, exclude_pii="false")["results"]) == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"max_nsfw": "1.5"}, "max_nsfw"),
        ({"max_nsfw": "lots"}, "max_nsfw"),
        ({"max_faces": "-1"}, "max_faces"),
        ({"license": "cc-by"}, "license"),
        ({"mime_type": "image/svg+xml"}, "mime_type"),
        ({"page_size": "501"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"cursor": "%%%"}, "cursor"),
        ({"ordering": "random"}, "ordering"),
        ({"ordering": "relevance"}, "ordering"),
        ({"year_from": 1900, "year_to": 1800}, "year_from"),
        ({"min_price": "-1"}, "min_price"),
        ({"min_price": "0.0000001"}, "min_price"),
        ({"q": "x" * 201}, "q"),
        ({"added_after": "yesterday"}, "added_after"),
        ({"source": "Robert'); DROP"}, "source"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(api_client, params, field):
    response = api_client.get(ASSETS, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"], error
    assert error["message"]


def walk(api_client, url, *, after_page=None):
    """The ids of every page of a search, in order; `after_page(n)` runs after page n."""
    seen, pages = [], 0
    while url:
        body = api_client.get(url).json()
        seen.extend(item["id"] for item in body["results"])
        pages += 1
        assert pages <= 20, "the cursor does not advance"
        if after_page:
            after_page(pages)
        url = body["next"]
    return seen


def publish_on_second_page(title, description):
    def after_page(n):
        if n == 2:
            make(title, description=description)

    return after_page


def test_pages_walk_every_match_once_while_assets_are_added(api_client):
    for i in range(23):
        make(f"Harbor view {i}", description="harbor " * (i % 5))
    seen = walk(
        api_client, ASSETS + "?q=harbor&page_size=5",
        after_page=publish_on_second_page("Harbor view new", "harbor " * 6),
    )  # fmt: skip
    assert len(seen) == len(set(seen)) >= 23


def test_relevance_ranks_the_newest_matches_then_lists_the_older_ones(api_client, settings):
    settings.SEARCH_RANK_WINDOW = 4
    # Older matches rank highest (title matches); the window holds the four newest.
    older = [make(f"Harbor {i}") for i in range(3)]
    newer = [
        make("Still life", description="harbor"),
        make("Harbor at dusk"),
        make("Boats", description="harbor"),
        make("Harbor at dawn"),
    ]
    make("Mountains")
    seen = walk(api_client, ASSETS + "?q=harbor&page_size=3")
    # The window ranked by relevance (title matches first, newest first among equals),
    # then the matches older than the window, newest first: every match once.
    assert seen == [newer[3].pk, newer[1].pk, newer[2].pk, newer[0].pk,
                    older[2].pk, older[1].pk, older[0].pk]  # fmt: skip


def test_the_ranked_window_holds_across_pages_while_assets_are_published(api_client, settings):
    settings.SEARCH_RANK_WINDOW = 5
    made = [make(f"Harbor view {i}", description="harbor " * (i % 4)) for i in range(12)]
    seen = walk(
        api_client, ASSETS + "?q=harbor&page_size=2",
        after_page=publish_on_second_page("Harbor view late", "harbor " * 3),
    )  # fmt: skip
    assert len(seen) == len(set(seen))
    assert set(seen) >= {a.pk for a in made}
    assert seen[:5] != sorted(seen[:5], reverse=True), "the window is ranked, not by id"


def test_a_match_taken_down_while_paging_is_not_shown_again(api_client, settings):
    settings.SEARCH_RANK_WINDOW = 3
    made = [make(f"Harbor {i}") for i in range(6)]
    first = search(api_client, q="harbor", page_size=2)
    Asset.objects.filter(pk=made[0].pk).update(status=AssetStatus.TAKEN_DOWN)
    rest = walk(api_client, first["next"])
    shown = [item["id"] for item in first["results"]] + rest
    assert sorted(shown) == sorted(a.pk for a in made[1:])


@pytest.mark.parametrize(
    "position",
    [
        {"o": "relevance", "id": 5, "f": "x", "r": 0.1},
        {"o": "relevance", "id": 5, "older": True},
        {"o": "relevance", "id": 5, "f": 3},
    ],
)
def test_relevance_cursors_that_do_not_hold_together_are_400(api_client, position):
    import base64
    import json

    from catalog.search import query_key

    make("Harbor")
    key = query_key({"q": "harbor", "ordering": "relevance"})
    raw = json.dumps({**position, "k": key}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = api_client.get(ASSETS, {"q": "harbor", "cursor": cursor})
    assert response.status_code == 400
    assert "not valid" in response.json()["error"]["fields"]["cursor"][0]


@pytest.mark.parametrize("ordering", ["newest", "id"])
def test_orderings_by_id(api_client, ordering):
    made = [make(f"n{i}") for i in range(7)]
    ids = []
    url = f"{ASSETS}?ordering={ordering}&page_size=3"
    while url:
        body = api_client.get(url).json()
        ids.extend(item["id"] for item in body["results"])
        url = body["next"]
    expected = sorted(a.pk for a in made)
    assert ids == (expected[::-1] if ordering == "newest" else expected)


def test_a_cursor_only_works_for_its_own_query(api_client):
    for i in range(4):
        make(f"Harbor {i}")
    next_url = search(api_client, q="harbor", page_size=2)["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]
    response = api_client.get(ASSETS, {"q": "boats", "page_size": 2, "cursor": cursor})
    assert response.status_code == 400
    assert "another query" in response.json()["error"]["fields"]["cursor"][0]


def test_facets_count_by_source_and_license_and_are_cached(api_client):
    make("a", source="europeana")
    make("b", source="europeana", license="pdm-1.0")
    make("c")
    first = search(api_client, facets="true")["facets"]
    assert (first["method"], first["cached"], first["total"]) == ("exact", False, 3)
    assert first["source"] == {"cleveland_museum": 1, "europeana": 2}
    assert first["license"] == {"cc0-1.0": 2, "pdm-1.0": 1}
    second = search(api_client, facets="true")["facets"]
    assert second["cached"] is True
    assert second["computed_at"] == first["computed_at"]
    narrowed = search(api_client, facets="true", source="europeana")["facets"]
    assert narrowed["total"] == 2


def test_facets_of_large_queries_are_estimated(api_client, settings):
    settings.FACET_EXACT_LIMIT = 0
    for i in range(30):
        make(f"x{i}", source="europeana" if i % 3 else "smithsonian")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_asset")
    facets = search(api_client, facets="true")["facets"]
    assert facets["method"] == "estimated"
    assert facets["total"] > 0
    assert set(facets["source"]) <= {"europeana", "smithsonian"}


def test_a_search_that_runs_too_long_is_stopped(api_client, settings, monkeypatch):
    from catalog import search as search_module

    settings.SEARCH_STATEMENT_TIMEOUT_MS = 50

    def slow_page(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(search_module, "asset_page", slow_page)
    response = api_client.get(ASSETS, {"q": "harbor"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "search_too_broad"


def test_detail_has_license_provenance_and_download_terms(api_client):
    asset = make("Harbor", license="cc0-1.0", thumbnail_key="thumbnails/ab/cd/abcd.jpg")
    decisions_record(
        decisions=[Decision(asset_id=asset.pk, source="cleveland_museum",
                            source_record_id=asset.source_record_id, decision="accepted",
                            retrieved_at=asset.created_at, license="cc0-1.0",
                            institution="Cleveland Museum of Art",
                            evidence={"share_license_status": "CC0"})],
        kinds={asset.pk: "ingest.accepted"}, actor="test",
    )  # fmt: skip
    body = api_client.get(f"{ASSETS}{asset.pk}/").json()
    assert body["license_detail"] == {
        "code": "cc0-1.0", "name": "CC0 1.0 Universal",
        "url": "https://creativecommons.org/publicdomain/zero/1.0/",
    }  # fmt: skip
    assert body["provenance"]["institution"] == "Cleveland Museum of Art"
    assert body["provenance"]["evidence"] == {"share_license_status": "CC0"}
    free = {"price_usd": "0.000000", "platform_fee_usd": "0.000000", "total_usd": "0.000000"}
    assert body["download"] == {
        "available": True, **free, "counts_against_quota": True,
        "uses": [{"use": use, **free} for use in USES],  # the base set allows every use
    }  # fmt: skip
    assert body["uses"] == dict.fromkeys(USES, "0.000000")
    assert body["thumbnail_url"] == f"http://testserver/thumbnails/{asset.pk}.jpg"


def test_an_opt_in_work_costs_its_price_plus_the_platform_fee(api_client):
    asset = make("Paid", license="opt-in", source="opt_in", price_micros=2_500)
    download = api_client.get(f"{ASSETS}{asset.pk}/").json()["download"]
    assert (download["price_usd"], download["platform_fee_usd"], download["total_usd"]) == (
        "0.002500",
        "0.001000",
        "0.003500",
    )


@pytest.mark.parametrize("pk", ["abc", "99999999999999999999999", "-1"])
def test_malformed_ids_are_404(api_client, pk):
    response = api_client.get(f"{ASSETS}{pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("text", "year"),
    [("c. 1850", 1850), ("1850-1860", 1850), ("1901-05-03", 1901), ("ca. 500 BCE", None),
     ("19th century", None), ("", None), ("Dynasty 12, 1981-1802 BC", None), ("ca. 1390.5", None),
     ("864", 864)],
)  # fmt: skip
def test_year_parsing(text, year):
    assert parse_year(text) == year
