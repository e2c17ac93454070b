"""The NYPL Digital Collections connector on recorded API responses. Expected values were read
from the fixtures by hand; none is computed by the code under test.

response_itemdetails_success.json: item_details for capture 0cabe3d0-...; its 7 sibling
captures all carry rightsStatementURI https://creativecommons.org/publicdomain/zero/1.0/ (and
NYPL's CC0 rights text). response_search_success.json: a search (q=CC_0, page 12 of 1275,
one result per page)."""

import copy

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured

from catalog.connectors.base import Fetcher, MalformedPayload
from catalog.connectors.nypl import NyplConnector
from tests.catalog.connectors.helpers import decisions, fixture_loader

load = fixture_loader("nypl")
CAPTURES = [
    "0cabe3d0-3d50-0134-a8e0-00505686a51c",
    "109156c0-3d50-0134-5d86-00505686a51c",
    "191dbf00-3d50-0134-442b-00505686a51c",
    "1dd76eb0-3d50-0134-f755-00505686a51c",
    "259d1720-3d50-0134-bb67-00505686a51c",
    "29eed1f0-3d50-0134-c4c7-00505686a51c",
    "30278fa0-3d50-0134-5f8d-00505686a51c",
]
CC0_URI = "https://creativecommons.org/publicdomain/zero/1.0/"


def details():
    return load("response_itemdetails_success.json")


def siblings(payload):
    return payload["nyplAPI"]["response"]["sibling_captures"]["capture"]


@pytest.fixture
def connector():
    return NyplConnector()


def test_item_details(connector):
    candidates = connector.parse_page(details())
    assert decisions(candidates) == ({uuid: "cc0-1.0" for uuid in CAPTURES}, {})
    first = candidates[0]
    assert first.source == "nypl"
    assert first.source_record_id == "0cabe3d0-3d50-0134-a8e0-00505686a51c"
    assert first.original_url == (
        "http://images.nypl.org/index.php?id=56738462&t=g&download=1"
        "&suffix=0cabe3d0-3d50-0134-a8e0-00505686a51c.001"
    )
    assert first.mime_type == "image/jpeg"
    assert first.landing_url == (
        "http://digitalcollections.nypl.org/items/0cabe3d0-3d50-0134-a8e0-00505686a51c"
    )
    assert first.title == "1900 census enumeration districts, Manhattan and Bronx"
    assert first.creator == "Hillman, Barbara"
    assert first.creator_url == ""
    assert first.creation_date == "1981"
    assert first.description.startswith("Base map photocopy that was annotated with manuscript")
    assert first.institution == (
        "The New York Public Library, Irma and Paul Milstein Division of United States History, "
        "Local History and Genealogy"
    )
    assert first.tags == [
        "Manhattan (New York, N.Y.)",
        "Census districts",
        "New York (State)",
        "New York",
        "Bronx (New York, N.Y.)",
    ]
    assert first.evidence["rightsStatementURI"] == {"$": CC0_URI}
    assert first.evidence["rightsStatement"]["$"].startswith(
        "To the extent that a jurisdiction grants The New York Public Library a copyright"
    )
    assert candidates[6].original_url == (
        "http://images.nypl.org/index.php?id=56738468&t=g&download=1"
        "&suffix=30278fa0-3d50-0134-5f8d-00505686a51c.001"
    )


def test_search_response_is_not_an_item_page(connector, settings):
    """The search fixture is read by pages() (see below); parse_page takes item details."""
    settings.NYPL_API_TOKEN = "test-token"
    search = load("response_search_success.json")
    with pytest.raises(MalformedPayload):
        connector.parse_page(search)
    nxt = connector.next_request(search, connector.first_request(since=None))
    assert nxt.url == "https://api.repo.nypl.org/api/v1/items/search"
    assert nxt.params == {"q": "CC_0", "field": "use_rtxt_s", "page": 13, "per_page": 500}
    assert nxt.headers == {"Authorization": 'Token token="test-token"'}


def test_last_search_page(connector, settings):
    settings.NYPL_API_TOKEN = "test-token"
    search = load("response_search_success.json")
    search["nyplAPI"]["request"]["page"] = "1275"
    assert connector.next_request(search, connector.first_request(since=None)) is None


@pytest.mark.parametrize(
    ("uri", "license", "reason"),
    [
        ("https://creativecommons.org/publicdomain/mark/1.0/", "pdm-1.0", None),
        ("http://creativecommons.org/publicdomain/zero/1.0/", "cc0-1.0", None),
        ("http://rightsstatements.org/vocab/NoC-US/1.0/", None, "license_not_accepted"),
        ("https://creativecommons.org/licenses/by/4.0/", None, "license_restricted"),
        ("https://creativecommons.org/publicdomain/zero/2.0/", None, "license_version_unknown"),
        ("public domain", None, "license_ambiguous"),
    ],
)
def test_rights_statement_uri_decides(connector, uri, license, reason):
    payload = details()
    siblings(payload)[2]["rightsStatementURI"] = {"$": uri}
    candidate = connector.parse_page(payload)[2]
    assert (candidate.license, candidate.rejection) == (license, reason)
    assert candidate.evidence["rightsStatementURI"] == {"$": uri}


