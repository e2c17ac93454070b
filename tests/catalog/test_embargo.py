"""Releasing embargoed Commons files: re-read at the source after 14 days, then decided again."""

from datetime import timedelta

import httpx
import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.connectors.base import Fetcher
from catalog.embargo import release_embargoed
from catalog.models import Asset, AssetStatus
from provenance.models import ProvenanceEvent

pytestmark = pytest.mark.django_db


def commons_page(pageid: int, *, license="pd", categories="Paintings", uploaded="2026-10-01"):
    name = f"File:Work_{pageid}.jpg"
    return {
        "pageid": pageid,
        "ns": 6,
        "title": name,
        "imageinfo": [
            {
                "url": f"https://upload.wikimedia.org/wikipedia/commons/a/ab/Work_{pageid}.jpg",
                "descriptionurl": f"https://commons.wikimedia.org/wiki/{name}",
                "mime": "image/jpeg",
                "width": 1000,
                "height": 800,
                "timestamp": f"{uploaded}T12:00:00Z",
                "extmetadata": {
                    "License": {"value": license},
                    "LicenseShortName": {"value": "Public domain"},
                    "Restrictions": {"value": ""},
                    "Categories": {"value": categories},
                    "Artist": {"value": "Unknown painter"},
                },
            }
        ],
    }


def embargoed(pageid: int, *, days_ago: int) -> Asset:
    uploaded = timezone.now() - timedelta(days=days_ago)
    return Asset.objects.create(
        source="wikimedia_commons", source_record_id=str(pageid), license="pdm-1.0",
        original_url=f"https://upload.wikimedia.org/wikipedia/commons/a/ab/Work_{pageid}.jpg",
        status=AssetStatus.EMBARGOED, source_uploaded_at=uploaded,
        embargo_until=uploaded + timedelta(days=14),
    )  # fmt: skip


@pytest.fixture
def commons_api():
    """The MediaWiki API as the connector sees it, answering page-id look-ups."""
    pages: dict[int, dict] = {}
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids = request.url.params["pageids"]
        asked.append(ids)
        found = [pages[int(i)] for i in ids.split("|") if int(i) in pages]
        return httpx.Response(200, json={"batchcomplete": "", "query": {"pages": found}})

    with Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0) as fetcher:
        yield pages, asked, fetcher


def test_after_the_embargo_files_are_released_rejected_or_dropped(commons_api):
    pages, asked, fetcher = commons_api
    for pageid in (101, 102, 103, 104):
        embargoed(pageid, days_ago=20)
    pages[101] = commons_page(101, uploaded="2026-10-20")
    pages[102] = commons_page(102, categories="Paintings|Deletion requests November 2026")
    pages[103] = commons_page(103, license="cc-by-sa-4.0")

    report = release_embargoed(fetcher=fetcher)

    result = {a.source_record_id: (a.status, a.rejection_reason) for a in Asset.objects.all()}
    assert result == {
        "101": ("candidate", ""),
        "102": ("rejected", "commons_deletion_request"),
        "103": ("rejected", "license_restricted"),
        "104": ("rejected", "source_record_missing"),
    }
    assert asked == ["101|102|103|104"]
    assert report.accepted_ids == ["101"]
    assert ProvenanceEvent.objects.filter(reason="source_record_missing").count() == 1


def test_files_still_under_embargo_are_not_asked_for(commons_api):
    _, asked, fetcher = commons_api
    embargoed(201, days_ago=3)
    report = release_embargoed(fetcher=fetcher)
    assert asked == []
    assert report.seen == 0
    assert Asset.objects.get().status == "embargoed"


def test_a_source_outage_leaves_them_embargoed(settings):
    embargoed(301, days_ago=20)

    def down(request):
        return httpx.Response(503)

    with Fetcher(transport=httpx.MockTransport(down), rate_per_host=0, attempts=1) as fetcher:
        report = release_embargoed(fetcher=fetcher)
    assert report.errors == 1
    assert Asset.objects.get().status == "embargoed"


def test_command_prints_the_summary(capsys, monkeypatch):
    monkeypatch.setattr("catalog.embargo.Fetcher", lambda: Fetcher(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"query": {"pages": []}})),
        rate_per_host=0,
    ))  # fmt: skip
    embargoed(401, days_ago=20)
    call_command("release_embargoed")
    assert "release_embargoed: seen 1, accepted 0" in capsys.readouterr().out
    assert Asset.objects.get().rejection_reason == "source_record_missing"
