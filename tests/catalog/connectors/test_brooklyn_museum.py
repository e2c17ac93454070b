"""The Brooklyn Museum connector on recorded API data. Expected values were read from the
fixtures by hand; none is computed by the code under test.

- response_success.json: a list page (GET /object), one object (3054) without images, rights
  type "No known copyright restrictions" (free text, no Creative Commons link).
- object_data.json, non_cc_object_data.json: single objects as GET /object/{id} gives them in
  `data`; wrapped in the response envelope here. 90636 has 1 image and rights type
  "Creative Commons-BY" linking licenses/by/3.0; 3054 has 6 images and "No known copyright
  restrictions".
- cc_license_info.json, public_license_info.json, no_license_info.json: single `rights_type`
  objects; put into object 90636 here. CC: "Creative Commons-BY" + licenses/by/3.0 link;
  public: "Public domain" + publicdomain/zero/1.0 link; none: no public_name, no CC link."""

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured

from catalog.connectors.base import Fetcher, MalformedPayload
from catalog.connectors.brooklyn_museum import BrooklynMuseumConnector
from tests.catalog.connectors.helpers import decisions, fixture_loader

load = fixture_loader("brooklyn_museum")
CDN = "https://d1lfxha3ugu3d4.cloudfront.net/images/opencollection/objects/size4"


def envelope(obj):
    """A single object in the shape of the GET /object/{id} response."""
    return {"data": obj, "errorCode": "0", "message": "Success."}


def caftan_with_rights(rights_file):
    obj = load("object_data.json")
    obj["rights_type"] = load(rights_file)
    return envelope(obj)


@pytest.fixture
def connector():
    return BrooklynMuseumConnector()


def test_list_page_response_success(connector):
    candidates = connector.parse_page(load("response_success.json"))
    assert decisions(candidates) == ({}, {"3054": "license_ambiguous"})
    assert candidates[0].evidence["rights_type"]["public_name"] == (
        "No known copyright restrictions"
    )


def test_object_data_creative_commons_by(connector):
    candidates = connector.parse_page(envelope(load("object_data.json")))
    assert decisions(candidates) == ({}, {"90636/170425": "license_restricted"})
    (caftan,) = candidates
    assert caftan.source == "brooklyn_museum"
    assert caftan.original_url == f"{CDN}/CUR.66.242.29.jpg"
    assert (caftan.width, caftan.height, caftan.mime_type) == (1536, 1152, "image/jpeg")
    assert caftan.landing_url == "https://www.brooklynmuseum.org/opencollection/objects/90636"
    assert caftan.title == "Caftan"
    assert caftan.creator == ""
    assert caftan.institution == "Brooklyn Museum"
    assert caftan.evidence["rights_type"]["public_name"] == "Creative Commons-BY"
    assert caftan.evidence["copyright"] is None
    assert caftan.evidence["copyright_restricted"] == 0
    assert caftan.evidence["image_copyright_restricted"] == 0


def test_non_cc_object_data(connector):
    candidates = connector.parse_page(envelope(load("non_cc_object_data.json")))
    assert decisions(candidates) == (
        {},
        {
            "3054/49113": "license_ambiguous",
            "3054/15311": "license_ambiguous",
            "3054/15312": "license_ambiguous",
            "3054/15313": "license_ambiguous",
            "3054/15314": "license_ambiguous",
            "3054/7977": "license_ambiguous",
        },
    )
    first = candidates[0]
    assert first.original_url == f"{CDN}/2002.6_PS2.jpg"
    assert (first.width, first.height) == (1536, 826)
    assert first.title == "Battle of Karbala"
    assert first.creator == "Abbas Al-Musavi"
    assert first.creator_url == "https://www.brooklynmuseum.org/opencollection/artists/10785"
    assert first.creation_date == "late 19th-early 20th century"
    assert first.description.startswith('Ghahvehkhaneh or "coffeehouse" painting genre.')
    assert "\r" not in first.description and "\t" not in first.description


def test_cc_license_info(connector):
    assert decisions(connector.parse_page(caftan_with_rights("cc_license_info.json"))) == (
        {},
        {"90636/170425": "license_restricted"},
    )


def test_public_license_info_links_cc0(connector):
    candidates = connector.parse_page(caftan_with_rights("public_license_info.json"))
    assert decisions(candidates) == ({"90636/170425": "cc0-1.0"}, {})
    assert candidates[0].evidence["rights_type"] == load("public_license_info.json")


def test_no_license_info(connector):
    assert decisions(connector.parse_page(caftan_with_rights("no_license_info.json"))) == (
        {},
        {"90636/170425": "license_missing"},
    )


@pytest.mark.parametrize("rights_type", [None, {}, "public domain"])
def test_no_rights_type(connector, rights_type):
    obj = load("object_data.json")
    obj["rights_type"] = rights_type
    assert decisions(connector.parse_page(envelope(obj))) == (
        {},
        {"90636/170425": "license_missing"},
    )


