"""Buying and downloading: grants, quota, wallet, refusals and signed links."""

import httpx
import pytest
from django.core.files.storage import default_storage

from billing.ledger import payable_of, platform, wallet_of
from billing.models import AccountKind
from catalog.models import Asset, AssetStatus
from marketplace.models import DownloadGrant, Role
from marketplace.offers import current_terms, offer_set, offer_withdraw
from provenance.models import ProvenanceEvent
from tests.auth import sign_in
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work, stored_asset
from tests.marketplace.test_storage_s3 import s3_storage  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(make_user):
    return make_user("bob", role=Role.BUYER)


@pytest.fixture
def artist(make_user):
    return make_user("ada", role=Role.RIGHTS_HOLDER)


def client_for(api_client, user):
    sign_in(api_client, user)
    return api_client


def download(client, asset_ids, purpose="research", use="ai_training", **extra):
    body = {"asset_ids": asset_ids, "purpose": purpose, "use": use, **extra}
    return client.post("/api/v1/downloads/", body, format="json")


def test_a_base_set_download_is_free_counts_once_and_its_link_serves_the_file(api_client, buyer):
    asset = stored_asset()
    client = client_for(api_client, buyer)
    response = download(client, [asset.pk])
    assert response.status_code == 201, response.json()
    body = response.json()
    [item] = body["downloads"]
    assert (item["asset_id"], item["new"], item["license"]) == (asset.pk, True, "cc0-1.0")
    assert (item["price_usd"], item["fee_usd"], body["charged_usd"]) == ("0.000000",) * 3
    assert body["quota"]["used"] == 1 and body["quota"]["remaining"] == 999
    quota_page = client.get("/api/v1/quota/").json()  # the same quota, as its own endpoint shows
    assert body["quota"] == {k: v for k, v in quota_page.items() if k in body["quota"]}
    assert set(body["quota"]) == {"plan", "used", "limit", "remaining", "resets_at"}
    assert item["url"].startswith("http://testserver/api/v1/files/")
    api_client.credentials()
    served = api_client.get(item["url"])
    assert served.status_code == 200
    with default_storage.open(asset.original_key) as original:
        assert b"".join(served.streaming_content) == original.read()
    event = ProvenanceEvent.objects.get(asset_id=asset.pk, kind="download.granted")
    assert event.data["buyer_id"] == buyer.pk and event.data["purpose"] == "research"


def test_a_paid_download_charges_price_and_fee_and_a_redownload_is_free(api_client, buyer, artist):
    work = opt_in_work(artist, price_micros=99_000)
    fund(buyer, 1_000_000)
    client = client_for(api_client, buyer)
    first = download(client, [work.asset_id]).json()
    assert first["charged_usd"] == "0.100000"
    assert first["downloads"][0]["terms_version"] == current_terms().version
    assert first["wallet_usd"] == "0.900000"
    assert payable_of(artist).balance_micros == 99_000
    assert platform(AccountKind.PLATFORM_REVENUE).balance_micros == 1_000
    again = download(client, [work.asset_id]).json()
    assert (again["charged_usd"], again["downloads"][0]["new"]) == ("0.000000", False)
    assert again["quota"]["used"] == 2
    assert wallet_of(buyer).balance_micros == 900_000
    assert DownloadGrant.objects.filter(buyer=buyer).count() == 1
    kinds = list(ProvenanceEvent.objects.filter(asset_id=work.asset_id)
                 .filter(kind__startswith="download.").values_list("kind", flat=True))  # fmt: skip
    assert kinds == ["download.granted", "download.repeated"]


def test_a_price_change_applies_to_future_grants_only(api_client, buyer, artist, make_user):
    work = opt_in_work(artist, price_micros=10_000)
    fund(buyer, 1_000_000)
    download(client_for(api_client, buyer), [work.asset_id])
    offer_set(owner=artist, work_id=work.pk, uses={"ai_training": 500_000}, allow_research=True,
              allow_commercial=True, terms_version=current_terms().version)  # fmt: skip
    assert Asset.objects.get(pk=work.asset_id).price_micros == 500_000
    later = make_user("later", role=Role.BUYER)
    fund(later, 1_000_000)
    download(client_for(api_client, later), [work.asset_id])
    prices = dict(DownloadGrant.objects.values_list("buyer__username", "price_micros"))
    assert prices == {"bob": 10_000, "later": 500_000}
    assert (
        DownloadGrant.objects.get(buyer=buyer).offer_id
        != DownloadGrant.objects.get(buyer=later).offer_id
    )


