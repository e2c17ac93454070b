"""Europeana connector: license decisions on recorded Search API responses, record parsing,
and cursor paging."""

import copy
from datetime import date
from urllib.parse import parse_qs

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured

from catalog.connectors.base import Fetcher, MalformedPayload
from catalog.connectors.europeana import API_URL, EuropeanaConnector
from tests.catalog.connectors.helpers import decisions, fixture_loader

load = fixture_loader("europeana")
PDM_URI = "http://creativecommons.org/publicdomain/mark/1.0/"
CC0_URI = "http://creativecommons.org/publicdomain/zero/1.0/"
PD, CC0 = "pdm-1.0", "cc0-1.0"


def as_page(*items: dict) -> dict:
    """Wrap single items in the Search API response shape."""
    return {
        "success": True,
        "itemsCount": len(items),
        "totalResults": len(items),
        "items": list(items),
    }


@pytest.fixture
def connector():
    return EuropeanaConnector()


@pytest.fixture
def item():
    """A real CC0 item (Biblioteca Digital de Castilla y León), to vary one field at a time."""
    return copy.deepcopy(load("image_data_example.json"))


# --- every recorded response -------------------------------------------------------------


def test_europeana_example(connector):
    accepted, rejected = decisions(connector.parse_page(load("europeana_example.json")))
    # All 27 items carry exactly ["http://creativecommons.org/publicdomain/zero/1.0/"].
    assert accepted == {
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26229_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26228_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26227_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26226_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26225_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26224_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26222_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26221_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26220_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26219_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26215_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26214_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26213_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26212_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26210_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26209_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26208_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26207_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26206_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26201_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26200_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26199_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_26198_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_24170_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_24169_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_24168_ent1": CC0,
        "/2022704/lod_oai_bibliotecadigital_jcyl_es_24167_ent1": CC0,
    }
    assert rejected == {}


def test_image_data_example(connector):
    # A single item, not a response: wrapped in the response shape.
    candidates = connector.parse_page(as_page(load("image_data_example.json")))
    assert decisions(candidates) == (
        {"/2022704/lod_oai_bibliotecadigital_jcyl_es_26229_ent1": CC0},
        {},
    )


def test_image_data_sub_provider_example(connector):
    # A single item, not a response: wrapped in the response shape. Rights: CC BY 4.0.
    candidates = connector.parse_page(as_page(load("image_data_sub_provider_example.json")))
    assert decisions(candidates) == ({}, {"/9200579/zzwnbyhb": "license_restricted"})
    assert candidates[0].evidence == {"rights": ["http://creativecommons.org/licenses/by/4.0/"]}
    assert candidates[0].institution == "Wellcome Collection"


# --- one record -----------------------------------------------------------------------


def test_record_fields(connector, item):
    (candidate,) = connector.parse_page(as_page(item))
    assert candidate.source == "europeana"
    assert candidate.original_url == (
        "http://bibliotecadigital.jcyl.es/i18n/catalogo_imagenes/imagen_id.cmd?idImagen=102620362"
    )
    # The item page, without the API's tracking query (which names our API key).
    assert candidate.landing_url == (
        "https://www.europeana.eu/item/2022704/lod_oai_bibliotecadigital_jcyl_es_26229_ent1"
    )
    assert candidate.title == (
        "Claustro del Monasterio de S. Salvador en Oña [Material gráfico]= Cloître du "
        "Monastère de S. Salvador à Oña"
    )
    # dcCreator holds entity URIs: named through edmAgent/edmAgentLabel.
    assert candidate.creator == (
        "Villemin, Charles, fl. 1835-1849; Pérez Villaamil, Genaro, 1807-1854; "
        "Carderera, Valentín, 1796-1880"
    )
    assert candidate.description.startswith("Sello en seco: España artística y monumental. Se")
    assert candidate.institution == "Biblioteca Digital de Castilla y León"
    assert candidate.tags == ["Monasterio de San Salvador de Oña-Grabados"]
    assert candidate.creation_date == ""  # no `year` in this item
    assert candidate.evidence == {"rights": [CC0_URI]}


def test_year_and_plain_creator(connector):
    items = load("europeana_example.json")["items"]
    by_id = {c.source_record_id: c for c in connector.parse_page(as_page(*items))}
    letter = by_id["/2022704/lod_oai_bibliotecadigital_jcyl_es_26224_ent1"]
    assert letter.creation_date == "1829"
    assert letter.creator == "Anonymous"


def test_api_key_is_in_no_field(connector):
    for candidate in connector.parse_page(load("europeana_example.json")):
        assert "test_key" not in repr(candidate)


