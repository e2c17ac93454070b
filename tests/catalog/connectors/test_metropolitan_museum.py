"""The Met connector on recorded Collection API objects. Expected values were read from the
fixtures by hand; none is computed by the code under test."""

import copy
from datetime import date

import httpx
import pytest

from catalog.connectors.base import Fetcher, MalformedPayload
from catalog.connectors.metropolitan_museum import MetropolitanMuseumConnector
from tests.catalog.connectors.helpers import decisions, fixture_loader

load = fixture_loader("metropolitan_museum")
IMAGES = "https://images.metmuseum.org/CRDImages/as/original"


@pytest.fixture
def connector():
    return MetropolitanMuseumConnector()


def test_sample_response_primary_and_additional_images(connector):
    candidates = connector.parse_page(load("sample_response.json"))
    assert decisions(candidates) == (
        {"45734": "cc0-1.0", "45734#1": "cc0-1.0", "45734#2": "cc0-1.0"},
        {},
    )
    assert {c.source_record_id: c.original_url for c in candidates} == {
        "45734": f"{IMAGES}/DP251139.jpg",
        "45734#1": f"{IMAGES}/DP251138.jpg",
        "45734#2": f"{IMAGES}/DP251120.jpg",
    }
    first = candidates[0]
    assert first.source == "metropolitan_museum"
    assert first.landing_url == "https://wwwstg.metmuseum.org/art/collection/search/45734"
    assert first.title == "Quail and Millet"
    assert first.creator == "Kiyohara Yukinobu"
    assert first.creator_url == "http://vocab.getty.edu/page/ulan/500034433"
    assert first.creation_date == "late 17th century"
    assert first.institution == "The Metropolitan Museum of Art"
    assert first.tags == ["Birds", "Leaves"]
    assert first.mime_type == "image/jpeg"
    assert first.evidence == {"isPublicDomain": True, "rightsAndReproduction": ""}


def test_sample_response_without_additional_images(connector):
    candidates = connector.parse_page(load("sample_response_without_additional.json"))
    assert decisions(candidates) == ({"47533": "cc0-1.0"}, {})
    (cover,) = candidates
    assert cover.original_url == f"{IMAGES}/79_2_414b_S1_sf.jpg"
    assert cover.title == "Cover"
    assert cover.creator == ""  # artistDisplayName is empty
    assert cover.creation_date == ""  # objectDate is empty
    assert cover.tags == []  # tags is null


@pytest.mark.parametrize(
    ("response", "expected_output"),
    [
        ("sample_response.json", "sample_additional_image_data.json"),
        ("sample_response_without_additional.json", "sample_image_data.json"),
    ],
)
def test_openverse_expected_outputs_agree(connector, response, expected_output):
    """sample_image_data.json and sample_additional_image_data.json are not API responses but
    Openverse's expected output for the two recorded objects: an independent check of the
    image URLs, landing URL, title and creator. As pages they are not the API's shape."""
    expected = load(expected_output)
    with pytest.raises(MalformedPayload):
        connector.parse_page(expected)
    candidates = connector.parse_page(load(response))
    assert [c.original_url for c in candidates] == [e["image_url"] for e in expected]
    assert [c.landing_url for c in candidates] == [e["foreign_landing_url"] for e in expected]
    assert [c.title for c in candidates] == [e["title"] for e in expected]
    assert [c.creator for c in candidates] == [e["creator"] for e in expected]


@pytest.mark.parametrize("flag", [False, "true", 1, None])
def test_only_exactly_true_is_public_domain(connector, flag):
    obj = load("sample_response.json")
    obj["isPublicDomain"] = flag
    candidates = connector.parse_page(obj)
    assert decisions(candidates) == (
        {},
        {
            "45734": "not_public_domain",
            "45734#1": "not_public_domain",
            "45734#2": "not_public_domain",
        },
    )
    assert candidates[0].evidence["isPublicDomain"] == flag


def test_missing_public_domain_flag(connector):
    obj = load("sample_response_without_additional.json")
    del obj["isPublicDomain"]
    assert decisions(connector.parse_page(obj)) == ({}, {"47533": "not_public_domain"})


def test_public_domain_flag_next_to_a_copyright_line_is_ambiguous(connector):
    obj = load("sample_response_without_additional.json")
    obj["rightsAndReproduction"] = "© 2020 Artist Estate"
    assert decisions(connector.parse_page(obj)) == ({}, {"47533": "license_ambiguous"})


def test_record_without_image_is_rejected_missing_image_url(connector):
    obj = load("sample_response.json")
    obj["primaryImage"] = ""
    obj["additionalImages"] = ["", f"{IMAGES}/DP251120.jpg"]
    assert decisions(connector.parse_page(obj)) == (
        {"45734#2": "cc0-1.0"},
        {"45734": "missing_image_url", "45734#1": "missing_image_url"},
    )


def test_record_without_id_is_rejected(connector):
    obj = load("sample_response.json")
    obj["objectID"] = None
    (candidate,) = connector.parse_page(obj)
    assert candidate.source_record_id == ""
    assert candidate.rejection == "missing_record_id"
    assert candidate.evidence == {"isPublicDomain": True, "rightsAndReproduction": ""}


@pytest.mark.parametrize(
    "payload", [[], "x", None, {"message": "ObjectID not found"}, {"total": 1, "objectIDs": [1]}]
)
def test_malformed_page(connector, payload):
    with pytest.raises(MalformedPayload):
        connector.parse_page(payload)


def test_requests(connector):
    first = connector.first_request(since=None)
    assert first.url == "https://collectionapi.metmuseum.org/public/collection/v1/objects"
    assert first.params == {}
    assert connector.first_request(since=date(2024, 1, 2)).params == {"metadataDate": "2024-01-02"}
    assert connector.next_request({"total": 1, "objectIDs": [1]}, first) is None


def test_pages_lists_then_fetches_each_object(connector, settings):
    objects = {
        "45734": load("sample_response.json"),
        "47533": load("sample_response_without_additional.json"),
    }
    seen = []

    def handler(request):
        seen.append(request)
        path = request.url.path
        if path == "/public/collection/v1/objects":
            return httpx.Response(200, json={"total": 3, "objectIDs": [45734, 404404, 47533]})
        object_id = path.rsplit("/", 1)[-1]
        if object_id in objects:
            return httpx.Response(200, json=objects[object_id])
        return httpx.Response(404, json={"message": "ObjectID not found"})

    fetcher = Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0)
    payloads = list(connector.pages(fetcher, since=date(2024, 1, 2)))

    assert payloads == [objects["45734"], objects["47533"]]  # the 404 is skipped
    assert [r.url.path.rsplit("/", 1)[-1] for r in seen] == [
        "objects",
        "45734",
        "404404",
        "47533",
    ]
    assert seen[0].url.params["metadataDate"] == "2024-01-02"
    assert {r.headers["User-Agent"] for r in seen} == {settings.INGEST_USER_AGENT}


def test_pages_with_nothing_changed(connector):
    def handler(request):
        return httpx.Response(200, json={"total": 0, "objectIDs": None})

    fetcher = Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0)
    assert list(connector.pages(fetcher)) == []


def test_parse_page_leaves_the_payload_untouched(connector):
    obj = load("sample_response.json")
    before = copy.deepcopy(obj)
    connector.parse_page(obj)
    assert obj == before