def test_a_withdrawn_work_refuses_new_grants_but_earlier_grants_still_download(
    api_client, buyer, artist, make_user
):
    work = opt_in_work(artist, price_micros=0)
    fund(buyer, 10_000)
    client = client_for(api_client, buyer)
    assert download(client, [work.asset_id]).status_code == 201
    offer_withdraw(owner=artist, work_id=work.pk)
    assert download(client, [work.asset_id]).status_code == 201  # held grant: still valid
    newcomer = make_user("newcomer", role=Role.BUYER)
    fund(newcomer, 10_000)
    refused = download(client_for(api_client, newcomer), [work.asset_id])
    assert refused.status_code == 409
    assert refused.json()["error"]["fields"] == {str(work.asset_id): ["withdrawn"]}
    assert wallet_of(newcomer).balance_micros == 10_000


def test_a_takedown_refuses_downloads_and_kills_links_already_issued(api_client, buyer):
    asset = stored_asset()
    client = client_for(api_client, buyer)
    url = download(client, [asset.pk]).json()["downloads"][0]["url"]
    Asset.objects.filter(pk=asset.pk).update(status=AssetStatus.TAKEN_DOWN)
    gone = api_client.get(url)
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "taken_down"
    refused = download(client, [asset.pk])
    assert refused.json()["error"]["fields"] == {str(asset.pk): ["taken_down"]}


def test_expired_or_forged_links_are_refused(api_client, buyer, settings):
    asset = stored_asset()
    url = download(client_for(api_client, buyer), [asset.pk]).json()["downloads"][0]["url"]
    forged = url.replace("/files/", "/files/x")
    assert api_client.get(forged).status_code == 403
    settings.DOWNLOAD_URL_SECONDS = -1  # a link issued now is already too old
    late = download(client_for(api_client, buyer), [asset.pk]).json()["downloads"][0]["url"]
    api_client.credentials()
    expired = api_client.get(late)
    assert expired.status_code == 403
    assert "expired" in expired.json()["error"]["message"]
    grant_id, expires, signature = late.rstrip("/").rsplit("/", 1)[1][1:].split(".")
    longer = f"g{grant_id}.{int(expires) + 3600}.{signature}"  # a changed expiry
    assert api_client.get(f"/api/v1/files/{longer}/").status_code == 403


def test_quota_exceeded_says_when_it_resets_and_nothing_is_granted(api_client, buyer, settings):
    settings.PLAN_FREE_MONTHLY_DOWNLOADS = 2
    assets = [stored_asset() for _ in range(3)]
    client = client_for(api_client, buyer)
    refused = download(client, [a.pk for a in assets])
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert "resets on" in error["message"] and error["fields"]["remaining"] == ["2"]
    assert DownloadGrant.objects.count() == 0
    assert download(client, [assets[0].pk, assets[1].pk]).status_code == 201
    quota = client.get("/api/v1/quota/").json()
    assert (quota["used"], quota["remaining"], quota["limit"]) == (2, 0, 2)
    assert quota["resets_at"] == error["fields"]["resets_at"][0].replace("+00:00", "Z")


def test_insufficient_funds_names_the_amount_needed_and_changes_nothing(api_client, buyer, artist):
    works = [opt_in_work(artist, price_micros=499_000) for _ in range(2)]
    fund(buyer, 700_000)
    client = client_for(api_client, buyer)
    refused = download(client, [w.asset_id for w in works])
    assert refused.status_code == 402
    error = refused.json()["error"]
    assert error["code"] == "insufficient_funds"
    assert error["fields"]["needed_micros"] == ["300000"]
    assert DownloadGrant.objects.count() == 0
    assert client.get("/api/v1/quota/").json()["used"] == 0
    assert wallet_of(buyer).balance_micros == 700_000


