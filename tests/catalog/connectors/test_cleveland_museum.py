"""The Cleveland Museum of Art connector on recorded Open Access API pages. Expected values were
read from the fixtures by hand; none is computed by the code under test."""

import httpx
import pytest

from catalog.connectors.base import Fetcher, MalformedPayload
from catalog.connectors.cleveland_museum import ClevelandMuseumConnector
from tests.catalog.connectors.helpers import decisions, fixture_loader

load = fixture_loader("cleveland_museum")
CDN = "https://openaccess-cdn.clevelandart.org"


def one_record_page(**changes):
    page = load("response_success.json")
    page["data"][0].update(changes)
    return page


@pytest.fixture
def connector():
    return ClevelandMuseumConnector()


def test_response_success(connector):
    candidates = connector.parse_page(load("response_success.json"))
    assert decisions(candidates) == ({"96887": "cc0-1.0"}, {})
    (bottle,) = candidates
    assert bottle.source == "cleveland_museum"
    assert bottle.original_url == f"{CDN}/1916.586.a/1916.586.a_print.jpg"
    assert (bottle.width, bottle.height, bottle.mime_type) == (2422, 3400, "image/jpeg")
    assert bottle.landing_url == "https://clevelandart.org/art/1916.586.a"
    assert bottle.title == "Scent Bottle"
    assert bottle.creator == ""  # creators is []
    assert bottle.creation_date == "1700s"
    assert bottle.institution == "The Cleveland Museum of Art"
    assert bottle.description == ""  # digital_description and wall_description are null
    assert bottle.evidence == {"share_license_status": "CC0", "copyright": None}


def test_handle_response_data_100_records(connector):
    candidates = connector.parse_page(load("handle_response_data.json"))
    accepted, rejected = decisions(candidates)
    # All 100 records are share_license_status "CC0" with print, web and full images and a
    # null copyright (checked by reading the file).
    assert len(candidates) == 100
    assert len(accepted) == 100
    assert set(accepted.values()) == {"cc0-1.0"}
    assert rejected == {}
    for record_id in ["93014", "94979", "137259", "125104", "125249", "106841", "140427",
                      "123168", "113164", "98627"]:  # fmt: skip
        assert accepted[record_id] == "cc0-1.0"
    by_id = {c.source_record_id: c for c in candidates}
    schroon = by_id["93014"]
    assert schroon.title == "View of Schroon Mountain, Essex County, New York, After a Storm"
    assert schroon.creator == "Thomas Cole (American, 1801-1848)"
    assert schroon.creation_date == "1838"
    assert schroon.original_url == f"{CDN}/1335.1917/1335.1917_print.jpg"
    assert (schroon.width, schroon.height) == (3400, 2086)
    assert by_id["106841"].creator == ""  # no creators
    assert by_id["106841"].original_url == f"{CDN}/1924.859/1924.859_print.jpg"
    assert by_id["140427"].creator == (
        "Jean de Clichy (French); Gauthier du Four (French); Guillaume Boey (French)"
    )
    # wall_description with <em> tags becomes plain text
    assert by_id["123168"].description.startswith(
        "Painted on a remote island in Polynesia a year before the artist's death, The Call "
        "belongs to a series of late works"
    )
    assert all("<" not in c.description for c in candidates)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("Copyrighted", "license_not_accepted"),
        ("cc0", "license_not_accepted"),  # exactly "CC0" only
        ("CC0 ", "license_not_accepted"),
        ("CC BY-SA", "license_not_accepted"),
        ("", "license_missing"),
        (None, "license_missing"),
    ],
)
def test_license_status_other_than_cc0(connector, status, reason):
    candidates = connector.parse_page(one_record_page(share_license_status=status))
    assert decisions(candidates) == ({}, {"96887": reason})
    assert candidates[0].evidence["share_license_status"] == status


def test_license_status_absent(connector):
    page = load("response_success.json")
    del page["data"][0]["share_license_status"]
    assert decisions(connector.parse_page(page)) == ({}, {"96887": "license_missing"})


def test_cc0_with_a_copyright_line_is_ambiguous(connector):
    page = one_record_page(copyright="© Artist")
    assert decisions(connector.parse_page(page)) == ({}, {"96887": "license_ambiguous"})


def test_web_image_when_there_is_no_print(connector):
    page = load("response_success.json")
    del page["data"][0]["images"]["print"]
    (candidate,) = connector.parse_page(page)
    assert candidate.accepted
    assert candidate.original_url == f"{CDN}/1916.586.a/1916.586.a_web.jpg"
    assert (candidate.width, candidate.height) == (641, 900)


@pytest.mark.parametrize("images", [None, {}, {"full": {"url": f"{CDN}/x/x_full.tif"}}])
def test_record_without_image_is_rejected_missing_image_url(connector, images):
    candidates = connector.parse_page(one_record_page(images=images))
    assert decisions(candidates) == ({}, {"96887": "missing_image_url"})


def test_record_without_id(connector):
    page = one_record_page(id=None)
    page["data"].append("not a record")
    candidates = connector.parse_page(page)
    assert [(c.source_record_id, c.rejection) for c in candidates] == [
        ("", "missing_record_id"),
        ("", "missing_record_id"),
    ]


@pytest.mark.parametrize(
    "payload",
    [
        [],
        None,
        {"data": []},  # no info.total
        {"info": {"total": 1}},  # no data
        {"data": {}, "info": {"total": 1}},
        {"data": [], "info": {"total": "1"}},
    ],
)
def test_malformed_page(connector, payload):
    with pytest.raises(MalformedPayload):
        connector.parse_page(payload)


def test_pages_follow_skip_until_total(connector, settings):
    first, second = load("response_success.json"), load("response_success.json")
    first["info"]["total"] = second["info"]["total"] = 150
    second["data"][0]["id"] = 96888
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=first if request.url.params["skip"] == "0" else second)

    fetcher = Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0)
    assert list(connector.pages(fetcher)) == [first, second]
    assert [dict(r.url.params) for r in seen] == [
        {"cc0": "1", "has_image": "1", "skip": "0", "limit": "100"},
        {"cc0": "1", "has_image": "1", "skip": "100", "limit": "100"},
    ]
    assert {str(r.url.copy_with(query=None)) for r in seen} == {
        "https://openaccess-api.clevelandart.org/api/artworks/"
    }
    assert {r.headers["User-Agent"] for r in seen} == {settings.INGEST_USER_AGENT}


def test_an_empty_page_ends_the_run(connector):
    empty = {"data": [], "info": {"total": 500}}
    assert connector.next_request(empty, connector.first_request(since=None)) is None
