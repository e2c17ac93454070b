"""Wikimedia Commons connector: license decisions on recorded API responses, record
parsing, and paging through `continue`."""

import copy
from datetime import UTC, date, datetime
from urllib.parse import parse_qs

import httpx
import pytest

from catalog.connectors.base import Fetcher, MalformedPayload
from catalog.connectors.wikimedia_commons import API_URL, WikimediaCommonsConnector
from tests.catalog.connectors.helpers import decisions, fixture_loader

load = fixture_loader("wikimedia_commons")
PD, CC0 = "pdm-1.0", "cc0-1.0"
RESTRICTED = "license_restricted"


def as_page(*pages: dict) -> dict:
    """Wrap single `query.pages` entries in the response shape (formatversion 1)."""
    return {"batchcomplete": "", "query": {"pages": {str(p["pageid"]): p for p in pages}}}


@pytest.fixture
def connector():
    return WikimediaCommonsConnector()


@pytest.fixture
def munch():
    """A real `pd` record (Edvard Munch, Night in Nice), to vary one field at a time."""
    return copy.deepcopy(load("wmc_raw.json")["query"]["pages"]["44672212"])


def set_meta(page: dict, key: str, value) -> dict:
    extmetadata = page["imageinfo"][0]["extmetadata"]
    if value is None:
        extmetadata.pop(key, None)
    else:
        extmetadata[key] = {"source": "commons-desc-page", "value": value}
    return page


# --- every recorded response -------------------------------------------------------------


def test_wmc_pretty1(connector):
    accepted, rejected = decisions(connector.parse_page(load("wmc_pretty1.json")))
    assert accepted == {"18263872": PD, "44672210": PD, "44672212": PD}
    assert rejected == {
        "44672185": RESTRICTED,  # cc-by-sa-3.0-de
        "44672190": RESTRICTED,  # cc-by-sa-4.0
        "44672194": RESTRICTED,
        "44672195": RESTRICTED,
        "44672196": RESTRICTED,
        "44672207": RESTRICTED,
    }


def test_wmc_pretty4(connector):
    accepted, rejected = decisions(connector.parse_page(load("wmc_pretty4.json")))
    # "Media needing category review as of 31 October 2015" (44666587, 44669852, 44672245,
    # 44672252, 44672256, 44672258, 44672266, 44672281) is about categories, not the license.
    assert accepted == {
        "44666587": PD,
        "44669852": PD,
        "44672235": PD,
        "44672238": PD,
        "44672240": PD,
        "44672241": PD,
        "44672245": PD,
        "44672247": PD,
        "44672248": PD,
        "44672252": PD,
        "44672253": PD,
        "44672254": PD,
        "44672255": PD,
        "44672256": PD,
        "44672257": PD,
        "44672258": PD,
        "44672259": PD,
        "44672263": PD,
        "44672264": PD,
        "44672266": PD,
        "44672268": PD,
        "44672281": PD,
        "44672277": CC0,
        "44672280": CC0,
        "44672282": CC0,
        "44672283": CC0,
        "44672285": CC0,
        "44672286": CC0,
        "44672288": CC0,
        "44672289": CC0,
        "44672290": CC0,
        "44672291": CC0,
        "44672292": CC0,
    }
    assert rejected == {
        "21214211": RESTRICTED,  # cc-by-sa-3.0-es
        "44672233": RESTRICTED,  # cc-by-sa-4.0
        "44672234": RESTRICTED,
        "44672239": RESTRICTED,
        "44672250": RESTRICTED,  # cc-by-4.0
        "44672267": RESTRICTED,
        "44672269": RESTRICTED,
        "44672270": RESTRICTED,
        "44672271": RESTRICTED,
        "44672272": RESTRICTED,
        "44672273": RESTRICTED,
        "44672274": RESTRICTED,
        "44672276": RESTRICTED,
        "44672278": RESTRICTED,
        "44672279": RESTRICTED,
        "44672284": RESTRICTED,
        "44672293": RESTRICTED,
    }


