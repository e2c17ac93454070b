"""Smithsonian Open Access connector: license decisions on recorded API data, one candidate
per image media item, and start/rows paging."""

import copy
from datetime import date
from urllib.parse import parse_qs

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured

from catalog.connectors.base import Fetcher, MalformedPayload
from catalog.connectors.smithsonian import API_URL, SmithsonianConnector
from tests.catalog.connectors.helpers import decisions, fixture_loader

load = fixture_loader("smithsonian")
CC0 = "cc0-1.0"


def as_page(*rows: dict, row_count: int | None = None) -> dict:
    """Wrap single rows (records) in the search response shape."""
    return {
        "status": 200,
        "responseCode": 1,
        "response": {
            "rows": list(rows),
            "rowCount": len(rows) if row_count is None else row_count,
            "message": "content found",
        },
    }


@pytest.fixture
def connector():
    return SmithsonianConnector()


@pytest.fixture
def row():
    """A real record (NMNH bird specimen, one CC0 image), to vary one field at a time."""
    return copy.deepcopy(load("actual_record_data.json"))


def media_of(row: dict) -> list[dict]:
    return row["content"]["descriptiveNonRepeating"]["online_media"]["media"]


# --- every recorded response -------------------------------------------------------------


def test_sub_provider_example(connector):
    candidates = connector.parse_page(load("sub_provider_example.json"))
    assert decisions(candidates) == ({"siris_arc_291918": CC0}, {})
    (candidate,) = candidates
    assert candidate.source == "smithsonian"
    assert candidate.original_url == "https://ids.si.edu/ids/deliveryService?id=SIA-SIA2010-2358"
    # No record_link or guid in this record: the collections search detail page.
    assert candidate.landing_url == (
        "https://collections.si.edu/search/detail/edanmdm:siris_arc_291918"
    )
    assert candidate.title == (
        "Views of the National Zoological Park in Washington, DC, showing Elephant"
    )
    assert candidate.creator == "Gruber, Martin A"  # label "Creator"; "Subject" is not one
    assert candidate.creation_date == "1919"
    assert candidate.institution == "Smithsonian Institution Archives"
    assert candidate.tags == ["Animals", "Archival materials", "Photographs"]
    assert candidate.evidence == {"usage": {"access": "CC0", "text": ""}}


def test_actual_record_data(connector):
    # A single record, not a response: wrapped in the response shape.
    candidates = connector.parse_page(as_page(load("actual_record_data.json")))
    assert decisions(candidates) == ({"nmnhvz_14800560": CC0}, {})
    (candidate,) = candidates
    assert candidate.original_url == "https://collections.nmnh.si.edu/media/?irn=15814382"
    assert candidate.landing_url == (
        "http://n2t.net/ark:/65665/34857ca78-9195-4156-849b-1ec47f7cd1ce"
    )
    assert candidate.institution == "NMNH - Vertebrate Zoology - Birds Division"
    assert candidate.creator == ""  # only a "Collector": not the maker
    assert candidate.creation_date == "22 Apr 1958"
    assert candidate.evidence == {"usage": {"access": "CC0"}}


# --- media items and license -------------------------------------------------------------


def test_one_candidate_per_image_media(connector, row):
    first = media_of(row)[0]
    media_of(row)[:] = [
        {**first, "idsId": "A", "content": "https://ids.si.edu/ids/deliveryService?id=A"},
        {
            **first,
            "idsId": "B",
            "content": "https://ids.si.edu/ids/deliveryService?id=B",
            "usage": {"access": "Usage conditions apply"},
        },
        {"type": "3d_voyager", "idsId": "C", "content": "https://3d.si.edu/x"},
    ]
    candidates = connector.parse_page(as_page(row))
    assert decisions(candidates) == (
        {"nmnhvz_14800560#A": CC0},
        {"nmnhvz_14800560#B": "license_not_accepted"},
    )
    assert candidates[1].evidence == {"usage": {"access": "Usage conditions apply"}}


@pytest.mark.parametrize(
    ("usage", "license", "reason"),
    [
        ({"access": "CC0"}, CC0, None),
        ({"access": "Usage conditions apply"}, None, "license_not_accepted"),
        ({"access": "cc0"}, None, "license_not_accepted"),  # exactly "CC0" only
        ({"access": ""}, None, "license_missing"),
        ({"text": "CC0"}, None, "license_missing"),
        (None, None, "license_missing"),
    ],
)
def test_usage_access(connector, row, usage, license, reason):
    if usage is None:
        del media_of(row)[0]["usage"]
    else:
        media_of(row)[0]["usage"] = usage
    (candidate,) = connector.parse_page(as_page(row))
    assert (candidate.license, candidate.rejection) == (license, reason)
    assert candidate.evidence == {"usage": usage}


