"""A rights holder's full usage history: every audit-log event on their works, buyers kept
private, with filters and pages."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.models import Role, Work
from provenance.models import AuditSeal, EventKind, ProvenanceEvent
from provenance.services import events_seal
from tests.billing.conftest import fund
from tests.catalog.images import jpeg
from tests.marketplace.factories import opt_in_work
from tests.marketplace.test_downloads import download
from tests.marketplace.test_works_api import offer
from tests.marketplace.works_helpers import artist as works_artist
from tests.marketplace.works_helpers import upload

pytestmark = pytest.mark.django_db

HISTORY = "/api/v1/usage/history/"


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def artist(make_user):
    return make_user("ada", role=Role.RIGHTS_HOLDER)


@pytest.fixture
def buyer(make_user):
    """A buyer whose name, email and id are easy to spot in a response body."""
    user = make_user("quokka-buyer", role=Role.BUYER, email="quokka@buyers.example",
                     id=987_654_321)  # fmt: skip
    fund(user, 10_000_000)
    return user


def history(client, **params) -> dict:
    response = client.get(HISTORY, params)
    assert response.status_code == 200, response.json()
    return response.json()


def kinds(body) -> list[str]:
    return [row["kind"] for row in body["results"]]


def uploaded_and_offered(client) -> Work:
    """A work uploaded, described again, declared and offered through the API, as a trusted
    artist does (their declaration is accepted at once)."""
    response = upload(client, jpeg(7), "harbour.jpg")
    assert response.status_code == 201, response.json()
    work_id = response.json()["works"][0]["id"]
    edited = client.patch(f"/api/v1/works/{work_id}/", {"title": "Harbour, dusk"}, format="json")
    assert edited.status_code == 200, edited.json()
    declared = client.post(f"/api/v1/works/{work_id}/declaration/", {"statement": "Mine."},
                           format="multipart")  # fmt: skip
    assert declared.status_code == 201, declared.json()
    offered = offer(client, work_id, price_usd="0.05", allow_commercial=True)
    assert offered.status_code == 200, offered.json()
    return Work.objects.get(pk=work_id)


def test_uploads_offers_and_downloads_appear_newest_first(make_user, buyer):
    client = signed_in(works_artist(make_user, "tia", trusted=True))
    work = uploaded_and_offered(client)
    assert work.asset.status == "published"  # the offer published it
    buyer_client = signed_in(buyer)
    assert (
        download(buyer_client, [work.asset_id], purpose="commercial", use="ai_training").status_code
        == 201
    )
    assert (
        download(buyer_client, [work.asset_id], purpose="commercial", use="ai_training").status_code
        == 201
    )

    body = history(client)
    assert kinds(body)[:2] == [EventKind.DOWNLOAD_REPEATED, EventKind.DOWNLOAD_GRANTED]
    assert kinds(body)[-1] == EventKind.UPLOAD_STORED
    assert {EventKind.UPLOAD_DESCRIBED, EventKind.OWNERSHIP_DECLARED,
            EventKind.OWNERSHIP_ACCEPTED, EventKind.OFFER_SET} <= set(kinds(body))  # fmt: skip
    assert body["count"] == len(body["results"]) == ProvenanceEvent.objects.count()
    repeated, granted = body["results"][:2]
    assert granted["purpose"] == "commercial" and granted["price_usd"] == "0.050000"
    assert repeated["purpose"] == "commercial" and repeated["price_usd"] == "0.000000"
    assert granted["terms_version"] and granted["kind_label"] == "Download: licensed"
    assert {row["work_id"] for row in body["results"]} == {work.pk}
    assert {row["asset_id"] for row in body["results"]} == {work.asset_id}
    stored = body["results"][-1]
    assert stored["kind_label"] == "Upload: stored"
    assert (stored["purpose"], stored["price_usd"], stored["terms_version"]) == (None,) * 3
    ids = [row["id"] for row in body["results"]]
    assert ids == sorted(ids, reverse=True)


def test_buyers_never_appear_in_the_history(artist, buyer):
    work = opt_in_work(artist, price_micros=20_000)
    buyer_client = signed_in(buyer)
    download(buyer_client, [work.asset_id], purpose="research", use="ai_training")
    download(buyer_client, [work.asset_id], purpose="research", use="ai_training")
    # A flag raised by the buyer: the reporter's name is the event's actor.
    ProvenanceEvent.objects.create(asset_id=work.asset_id, kind=EventKind.FLAG_RAISED,
                                   reason="not_the_owner", actor=buyer.username,
                                   data={"flag_id": 1})  # fmt: skip
    events_seal()
    response = signed_in(artist).get(HISTORY)
    assert response.status_code == 200
    text = response.content.decode()
    assert kinds(response.json()) == [
        "flag.raised", "download.repeated", "download.granted", "offer.set"
    ]  # fmt: skip
    for private in ("quokka", "buyers.example", "987654321", "buyer_id", "actor", "grant_id"):
        assert private not in text, private
    granted = response.json()["results"][2]
    assert (granted["purpose"], granted["price_usd"]) == ("research", "0.020000")
    assert granted["seal_seq"] == AuditSeal.objects.get(event_id=granted["id"]).seq


def test_another_owners_events_never_appear(artist, buyer, make_user):
    mine = opt_in_work(artist)
    other_owner = make_user("zed", role=Role.RIGHTS_HOLDER)
    theirs = opt_in_work(other_owner)
    download(signed_in(buyer), [mine.asset_id, theirs.asset_id])
    ProvenanceEvent.objects.create(asset_id=theirs.asset_id, kind=EventKind.FLAG_RAISED,
                                   actor="someone")  # fmt: skip

    client = signed_in(artist)
    body = history(client)
    # The download and the offer.
    assert [(row["work_id"], row["asset_id"]) for row in body["results"]] == [
        (mine.pk, mine.asset_id)
    ] * 2
    assert history(signed_in(other_owner))["count"] == 3
    for work in (theirs.pk, 10**12):
        response = client.get(HISTORY, {"work": work})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert history(signed_in(make_user("new", role=Role.RIGHTS_HOLDER)))["count"] == 0


def test_filters_by_work_kind_and_days(artist, buyer, monkeypatch):
    first, second = opt_in_work(artist), opt_in_work(artist)
    download(signed_in(buyer), [first.asset_id, second.asset_id])
    download(signed_in(buyer), [first.asset_id])
    long_ago = datetime(2025, 3, 10, 23, 30, tzinfo=UTC)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: long_ago)
        ProvenanceEvent.objects.create(asset_id=second.asset_id, kind=EventKind.FLAG_RAISED,
                                       reason="offensive", actor="someone")  # fmt: skip
    client = signed_in(artist)

    assert kinds(history(client, work=first.pk)) == [
        "download.repeated", "download.granted", "offer.set"
    ]  # fmt: skip
    granted = history(client, kind="download.granted")
    assert {row["work_id"] for row in granted["results"]} == {first.pk, second.pk}
    assert set(kinds(granted)) == {"download.granted"}

    today = timezone.localdate()
    assert history(client, since=today.isoformat())["count"] == 5  # 3 downloads, 2 offers
    assert history(client, until="2025-03-10")["count"] == 1  # the whole of that day
    assert history(client, since="2025-03-11", until=today.isoformat())["count"] == 5
    assert history(client, since="2025-03-10", until="2025-03-10")["results"][0]["reason"] == (
        "offensive"
    )
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert history(client, since=tomorrow)["count"] == 0
    # The last day a date can name: to the end of time, not a crash.
    assert history(client, until="9999-12-31")["count"] == 6
    assert history(client, since="9999-12-31", until="9999-12-31")["count"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "download.stolen"}, "kind"),
        ({"work": "abc"}, "work"),
        ({"work": "0"}, "work"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-02-30"}, "until"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "since"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(artist, params, field):
    response = signed_in(artist).get(HISTORY, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error


def test_pages(artist, buyer):
    works = [opt_in_work(artist) for _ in range(5)]
    download(signed_in(buyer), [w.asset_id for w in works])
    client = signed_in(artist)
    first = history(client, page_size=2)
    # 5 offers and 5 downloads
    assert first["count"] == 10 and len(first["results"]) == 2 and first["previous"] is None
    seen = [row["id"] for row in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen.extend(row["id"] for row in page["results"])
    assert seen == sorted(ProvenanceEvent.objects.values_list("id", flat=True), reverse=True)
    assert client.get(HISTORY, {"page": 9}).status_code == 404


def test_only_rights_holders_read_a_usage_history(api_client, buyer):
    response = api_client.get(HISTORY)
    assert response.status_code == 401
    response = signed_in(buyer).get(HISTORY)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