@pytest.mark.parametrize(
    ("public_name", "reason"),
    [
        ("Creative Commons-BY", "license_restricted"),  # contradicts the CC0 link
        ("Public Domain Mark 1.0", "license_ambiguous"),  # two different accepted codes
        ("In copyright", "license_ambiguous"),
    ],
)
def test_cc0_link_with_a_conflicting_public_name(connector, public_name, reason):
    payload = caftan_with_rights("public_license_info.json")
    payload["data"]["rights_type"]["public_name"] = public_name
    assert decisions(connector.parse_page(payload)) == ({}, {"90636/170425": reason})


def test_cc0_public_name_without_link(connector):
    payload = caftan_with_rights("no_license_info.json")
    payload["data"]["rights_type"]["public_name"] = "CC0"
    assert decisions(connector.parse_page(payload)) == ({"90636/170425": "cc0-1.0"}, {})


def test_copyright_flags_override_the_rights_type(connector):
    restricted_image = caftan_with_rights("public_license_info.json")
    restricted_image["data"]["images"][0]["copyright_restricted"] = 1
    with_copyright = caftan_with_rights("public_license_info.json")
    with_copyright["data"]["copyright"] = "© Artist"
    restricted_object = caftan_with_rights("public_license_info.json")
    restricted_object["data"]["copyright_restricted"] = 1
    for payload in (restricted_image, with_copyright, restricted_object):
        assert decisions(connector.parse_page(payload)) == (
            {},
            {"90636/170425": "license_restricted"},
        )


def test_record_without_image_is_rejected_missing_image_url(connector):
    no_images = caftan_with_rights("public_license_info.json")
    no_images["data"]["images"] = []
    assert decisions(connector.parse_page(no_images)) == ({}, {"90636": "missing_image_url"})
    no_url = caftan_with_rights("public_license_info.json")
    del no_url["data"]["images"][0]["largest_derivative_url"]
    assert decisions(connector.parse_page(no_url)) == ({}, {"90636/170425": "missing_image_url"})


def test_record_without_id(connector):
    no_object_id = caftan_with_rights("public_license_info.json")
    del no_object_id["data"]["id"]
    no_image_id = caftan_with_rights("public_license_info.json")
    del no_image_id["data"]["images"][0]["id"]
    for payload in (no_object_id, no_image_id):
        (candidate,) = connector.parse_page(payload)
        assert (candidate.source_record_id, candidate.rejection) == ("", "missing_record_id")


@pytest.mark.parametrize(
    "payload",
    [
        [],
        None,
        {"message": "Success."},  # no data
        {"data": [], "errorCode": "1", "message": "Invalid API key."},
        {"data": "x", "errorCode": "0", "message": "Success."},
    ],
)
def test_malformed_page(connector, payload):
    with pytest.raises(MalformedPayload):
        connector.parse_page(payload)


def test_pages_list_then_objects(connector, settings):
    settings.BROOKLYN_API_KEY = "test-key"
    listing = {
        "0": {"data": [{"id": 3054}], "errorCode": "0", "message": "Success."},
        "35": {"data": [{"id": 90636}, {"id": 404}], "errorCode": "0", "message": "Success."},
        "70": {"data": [], "errorCode": "0", "message": "Success."},
    }
    objects = {
        "3054": envelope(load("non_cc_object_data.json")),
        "90636": envelope(load("object_data.json")),
    }
    seen = []

    def handler(request):
        seen.append(request)
        if request.url.path == "/api/v2/object":
            return httpx.Response(200, json=listing[request.url.params["offset"]])
        object_id = request.url.path.rsplit("/", 1)[-1]
        if object_id in objects:
            return httpx.Response(200, json=objects[object_id])
        return httpx.Response(404, json={"message": "Not found."})

    fetcher = Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0)
    assert list(connector.pages(fetcher)) == [objects["3054"], objects["90636"]]
    assert [r.url.path for r in seen] == [
        "/api/v2/object",
        "/api/v2/object/3054",
        "/api/v2/object",
        "/api/v2/object/90636",
        "/api/v2/object/404",
        "/api/v2/object",
    ]
    lists = [dict(r.url.params) for r in seen if r.url.path == "/api/v2/object"]
    assert lists == [
        {"has_images": "1", "rights_type_permissive": "1", "limit": "35", "offset": offset}
        for offset in ("0", "35", "70")
    ]
    assert {r.headers["api_key"] for r in seen} == {"test-key"}
    assert {r.headers["User-Agent"] for r in seen} == {settings.INGEST_USER_AGENT}


def test_pages_need_a_key(connector, settings):
    settings.BROOKLYN_API_KEY = ""
    fetcher = Fetcher(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    with pytest.raises(ImproperlyConfigured):
        next(connector.pages(fetcher))
