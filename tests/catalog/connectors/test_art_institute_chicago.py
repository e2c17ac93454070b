"""The Art Institute of Chicago connector.

No recorded AIC response exists among the shared fixtures: artworks_page.json is HAND-WRITTEN
from the API documentation (the shape of GET /api/v1/artworks with `pagination`, `data` and
`config.iiif_url`), with invented ids, titles and image ids. Its 4 records: 900001 and 900002
public domain with an image_id, 900003 not public domain, 900004 public domain without an
image_id."""

import copy

import httpx
import pytest

from catalog.connectors.art_institute_chicago import FIELDS, ArtInstituteChicagoConnector
from catalog.connectors.base import Fetcher, MalformedPayload
from tests.catalog.connectors.helpers import decisions, fixture_loader

load = fixture_loader("art_institute_chicago", "artworks_page.json")
IIIF = "https://www.artic.edu/iiif/2"


@pytest.fixture
def connector():
    return ArtInstituteChicagoConnector()


def test_hand_written_page(connector):
    candidates = connector.parse_page(load())
    assert decisions(candidates) == (
        {"900001": "cc0-1.0", "900002": "cc0-1.0"},
        {"900003": "not_public_domain", "900004": "missing_image_url"},
    )
    harbor, hands, night, fragment = candidates
    assert harbor.source == "art_institute_chicago"
    assert harbor.original_url == (
        f"{IIIF}/0a1b2c3d-0000-4000-8000-000000000001/full/843,/0/default.jpg"
    )
    assert harbor.mime_type == "image/jpeg"
    assert harbor.landing_url == "https://www.artic.edu/artworks/900001"
    assert harbor.title == "Harbor at Dawn"
    assert harbor.creator == "Example Painter"
    assert harbor.creator_url == "https://www.artic.edu/artists/800001"
    assert harbor.description == ""  # AIC descriptions are CC BY 4.0: not copied
    assert harbor.creation_date == "c. 1885"
    assert harbor.institution == "Art Institute of Chicago"
    assert harbor.tags == ["landscape", "boats", "Impressionism"]
    assert harbor.evidence == {"is_public_domain": True, "copyright_notice": None}
    # no artist_title: the first line of artist_display
    assert (hands.creator, hands.creator_url) == ("Unknown Draftsman", "")
    assert night.evidence == {"is_public_domain": False, "copyright_notice": "© Example Estate"}
    assert fragment.original_url == ""
    assert fragment.evidence == {"is_public_domain": True, "copyright_notice": None}


@pytest.mark.parametrize("flag", [False, "true", 1, None])
def test_only_exactly_true_is_public_domain(connector, flag):
    page = load()
    page["data"][0]["is_public_domain"] = flag
    candidates = connector.parse_page(page)
    assert candidates[0].rejection == "not_public_domain"
    assert candidates[0].evidence["is_public_domain"] == flag


def test_public_domain_flag_absent(connector):
    page = load()
    del page["data"][1]["is_public_domain"]
    assert connector.parse_page(page)[1].rejection == "not_public_domain"


def test_public_domain_with_a_copyright_notice_is_ambiguous(connector):
    page = load()
    page["data"][0]["copyright_notice"] = "© Someone"
    assert connector.parse_page(page)[0].rejection == "license_ambiguous"


def test_record_without_image_is_rejected_missing_image_url(connector):
    page = load()
    page["data"][0]["image_id"] = ""
    del page["data"][1]["image_id"]
    accepted, rejected = decisions(connector.parse_page(page))
    assert accepted == {}
    assert rejected == {
        "900001": "missing_image_url",
        "900002": "missing_image_url",
        "900003": "not_public_domain",
        "900004": "missing_image_url",
    }


def test_record_without_id(connector):
    page = load()
    page["data"][0]["id"] = None
    page["data"].append(["not", "a", "record"])
    candidates = connector.parse_page(page)
    assert [(c.source_record_id, c.rejection) for c in candidates] == [
        ("", "missing_record_id"),
        ("900002", None),
        ("900003", "not_public_domain"),
        ("900004", "missing_image_url"),
        ("", "missing_record_id"),
    ]


@pytest.mark.parametrize("broken", ["data", "pagination", "config"])
def test_malformed_page(connector, broken):
    page = load()
    del page[broken]
    with pytest.raises(MalformedPayload):
        connector.parse_page(page)


@pytest.mark.parametrize("payload", [[], None, "page", {"data": "x"}])
def test_malformed_payloads(connector, payload):
    with pytest.raises(MalformedPayload):
        connector.parse_page(payload)


def test_pages_follow_next_url(connector, settings):
    first = load()
    second = copy.deepcopy(first)
    second["pagination"].update(current_page=2, offset=4, next_url=None)
    second["data"] = [dict(first["data"][0], id=900005)]
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=first if request.url.params["page"] == "1" else second)

    fetcher = Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0)
    assert list(connector.pages(fetcher)) == [first, second]
    assert [r.url.path for r in seen] == ["/api/v1/artworks", "/api/v1/artworks"]
    assert [(r.url.params["page"], r.url.params["limit"]) for r in seen] == [
        ("1", "100"),
        ("2", "4"),  # as next_url says
    ]
    assert {r.url.params["fields"] for r in seen} == {FIELDS}
    assert "image_id" in FIELDS.split(",") and "is_public_domain" in FIELDS.split(",")
    assert {r.headers["User-Agent"] for r in seen} == {settings.INGEST_USER_AGENT}


def test_last_page_without_next_url_key(connector):
    page = load()
    del page["pagination"]["next_url"]
    assert connector.next_request(page, connector.first_request(since=None)) is None