def test_wmc_raw(connector):
    accepted, rejected = decisions(connector.parse_page(load("wmc_raw.json")))
    # 44672214 (License "pd") also sits in "CC-Zero" and "Items with OTRS permission
    # confirmed": neither is a deletion, copyright-violation or review category.
    assert accepted == {
        "18263872": PD,
        "44672181": PD,
        "44672183": PD,
        "44672186": PD,
        "44672187": PD,
        "44672208": PD,
        "44672210": PD,
        "44672212": PD,
        "44672213": PD,
        "44672214": PD,
    }
    assert rejected == {
        # Flickr Commons "No restrictions": no License, LicenseShortName "No restrictions".
        "42098895": "license_ambiguous",
        "42211633": "license_ambiguous",
        "44672185": RESTRICTED,
        "44672188": RESTRICTED,
        "44672189": RESTRICTED,
        "44672190": RESTRICTED,
        "44672192": RESTRICTED,
        "44672193": RESTRICTED,
        "44672194": RESTRICTED,
        "44672195": RESTRICTED,
        "44672196": RESTRICTED,
        "44672197": RESTRICTED,
        "44672199": RESTRICTED,
        "44672200": RESTRICTED,  # also "Images from Wiki Loves Africa 2015 to check"
        "44672203": RESTRICTED,
        "44672205": RESTRICTED,
        "44672206": RESTRICTED,
        "44672207": RESTRICTED,
    }


def test_image_data_example(connector):
    # A single `query.pages` entry, not a response: wrapped in the response shape.
    candidates = connector.parse_page(as_page(load("image_data_example.json")))
    assert decisions(candidates) == ({}, {"81754323": RESTRICTED})  # cc-by-sa-4.0
    (candidate,) = candidates
    assert candidate.mime_type == ""  # recorded without iiprop=mime
    assert candidate.width == 5514 and candidate.height == 3102
    assert candidate.creator == "PtrQs"
    assert candidate.creator_url == "https://commons.wikimedia.org/wiki/User:PtrQs"
    assert candidate.title == "20120925 PlozevetBretagne LoneTree DSC07971 PtrQs"
    assert candidate.creation_date == "2012-09-25 16:23:02"


def test_image_data_html_description(connector):
    # A single `query.pages` entry without imageinfo `url`: wrapped in the response shape.
    candidates = connector.parse_page(as_page(load("image_data_html_description.json")))
    assert decisions(candidates) == ({}, {"81754323": "missing_image_url"})
    assert candidates[0].description == (
        "Identificatie Titel(s): Allegorie op kunstenaar Francesco Mazzoli, bekend als Parmigianino"
    )


# --- one record -----------------------------------------------------------------------


def test_record_fields(connector):
    pages = load("wmc_raw.json")
    by_id = {c.source_record_id: c for c in connector.parse_page(pages)}
    munch = by_id["44672212"]
    assert munch.source == "wikimedia_commons"
    assert munch.original_url == (
        "https://upload.wikimedia.org/wikipedia/commons/4/45/Edvard_Munch_-_Night_in_Nice_%281891%29.jpg"
    )
    assert munch.landing_url == (
        "https://commons.wikimedia.org/wiki/File:Edvard_Munch_-_Night_in_Nice_(1891).jpg"
    )
    assert munch.title == "Night in Nice"
    assert munch.creator == "Edvard Munch"
    assert munch.creator_url == "https://en.wikipedia.org/wiki/en:Edvard_Munch"
    assert munch.creation_date == "1891"
    assert munch.institution == ""
    assert (munch.width, munch.height) == (803, 714)
    assert "CC-PD-Mark" in munch.tags
    # No imageinfo timestamp in this recording: the MediaWiki-written DateTime (upload time).
    assert munch.source_uploaded_at == datetime(2015, 10, 31, 23, 0, 53, tzinfo=UTC)
    assert munch.evidence == {
        "License": "pd",
        "LicenseShortName": "Public domain",
        "LicenseUrl": None,
        "UsageTerms": "Public domain",
        "Restrictions": "",
        "Copyrighted": "False",
        "Categories": (
            "1890s paintings by Edvard Munch|1891 paintings from France|1891 paintings in "
            "Norway|Artworks with Wikidata item|Artworks with known accession number|"
            "CC-PD-Mark|Nice in art|PD-Art (PD-old-auto-expired)|PD-old-75-expired|Paintings "
            "by Edvard Munch in the Nasjonalmuseet for kunst, arkitektur og design"
        ),
    }
    # Hidden Wikidata statements (`display: none`) are not part of the date.
    assert by_id["44672214"].creation_date == "circa 1617"