@pytest.mark.parametrize(
    ("rights", "license", "reason"),
    [
        ([PDM_URI], PD, None),
        ([CC0_URI], CC0, None),
        (["https://creativecommons.org/publicdomain/zero/1.0/"], CC0, None),
        ([CC0_URI, CC0_URI], CC0, None),
        ([CC0_URI, "https://creativecommons.org/publicdomain/zero/1.0/deed.en"], CC0, None),
        ([PDM_URI, CC0_URI], None, "license_conflict"),
        ([CC0_URI, "http://creativecommons.org/licenses/by-sa/4.0/"], None, "license_restricted"),
        (["http://rightsstatements.org/vocab/NoC-NC/1.0/"], None, "license_not_accepted"),
        ([CC0_URI, "http://rightsstatements.org/vocab/InC/1.0/"], None, "license_not_accepted"),
        (["http://creativecommons.org/publicdomain/zero/2.0/"], None, "license_version_unknown"),
        (["http://www.europeana.eu/rights/rr-f/"], None, "license_unknown"),
        ([CC0_URI, ""], None, "license_missing"),
        ([], None, "license_missing"),
        (None, None, "license_missing"),
    ],
)
def test_rights(connector, item, rights, license, reason):
    if rights is None:
        del item["rights"]
    else:
        item["rights"] = rights
    (candidate,) = connector.parse_page(as_page(item))
    assert (candidate.license, candidate.rejection) == (license, reason)
    assert candidate.evidence == {"rights": rights}


def test_record_without_image_url(connector, item):
    del item["edmIsShownBy"]  # edmPreview (a thumbnail) is still there: not an original
    (candidate,) = connector.parse_page(as_page(item))
    assert candidate.rejection == "missing_image_url"
    assert candidate.original_url == ""
    assert candidate.source_record_id == "/2022704/lod_oai_bibliotecadigital_jcyl_es_26229_ent1"


def test_record_with_unusable_image_url(connector, item):
    item["edmIsShownBy"] = ["L-APC248-https://www.dropbox.com/s/x/Belgium.jpg?raw=1"]
    (candidate,) = connector.parse_page(as_page(item))
    assert (candidate.original_url, candidate.rejection) == ("", "missing_image_url")


def test_record_without_id(connector, item):
    del item["id"]
    (candidate,) = connector.parse_page(as_page(item))
    assert (candidate.source_record_id, candidate.rejection) == ("", "missing_record_id")


def test_one_bad_record_does_not_fail_the_page(connector, item):
    candidates = connector.parse_page(as_page("not an item", item))
    assert [c.rejection for c in candidates] == ["missing_record_id", None]


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"success": False, "error": "Invalid API key"},
        {"success": True, "items": "nope"},
        {"success": True, "itemsCount": 3},
        {"items": []},
    ],
)
def test_malformed_page(connector, payload):
    with pytest.raises(MalformedPayload):
        connector.parse_page(payload)


def test_no_results(connector):
    assert connector.parse_page({"success": True, "itemsCount": 0, "totalResults": 0}) == []


# --- requests and paging --------------------------------------------------------------


def test_first_request(connector, settings):
    settings.EUROPEANA_API_KEY = "k-123"
    request = connector.first_request(since=None)
    assert request.url == "https://api.europeana.eu/record/v2/search.json"
    assert request.params["wskey"] == "k-123"
    assert request.params["cursor"] == "*"
    assert request.params["query"] == "*"
    assert "TYPE:IMAGE" in request.params["qf"]
    assert any(PDM_URI in qf and CC0_URI in qf for qf in request.params["qf"])
    since = connector.first_request(since=date(2024, 3, 1))
    assert since.params["query"] == "timestamp_update:[2024-03-01T00:00:00Z TO NOW]"


def test_first_request_needs_the_key(connector, settings):
    settings.EUROPEANA_API_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        connector.first_request(since=None)


def test_pages_follow_next_cursor(connector, settings):
    settings.EUROPEANA_API_KEY = "k-123"
    first = load("europeana_example.json")
    last = as_page(load("image_data_sub_provider_example.json"))  # no nextCursor: the end
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = parse_qs(request.url.query.decode())
        seen.append((params, request.headers.get("User-Agent")))
        assert str(request.url).startswith(API_URL)
        return httpx.Response(200, json=first if params["cursor"] == ["*"] else last)

    with Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0) as fetcher:
        assert list(connector.pages(fetcher)) == [first, last]
    assert [params["cursor"] for params, _ in seen] == [["*"], ["test_next_cursor"]]
    assert seen[1][0]["wskey"] == ["k-123"]
    assert len(seen[1][0]["qf"]) == 2  # both filters sent, as repeated parameters
    assert {agent for _, agent in seen} == {settings.INGEST_USER_AGENT}


def test_empty_page_ends_the_walk(connector, settings):
    settings.EUROPEANA_API_KEY = "k-123"
    request = connector.first_request(since=None)
    page = {"success": True, "itemsCount": 0, "items": [], "nextCursor": "again"}
    assert connector.next_request(page, request) is None