def test_record_level_cc0_is_not_enough(connector, row):
    media_of(row)[0]["usage"] = {"access": "Usage conditions apply"}
    assert row["content"]["descriptiveNonRepeating"]["metadata_usage"] == {"access": "CC0"}
    (candidate,) = connector.parse_page(as_page(row))
    assert candidate.rejection == "license_not_accepted"


def test_media_without_image_url(connector, row):
    del media_of(row)[0]["content"]
    (candidate,) = connector.parse_page(as_page(row))
    assert (candidate.source_record_id, candidate.rejection) == (
        "nmnhvz_14800560",
        "missing_image_url",
    )
    assert candidate.license is None


def test_record_without_image_media(connector, row):
    media_of(row)[:] = []
    (candidate,) = connector.parse_page(as_page(row))
    assert (candidate.source_record_id, candidate.rejection) == (
        "nmnhvz_14800560",
        "missing_image_url",
    )


def test_record_without_id(connector, row):
    del row["content"]["descriptiveNonRepeating"]["record_ID"]
    (candidate,) = connector.parse_page(as_page(row))
    assert (candidate.source_record_id, candidate.rejection) == ("", "missing_record_id")


def test_several_media_need_their_ids(connector, row):
    first = media_of(row)[0]
    media_of(row).append({**first, "idsId": "", "content": "https://ids.si.edu/x"})
    candidates = connector.parse_page(as_page(row))
    assert [(c.source_record_id, c.rejection) for c in candidates] == [
        ("nmnhvz_14800560#https://collections.nmnh.si.edu/media/?irn=15814382", None),
        ("", "missing_record_id"),
    ]


def test_one_bad_record_does_not_fail_the_page(connector, row):
    candidates = connector.parse_page(as_page("not a record", row))
    assert [c.rejection for c in candidates] == ["missing_record_id", None]


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"status": 200},
        {"response": "nope"},
        {"response": {"rows": "nope", "rowCount": 1}},
        {"response": {"rowCount": 5}},
    ],
)
def test_malformed_page(connector, payload):
    with pytest.raises(MalformedPayload):
        connector.parse_page(payload)


def test_no_results(connector):
    assert connector.parse_page({"response": {"rowCount": 0}}) == []


# --- requests and paging --------------------------------------------------------------


def test_first_request(connector, settings):
    settings.SMITHSONIAN_API_KEY = "k-456"
    request = connector.first_request(since=date(2024, 3, 1))  # no date filter: ignored
    assert request.url == "https://api.si.edu/openaccess/api/v1.0/search"
    assert request.params == {
        "api_key": "k-456",
        "q": "online_media_type:Images AND media_usage:CC0",
        "start": 0,
        "rows": 1000,
    }


def test_first_request_needs_the_key(connector, settings):
    settings.SMITHSONIAN_API_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        connector.first_request(since=None)


def test_single_page_response_ends_the_walk(connector, settings):
    settings.SMITHSONIAN_API_KEY = "k-456"
    request = connector.first_request(since=None)
    # rowCount 734 with rows=1000: everything was on the first page.
    assert connector.next_request(load("sub_provider_example.json"), request) is None


def test_pages_follow_start_and_rows(connector, settings):
    settings.SMITHSONIAN_API_KEY = "k-456"
    first = load("sub_provider_example.json")
    first["response"]["rowCount"] = 1500
    last = as_page(load("actual_record_data.json"), row_count=1500)
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        seen.append((params, request.headers.get("User-Agent")))
        assert str(request.url).startswith(API_URL)
        return httpx.Response(200, json=first if params["start"] == "0" else last)

    with Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0) as fetcher:
        assert list(connector.pages(fetcher)) == [first, last]
    assert [params["start"] for params, _ in seen] == ["0", "1000"]
    assert {params["rows"] for params, _ in seen} == {"1000"}
    assert seen[1][0]["api_key"] == "k-456"
    assert {agent for _, agent in seen} == {settings.INGEST_USER_AGENT}