def test_imageinfo_timestamp_and_mime(connector, munch):
    info = munch["imageinfo"][0]
    info.update(timestamp="2024-05-01T12:30:00Z", mime="image/jpeg")
    (candidate,) = connector.parse_page(as_page(munch))
    assert candidate.source_uploaded_at == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert candidate.mime_type == "image/jpeg"


def test_not_an_image_is_skipped(connector, munch):
    munch["imageinfo"][0]["mime"] = "video/webm"
    assert connector.parse_page(as_page(munch)) == []


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("Categories", "Paintings|Deletion requests November 2023", "commons_deletion_request"),
        ("Categories", "Paintings|deletion requests", "commons_deletion_request"),
        ("Categories", "Candidates for speedy deletion", "commons_deletion_request"),
        ("Categories", "Media missing permission as of 1 May 2024", "commons_deletion_request"),
        ("Categories", "Paintings|Copyright violations", "commons_copyright_violation"),
        ("Categories", "License review needed|Paintings", "commons_license_review"),
        ("Categories", "Flickr review needed", "commons_license_review"),
        ("Categories", "iNaturalist review needed", "commons_license_review"),
        ("Categories", "Flickr images needing human review", "commons_license_review"),
        ("Categories", "Flickr images which failed license review", "commons_license_review"),
        ("Restrictions", "trademarked", "restrictions_present"),
        ("Restrictions", "personality", "restrictions_present"),
        ("Restrictions", ["trademarked"], "restrictions_present"),  # not the documented type
        ("License", "cc-by-sa-4.0", RESTRICTED),
        ("License", "cc-by-4.0", RESTRICTED),
        ("License", "PD", "license_ambiguous"),  # only the exact Commons id "pd"
        ("License", "pdm", "license_unknown"),  # normalize_license would accept it: not here
        ("License", "gfdl", "license_unknown"),
        ("LicenseUrl", "https://creativecommons.org/licenses/by/4.0/", "license_conflict"),
        ("LicenseUrl", "https://creativecommons.org/publicdomain/zero/1.0/", "license_conflict"),
    ],
)
def test_rejections(connector, munch, key, value, reason):
    (candidate,) = connector.parse_page(as_page(set_meta(munch, key, value)))
    assert candidate.license is None
    assert candidate.rejection == reason
    assert candidate.evidence[key] == value


@pytest.mark.parametrize(
    "categories",
    [
        "Media needing category review as of 31 October 2015",
        "Flickr images reviewed by FlickreviewR",
        "Items with OTRS permission confirmed",
    ],
)
def test_categories_that_do_not_doubt_the_license(connector, munch, categories):
    set_meta(munch, "Categories", categories)
    (candidate,) = connector.parse_page(as_page(munch))
    assert candidate.license == PD


@pytest.mark.parametrize(
    ("license_id", "url", "code"),
    [
        ("cc0", "http://creativecommons.org/publicdomain/zero/1.0/deed.en", CC0),
        ("cc0", "//creativecommons.org/publicdomain/zero/1.0/", CC0),
        ("pd", "https://creativecommons.org/publicdomain/mark/1.0/", PD),
        ("pd", "", PD),
    ],
)
def test_license_with_a_matching_url(connector, munch, license_id, url, code):
    set_meta(munch, "License", license_id)
    set_meta(munch, "LicenseUrl", url)
    (candidate,) = connector.parse_page(as_page(munch))
    assert candidate.license == code