def test_commercial_use_of_a_research_only_work_is_refused(api_client, buyer, artist):
    work = opt_in_work(artist, allow_commercial=False)
    fund(buyer, 1_000_000)
    refused = download(client_for(api_client, buyer), [work.asset_id], purpose="commercial")
    assert refused.json()["error"]["fields"] == {str(work.asset_id): ["purpose_not_allowed"]}


def test_skip_unavailable_grants_the_rest_and_lists_what_was_refused(api_client, buyer):
    good = stored_asset()
    embargoed = stored_asset(status=AssetStatus.EMBARGOED)
    uncloned = stored_asset(original_key="")
    body = download(client_for(api_client, buyer), [good.pk, embargoed.pk, 10**9, uncloned.pk],
                    skip_unavailable=True).json()  # fmt: skip
    assert [d["asset_id"] for d in body["downloads"]] == [good.pk]
    assert body["refused"] == {
        str(embargoed.pk): "not_found",
        str(10**9): "not_found",
        str(uncloned.pk): "not_stored",
    }


@pytest.mark.parametrize("skip", [True, False])
def test_when_every_asset_is_refused_the_409_does_not_suggest_skipping(api_client, buyer, skip):
    gone = stored_asset(status=AssetStatus.TAKEN_DOWN)
    response = download(client_for(api_client, buyer), [gone.pk, 10**9], skip_unavailable=skip)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["message"] == (
        "None of the 2 requested assets can be downloaded (1 not found, 1 taken down); "
        "nothing was granted or charged."
    )
    assert "skip_unavailable" not in error["message"]
    assert error["fields"] == {str(gone.pk): ["taken_down"], str(10**9): ["not_found"]}
    assert not DownloadGrant.objects.exists()


def test_a_single_refused_asset_is_named_in_the_singular(api_client, buyer):
    client = client_for(api_client, buyer)
    alone = download(client, [10**9], skip_unavailable=True).json()["error"]["message"]
    assert alone == (
        "The requested asset cannot be downloaded (1 not found); nothing was granted or charged."
    )
    one_of_two = download(client, [stored_asset().pk, 10**9]).json()["error"]["message"]
    assert one_of_two == (
        "1 of the 2 requested assets cannot be downloaded (1 not found); nothing was granted or "
        "charged. Remove it, or send skip_unavailable=true to get the rest."
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"purpose": "research"}, "asset_ids"),
        ({"asset_ids": [1], "collection": 2, "purpose": "research"}, "asset_ids"),
        ({"asset_ids": [1], "purpose": "warfare"}, "purpose"),
        ({"asset_ids": ["x"], "purpose": "research"}, "asset_ids.0"),
        ({"asset_ids": list(range(1, 10_002)), "purpose": "research"}, "asset_ids"),
    ],
)
def test_bad_download_requests_get_a_400_naming_the_field(api_client, buyer, payload, field):
    response = client_for(api_client, buyer).post("/api/v1/downloads/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_downloading_a_collection(api_client, buyer):
    assets = [stored_asset() for _ in range(3)]
    client = client_for(api_client, buyer)
    collection = client.post("/api/v1/collections/", {"name": "birds"}, format="json").json()
    client.post(f"/api/v1/collections/{collection['id']}/items/",
                {"asset_ids": [a.pk for a in assets]}, format="json")  # fmt: skip
    body = client.post("/api/v1/downloads/", {"collection": collection["id"],
                       "purpose": "research"}, format="json").json()  # fmt: skip
    assert sorted(d["asset_id"] for d in body["downloads"]) == sorted(a.pk for a in assets)


def test_on_s3_the_link_is_presigned_and_fetches_the_file(api_client, buyer, s3_storage):  # noqa: F811
    asset = stored_asset()
    url = download(client_for(api_client, buyer), [asset.pk]).json()["downloads"][0]["url"]
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    fetched = httpx.get(url)
    assert fetched.status_code == 200
    with default_storage.open(asset.original_key) as original:
        assert fetched.content == original.read()