def test_free_text_alone_is_ambiguous_and_nothing_is_missing(connector):
    payload = details()
    del siblings(payload)[0]["rightsStatementURI"]
    siblings(payload)[1]["rightsStatementURI"] = {"$": ""}
    del siblings(payload)[2]["rightsStatementURI"]
    del siblings(payload)[2]["rightsStatement"]
    accepted, rejected = decisions(connector.parse_page(payload))
    assert rejected == {
        CAPTURES[0]: "license_ambiguous",
        CAPTURES[1]: "license_ambiguous",
        CAPTURES[2]: "license_missing",
    }
    assert accepted == {uuid: "cc0-1.0" for uuid in CAPTURES[3:]}


def test_capture_without_image_is_rejected_missing_image_url(connector):
    payload = details()
    del siblings(payload)[0]["imageLinks"]
    # only thumbnails left: not taken
    links = siblings(payload)[1]["imageLinks"]["imageLink"]
    siblings(payload)[1]["imageLinks"]["imageLink"] = [
        link for link in links if "&t=t&" in link["$"] or "&t=b&" in link["$"]
    ]
    _, rejected = decisions(connector.parse_page(payload))
    assert rejected == {CAPTURES[0]: "missing_image_url", CAPTURES[1]: "missing_image_url"}


def test_largest_available_derivative(connector):
    payload = details()
    links = siblings(payload)[0]["imageLinks"]["imageLink"]
    siblings(payload)[0]["imageLinks"]["imageLink"] = [
        link for link in links if "&t=g&" not in link["$"]
    ]
    assert connector.parse_page(payload)[0].original_url == (
        "http://images.nypl.org/index.php?id=56738462&t=v&download=1"
        "&suffix=0cabe3d0-3d50-0134-a8e0-00505686a51c.001"
    )


def test_capture_without_uuid(connector):
    payload = details()
    del siblings(payload)[0]["uuid"]
    candidate = connector.parse_page(payload)[0]
    assert (candidate.source_record_id, candidate.rejection) == ("", "missing_record_id")


def test_a_single_capture_comes_as_an_object(connector):
    payload = details()
    payload["nyplAPI"]["response"]["sibling_captures"]["capture"] = siblings(payload)[3]
    assert decisions(connector.parse_page(payload)) == ({CAPTURES[3]: "cc0-1.0"}, {})


@pytest.mark.parametrize("payload", [[], None, {}, {"nyplAPI": {"response": {}}}])
def test_malformed_page(connector, payload):
    with pytest.raises(MalformedPayload):
        connector.parse_page(payload)


def search_page(page, total_pages, uuids):
    search = load("response_search_success.json")
    search["nyplAPI"]["request"].update(page=str(page), totalPages=str(total_pages))
    result = search["nyplAPI"]["response"]["result"][0]
    search["nyplAPI"]["response"]["result"] = [dict(result, uuid=uuid) for uuid in uuids]
    return search


def test_pages_search_then_item_details(connector, settings):
    settings.NYPL_API_TOKEN = "test-token"
    other_uuid = "aaaaaaaa-0000-0000-0000-000000000001"
    other = details()
    siblings(other)[:] = [dict(siblings(other)[0], uuid={"$": other_uuid})]
    pages_by_number = {
        # page 2 lists a sibling already read with the first item, and a new item
        "1": search_page(1, 2, [CAPTURES[0]]),
        "2": search_page(2, 2, [CAPTURES[1], other_uuid]),
    }
    items = {CAPTURES[0]: details(), other_uuid: other}
    seen = []

    def handler(request):
        seen.append(request)
        if request.url.path == "/api/v1/items/search":
            return httpx.Response(200, json=pages_by_number[request.url.params["page"]])
        return httpx.Response(200, json=items[request.url.path.rsplit("/", 1)[-1]])

    fetcher = Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0)
    assert list(connector.pages(fetcher)) == [details(), other]
    assert [r.url.path for r in seen] == [
        "/api/v1/items/search",
        f"/api/v1/items/item_details/{CAPTURES[0]}",
        "/api/v1/items/search",
        f"/api/v1/items/item_details/{other_uuid}",
    ]
    assert [r.url.params.get("page") for r in seen if "search" in r.url.path] == ["1", "2"]
    assert seen[0].url.params["q"] == "CC_0"
    assert {r.headers["Authorization"] for r in seen} == {'Token token="test-token"'}
    assert {r.headers["User-Agent"] for r in seen} == {settings.INGEST_USER_AGENT}


def test_pages_skip_an_item_that_is_gone(connector, settings):
    settings.NYPL_API_TOKEN = "test-token"

    def handler(request):
        if request.url.path == "/api/v1/items/search":
            return httpx.Response(200, json=search_page(1, 1, [CAPTURES[0]]))
        return httpx.Response(404, json={"nyplAPI": {}})

    fetcher = Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0)
    assert list(connector.pages(fetcher)) == []


def test_pages_need_a_token(connector, settings):
    settings.NYPL_API_TOKEN = ""
    fetcher = Fetcher(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    with pytest.raises(ImproperlyConfigured):
        next(connector.pages(fetcher))


def test_parse_page_leaves_the_payload_untouched(connector):
    payload = details()
    before = copy.deepcopy(payload)
    connector.parse_page(payload)
    assert payload == before