@pytest.mark.parametrize(
    ("short_name", "reason"),
    [
        ("No restrictions", "license_ambiguous"),
        ("Public domain", "license_ambiguous"),
        ("CC BY-SA 4.0", RESTRICTED),
        ("CC0", "license_missing"),  # never accepted without the License id
        (None, "license_missing"),
    ],
)
def test_missing_license_id_is_never_accepted(connector, munch, short_name, reason):
    set_meta(munch, "License", None)
    set_meta(munch, "LicenseShortName", short_name)
    (candidate,) = connector.parse_page(as_page(munch))
    assert (candidate.license, candidate.rejection) == (None, reason)
    assert candidate.evidence["License"] is None


def test_record_without_image_url(connector, munch):
    del munch["imageinfo"][0]["url"]
    (candidate,) = connector.parse_page(as_page(munch))
    assert (candidate.source_record_id, candidate.rejection) == ("44672212", "missing_image_url")
    assert candidate.license is None


def test_record_without_pageid(connector, munch):
    del munch["pageid"]
    page = {"batchcomplete": "", "query": {"pages": {"x": munch}}}
    (candidate,) = connector.parse_page(page)
    assert (candidate.source_record_id, candidate.rejection) == ("", "missing_record_id")


def test_pages_without_imageinfo_are_left_to_their_batch(connector, munch):
    # Prop continuation: pages already (or not yet) given imageinfo come without it.
    partial = {"pageid": 1, "ns": 6, "title": "File:Elsewhere.jpg"}
    assert decisions(connector.parse_page(as_page(partial, munch))) == ({"44672212": PD}, {})


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "not json",
        {"query": {"pages": "nope"}},
        {"query": []},
        {"warnings": {}},
        {"error": {"code": "badvalue", "info": "Unrecognized value"}},
    ],
)
def test_malformed_page(connector, payload):
    with pytest.raises(MalformedPayload):
        connector.parse_page(payload)


def test_empty_batch(connector):
    assert connector.parse_page({"batchcomplete": ""}) == []


# --- requests and paging --------------------------------------------------------------


def test_first_request(connector):
    request = connector.first_request(since=None)
    assert request.url == "https://commons.wikimedia.org/w/api.php"
    assert request.params["action"] == "query"
    assert request.params["generator"] == "allimages"
    assert request.params["gaisort"] == "timestamp"
    assert request.params["prop"] == "imageinfo"
    assert request.params["iiprop"] == "url|size|mime|timestamp|extmetadata|sha1"
    assert request.params["format"] == "json"
    assert "gaistart" not in request.params
    since = connector.first_request(since=date(2024, 3, 1))
    assert since.params["gaistart"] == "2024-03-01T00:00:00Z"


def test_next_request_uses_only_the_latest_continue(connector):
    first = connector.first_request(since=date(2024, 3, 1))
    second = connector.next_request(load("wmc_pretty1.json"), first)
    assert second.params["gucontinue"] == "Edvard_Munch_-_Night_in_Nice_(1891).jpg|nowiki|1281339"
    third = connector.next_request(load("wmc_pretty4.json"), second)
    assert "gucontinue" not in third.params
    assert third.params["continue"] == "gaicontinue||"
    assert third.params["gaistart"] == "2024-03-01T00:00:00Z"
    assert connector.next_request(load("wmc_raw.json"), third) is None


def test_records_request(connector):
    request = connector.records_request(["44672212", "44672214"])
    assert request.params["pageids"] == "44672212|44672214"
    assert "generator" not in request.params
    assert request.params["iiprop"] == "url|size|mime|timestamp|extmetadata|sha1"


def test_pages_follow_continue(connector, settings):
    first, last = load("wmc_pretty4.json"), load("wmc_raw.json")
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        seen.append((params, request.headers.get("User-Agent")))
        assert str(request.url).startswith(API_URL)
        return httpx.Response(200, json=last if "gaicontinue" in params else first)

    with Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0) as fetcher:
        assert list(connector.pages(fetcher)) == [first, last]
    assert len(seen) == 2
    assert "gaicontinue" not in seen[0][0]
    assert seen[1][0]["gaicontinue"] == first["continue"]["gaicontinue"]
    assert seen[1][0]["continue"] == "gaicontinue||"
    assert {agent for _, agent in seen} == {settings.INGEST_USER_AGENT}
