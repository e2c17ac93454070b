"""Per-use consent: an offer allows each use at its own price; a download declares its use
and is granted, priced and recorded for that one use; search filters by use."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from billing.ledger import payable_of, wallet_of
from catalog.consent.vocabulary import USES
from catalog.models import Asset
from catalog.services import asset_take_down
from marketplace.downloads import DownloadRefused
from marketplace.models import DownloadGrant, Role, TokenScope
from marketplace.offers import current_terms, offer_set
from marketplace.selectors import grant_use, work_uses
from marketplace.services import downloads_grant
from provenance.models import EventKind, ProvenanceEvent
from tests.auth import token_for
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work, stored_asset
from tests.marketplace.test_works_api import accept_ownership, offer, uploaded

pytestmark = pytest.mark.django_db

FEE = 1_000
TRAINING, GENERATIVE = "ai_training", "ai_generative_training"
# A rights holder who allows training at USD 0.05 and generative training at USD 0.20, and
# neither data mining nor inference.
PRICES = {TRAINING: 50_000, GENERATIVE: 200_000}


@pytest.fixture
def artist(make_user):
    return make_user("uma", role=Role.RIGHTS_HOLDER)


@pytest.fixture
def buyer(make_user):
    return make_user("ben", role=Role.BUYER)


@pytest.fixture
def client(buyer) -> APIClient:
    client = APIClient()
    client.force_authenticate(buyer)
    return client


def download(client, asset_ids, use=None, **extra):
    body = {"asset_ids": asset_ids, "purpose": "research", **extra}
    if use is not None:
        body["use"] = use
    return client.post("/api/v1/downloads/", body, format="json")


# --- offers -------------------------------------------------------------------------------


def test_an_offer_states_each_use_and_its_price_and_leaves_the_others_not_allowed(
    api_client, make_user
):
    api_client.force_authenticate(make_user("ada", role=Role.RIGHTS_HOLDER))
    work_id = uploaded(api_client)
    accept_ownership(work_id)
    response = offer(api_client, work_id, uses={TRAINING: "0.05", GENERATIVE: "0.2"})
    assert response.status_code == 200, response.json()
    body = response.json()["offer"]
    assert body["uses"] == [
        {"use": GENERATIVE, "price_usd": "0.200000", "fee_usd": "0.001000",
         "buyer_pays_usd": "0.201000"},
        {"use": TRAINING, "price_usd": "0.050000", "fee_usd": "0.001000",
         "buyer_pays_usd": "0.051000"},
    ]  # fmt: skip
    assert body["price_usd"] == "0.050000"  # the lowest, for "from" prices
    asset = Asset.objects.get()
    assert asset.use_prices == PRICES and asset.price_micros == 50_000
    event = ProvenanceEvent.objects.filter(kind=EventKind.OFFER_SET).get()
    assert event.data["uses"] == PRICES

    # The public answer: what a buyer may license it for, and at what price.
    public = APIClient().get(f"/api/v1/assets/{asset.pk}/").json()
    assert public["uses"] == {GENERATIVE: "0.200000", TRAINING: "0.050000"}
    assert [u["use"] for u in public["download"]["uses"]] == [GENERATIVE, TRAINING]


def test_offer_uses_are_checked(api_client, make_user):
    api_client.force_authenticate(make_user("ada", role=Role.RIGHTS_HOLDER))
    work_id = uploaded(api_client)
    none = offer(api_client, work_id, uses={})
    assert none.status_code == 400 and none.json()["error"]["fields"] == {
        "uses": ["Allow at least one use."]
    }
    unknown = offer(api_client, work_id, uses={"ai_everything": "1"})
    assert unknown.status_code == 400
    assert "the uses are data_mining, ai_inference" in str(unknown.json()["error"]["fields"])
    too_dear = offer(api_client, work_id, uses={TRAINING: "100000"})
    assert too_dear.status_code == 400 and "uses" in too_dear.json()["error"]["fields"]
    old_style = api_client.put(
        f"/api/v1/works/{work_id}/offer/",
        {"price_usd": "0.05", "terms_version": current_terms().version},
        format="json",
    )
    assert old_style.status_code == 400
    assert "Prices are set per use" in str(old_style.json()["error"]["fields"]["price_usd"])
    assert not Asset.objects.get().use_prices


def test_work_uses_names_what_the_current_offer_allows(artist):
    work = opt_in_work(artist, uses=PRICES)
    assert work_uses(work) == PRICES
    offer_set(owner=artist, work_id=work.pk, uses={"data_mining": 0}, allow_research=True,
              allow_commercial=False, terms_version=current_terms().version)  # fmt: skip
    assert work_uses(work) == {"data_mining": 0}
    unoffered = opt_in_work(artist, offered=False)
    assert work_uses(unoffered) == {}


# --- downloads ----------------------------------------------------------------------------


def test_a_grant_is_for_one_use_at_that_uses_price(client, buyer, artist):
    work = opt_in_work(artist, uses=PRICES)
    fund(buyer, 1_000_000)
    response = download(client, [work.asset_id], use=GENERATIVE)
    assert response.status_code == 201, response.json()
    [item] = response.json()["downloads"]
    assert (item["use"], item["price_usd"], item["fee_usd"]) == (GENERATIVE, "0.200000", "0.001000")
    assert response.json()["charged_usd"] == "0.201000"
    assert wallet_of(buyer).balance_micros == 1_000_000 - 201_000
    assert payable_of(artist).balance_micros == 200_000
    grant = DownloadGrant.objects.get()
    assert grant_use(grant) == GENERATIVE
    event = ProvenanceEvent.objects.get(kind=EventKind.DOWNLOAD_GRANTED)
    assert (event.data["use"], event.data["price_micros"]) == (GENERATIVE, 200_000)
    listed = client.get("/api/v1/downloads/").json()["results"]
    assert [(g["use"], g["price_usd"]) for g in listed] == [(GENERATIVE, "0.200000")]


def test_a_grant_for_one_use_does_not_grant_another(client, buyer, artist):
    work = opt_in_work(artist, uses=PRICES)
    fund(buyer, 1_000_000)
    first = download(client, [work.asset_id], use=TRAINING).json()["downloads"][0]
    again = download(client, [work.asset_id], use=TRAINING).json()
    assert again["downloads"][0]["grant_id"] == first["grant_id"]
    assert (again["downloads"][0]["new"], again["charged_usd"]) == (False, "0.000000")

    other = download(client, [work.asset_id], use=GENERATIVE).json()
    [item] = other["downloads"]
    assert item["new"] is True and item["grant_id"] != first["grant_id"]
    assert (item["use"], other["charged_usd"]) == (GENERATIVE, "0.201000")
    assert wallet_of(buyer).balance_micros == 1_000_000 - 51_000 - 201_000
    kinds = ProvenanceEvent.objects.filter(asset_id=work.asset_id).exclude(kind=EventKind.OFFER_SET)
    assert [(e.kind, e.data["use"]) for e in kinds.order_by("pk")] == [
        (EventKind.DOWNLOAD_GRANTED, TRAINING),
        (EventKind.DOWNLOAD_REPEATED, TRAINING),
        (EventKind.DOWNLOAD_GRANTED, GENERATIVE),
    ]


def test_a_use_the_offer_does_not_allow_is_refused_in_words(client, buyer, artist):
    work = opt_in_work(artist, uses=PRICES)
    fund(buyer, 1_000_000)
    refused = download(client, [work.asset_id], use="ai_inference")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["fields"] == {str(work.asset_id): ["use_not_allowed"]}
    assert (
        f"Asset {work.asset_id} is not offered for ai_inference; its offer allows "
        "ai_generative_training, ai_training." in error["message"]
    )
    unnamed = download(client, [work.asset_id])
    assert unnamed.status_code == 409
    assert unnamed.json()["error"]["fields"] == {str(work.asset_id): ["use_required"]}
    assert "Name the use (one of data_mining" in unnamed.json()["error"]["message"]
    unknown = download(client, [work.asset_id], use="ai_everything")
    assert unknown.status_code == 400
    assert "the uses are data_mining, ai_inference" in str(unknown.json()["error"]["fields"])
    assert not DownloadGrant.objects.exists()
    assert wallet_of(buyer).balance_micros == 1_000_000


def test_the_base_set_allows_every_use_for_free(client, buyer):
    asset = stored_asset()
    unnamed = download(client, [asset.pk])
    assert unnamed.status_code == 201, unnamed.json()
    assert unnamed.json()["downloads"][0]["use"] == ""
    for use in (GENERATIVE, "ai_inference"):  # any grant of it covers every use
        again = download(client, [asset.pk], use=use).json()
        assert again["downloads"][0]["new"] is False and again["charged_usd"] == "0.000000"
    assert DownloadGrant.objects.count() == 1
    named = stored_asset()
    assert download(client, [named.pk], use="data_mining").json()["downloads"][0]["use"] == (
        "data_mining"
    )


def test_a_grant_keeps_its_use_and_price_after_the_offer_changes(client, buyer, artist):
    work = opt_in_work(artist, uses=PRICES)
    fund(buyer, 1_000_000)
    download(client, [work.asset_id], use=GENERATIVE)
    offer_set(owner=artist, work_id=work.pk, uses={TRAINING: 10_000}, allow_research=True,
              allow_commercial=True, terms_version=current_terms().version)  # fmt: skip
    again = download(client, [work.asset_id], use=GENERATIVE).json()
    assert again["downloads"][0]["new"] is False  # bought before: still valid
    assert download(client, [work.asset_id], use="data_mining").status_code == 409
    assert DownloadGrant.objects.get().price_micros == 200_000


def test_a_token_without_purchase_may_redownload_a_use_but_not_buy_another(
    make_user, buyer, artist
):
    work = opt_in_work(artist, uses=PRICES)
    fund(buyer, 1_000_000)
    downloads_grant(buyer=buyer, asset_ids=[work.asset_id], purpose="research", use=TRAINING)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(buyer, scope=TokenScope.DOWNLOAD)}")
    assert download(client, [work.asset_id], use=TRAINING).status_code == 201
    refused = download(client, [work.asset_id], use=GENERATIVE)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_scope"


# --- search -------------------------------------------------------------------------------


def test_search_lists_only_what_may_be_used_so(artist):
    work = opt_in_work(artist, uses={TRAINING: 50_000})
    dear = opt_in_work(artist, uses={TRAINING: 900_000, GENERATIVE: 900_000})
    base = stored_asset()
    withdrawn = opt_in_work(artist, uses={GENERATIVE: 1})
    asset_take_down(asset_id=withdrawn.asset_id, actor="mod", reason="test")
    api = APIClient()

    def ids(**params):
        response = api.get("/api/v1/assets/", params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(use=TRAINING) == {work.asset_id, dear.asset_id, base.pk}
    assert ids(use=GENERATIVE) == {dear.asset_id, base.pk}
    assert ids(use="ai_inference") == {base.pk}  # the base set allows every use
    assert ids(use=TRAINING, max_price="0.1") == {work.asset_id, base.pk}
    assert ids(use=GENERATIVE, license="opt-in") == {dear.asset_id}

    refused = api.get("/api/v1/assets/", {"use": "training"})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["use"] == [
        'Unknown use "training"; the uses are data_mining, ai_inference, '
        "ai_generative_training, ai_training."
    ]


def test_the_search_page_filters_by_use(client, artist):
    work = opt_in_work(artist, uses={TRAINING: 50_000})
    Asset.objects.filter(pk=work.asset_id).update(title="Owl at night")
    assert b"Owl at night" in APIClient().get("/search/", {"use": TRAINING}).content
    page = APIClient().get("/search/", {"use": GENERATIVE})
    assert page.status_code == 200
    assert b"Owl at night" not in page.content
    assert b'<option value="ai_generative_training" selected>' in page.content
    bad = APIClient().get("/search/", {"use": "nonsense"})
    assert bad.status_code == 400 and b"the uses are data_mining" in bad.content


# --- the rights holder's usage report ----------------------------------------------------


def test_the_usage_report_counts_licenses_and_earnings_per_use(
    api_client, make_user, buyer, artist
):
    work = opt_in_work(artist, uses=PRICES)
    other = make_user("cy", role=Role.BUYER)
    for person in (buyer, other):
        fund(person, 1_000_000)
        downloads_grant(buyer=person, asset_ids=[work.asset_id], purpose="research",
                        use=TRAINING)  # fmt: skip
    downloads_grant(buyer=buyer, asset_ids=[work.asset_id], purpose="commercial", use=GENERATIVE)
    api_client.force_authenticate(artist)
    [row] = api_client.get("/api/v1/usage/").json()["works"]
    assert (row["grants"], row["buyers"]) == (3, 2)
    assert row["uses"] == {TRAINING: 2, GENERATIVE: 1}
    assert row["earned_by_use_usd"] == {TRAINING: "0.100000", GENERATIVE: "0.200000"}
    assert row["earned_usd"] == "0.300000"
    history = api_client.get("/api/v1/usage/history/", {"kind": "download.granted"}).json()
    assert sorted(e["use"] for e in history["results"]) == [GENERATIVE, TRAINING, TRAINING]
    csv = api_client.get("/api/v1/usage/export/").content.decode().splitlines()
    assert csv[0].endswith("research,commercial,data_mining,ai_inference,"
                           "ai_generative_training,ai_training")  # fmt: skip
    assert csv[1].endswith(",2,1,0,0,1,2")


# --- the buyer's pages --------------------------------------------------------------------


def test_a_buyer_sees_each_use_priced_and_licenses_the_one_chosen(buyer, artist):
    work = opt_in_work(artist, uses=PRICES)
    fund(buyer, 1_000_000)
    site = Client()
    site.force_login(buyer)
    page = site.get(f"/assets/{work.asset_id}/").content.decode()
    assert '$0.201</strong> <span class="muted small">(artist\'s price $0.20)' in page
    assert "Not allowed by the rights holder" in page  # data mining, inference
    assert f"/license/?asset={work.asset_id}&amp;use=ai_generative_training" in page
    results = site.get("/search/", {"use": GENERATIVE}).content.decode()
    assert "$0.201 for generative AI training" in results

    summary = site.get("/license/", {"asset": work.asset_id, "use": GENERATIVE}).content.decode()
    assert "$0.201 for generative AI training" in summary
    assert "Confirm and license for $0.201" in summary
    refused = site.get("/license/", {"asset": work.asset_id, "use": "ai_inference"})
    assert "its rights holder does not allow this use" in refused.content.decode()
    form = {"asset": work.asset_id, "step": "confirm", "purpose": "research", "use": GENERATIVE}
    assert site.post("/license/", form).status_code == 302
    assert grant_use(DownloadGrant.objects.get()) == GENERATIVE
    assert wallet_of(buyer).balance_micros == 1_000_000 - 201_000
    missing = site.post("/license/", {**form, "use": ""})
    assert missing.status_code == 400
    assert "Choose the use you license them for." in missing.content.decode()


@hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    offered=st.dictionaries(
        st.sampled_from(USES), st.integers(min_value=0, max_value=500_000), min_size=1
    ),
    requests=st.lists(st.sampled_from(USES), min_size=1, max_size=8),
)
def test_any_offer_and_any_requests_grant_and_charge_each_allowed_use_once(
    buyer, artist, settings, offered, requests
):
    """Whatever uses an offer allows and whatever uses a buyer asks for, in any order: a use
    the offer allows is granted once, at its price plus the fee, and free afterwards; any
    other use is refused and charges nothing."""
    settings.PLAN_FREE_MONTHLY_DOWNLOADS = 10**6
    work = opt_in_work(artist, uses=offered)
    fund(buyer, 10_000_000)
    seen: set[str] = set()
    for use in requests:
        before = wallet_of(buyer).balance_micros
        if use not in offered:
            with pytest.raises(DownloadRefused) as refused:
                downloads_grant(buyer=buyer, asset_ids=[work.asset_id], purpose="research",
                                use=use)  # fmt: skip
            assert refused.value.fields == {str(work.asset_id): ["use_not_allowed"]}
            assert wallet_of(buyer).balance_micros == before
            continue
        result = downloads_grant(buyer=buyer, asset_ids=[work.asset_id], purpose="research",
                                 use=use)  # fmt: skip
        [delivered] = result.delivered
        assert delivered.grant.use == use and delivered.new == (use not in seen)
        cost = 0 if use in seen else offered[use] + FEE
        assert result.charged_micros == cost
        assert wallet_of(buyer).balance_micros == before - cost
        seen.add(use)
    grants = DownloadGrant.objects.filter(buyer=buyer, asset_id=work.asset_id)
    assert {g.use: g.price_micros for g in grants} == {use: offered[use] for use in seen}


def test_licensing_only_base_set_images_on_the_site_needs_no_use(buyer):
    site = Client()
    site.force_login(buyer)
    asset = stored_asset()
    form = {"asset": asset.pk, "step": "confirm", "purpose": "research"}
    assert site.post("/license/", form).status_code == 302
    assert grant_use(DownloadGrant.objects.get()) == ""  # every use
