"""50 concurrent download requests on PostgreSQL against a quota of 10 and a small wallet:
exactly what the quota and balance allow is granted, and every grant matches a charge."""

import pytest
from django.db.models import Sum
from rest_framework.test import APIClient

from billing.ledger import wallet_of
from billing.models import LedgerTransaction, Posting, QuotaUsage, TransactionKind
from marketplace.models import DownloadGrant, Role
from tests.auth import token_for
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work, stored_asset
from tests.threads import in_threads

TRAINING = {"purpose": "research", "use": "ai_training"}  # what these downloads declare

pytestmark = pytest.mark.django_db(transaction=True)

COST = 100_000  # 99,000 price + 1,000 fee


def race(buyer, asset_ids: list[int]) -> list[int]:
    token = token_for(buyer)

    def request(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = client.post("/api/v1/downloads/",
                               {"asset_ids": [asset_ids[i]], **TRAINING},
                               format="json")  # fmt: skip
        return response.status_code

    return in_threads(len(asset_ids), request)


def test_the_quota_binds(make_user, settings):
    settings.PLAN_FREE_MONTHLY_DOWNLOADS = 10
    buyer = make_user("quota-racer", role=Role.BUYER)
    assets = [stored_asset() for _ in range(50)]
    statuses = race(buyer, [a.pk for a in assets])
    assert sorted(statuses) == [201] * 10 + [429] * 40, statuses
    assert DownloadGrant.objects.filter(buyer=buyer).count() == 10
    assert QuotaUsage.objects.get(buyer=buyer).used == 10


def test_the_wallet_binds_and_every_grant_has_its_charge(make_user, settings):
    settings.PLAN_FREE_MONTHLY_DOWNLOADS = 10
    buyer = make_user("wallet-racer", role=Role.BUYER)
    artist = make_user("painter", role=Role.RIGHTS_HOLDER)
    works = [opt_in_work(artist, price_micros=COST - 1_000) for _ in range(25)]
    free = [stored_asset() for _ in range(25)]
    fund(buyer, 6 * COST + 50_000)  # covers 6 paid downloads
    ids = [w.asset_id for w in works] + [a.pk for a in free]
    statuses = race(buyer, ids)
    assert set(statuses) <= {201, 402, 429}, statuses
    grants = DownloadGrant.objects.filter(buyer=buyer)
    paid = grants.filter(price_micros__gt=0)
    assert statuses.count(201) == grants.count() <= 10
    assert paid.count() <= 6
    charges = LedgerTransaction.objects.filter(kind=TransactionKind.DOWNLOAD)
    assert charges.count() == paid.count()
    assert set(paid.values_list("charge_key", flat=True)) == set(
        charges.values_list("idempotency_key", flat=True)
    )
    assert wallet_of(buyer).balance_micros == 6 * COST + 50_000 - paid.count() * COST
    assert QuotaUsage.objects.get(buyer=buyer).used == grants.count()
    assert Posting.objects.aggregate(total=Sum("amount_micros"))["total"] == 0


def test_paid_requests_alone_stop_exactly_where_the_wallet_ends(make_user, settings):
    settings.PLAN_FREE_MONTHLY_DOWNLOADS = 10
    buyer = make_user("broke-racer", role=Role.BUYER)
    artist = make_user("sculptor", role=Role.RIGHTS_HOLDER)
    works = [opt_in_work(artist, price_micros=COST - 1_000) for _ in range(50)]
    fund(buyer, 6 * COST + 50_000)
    statuses = race(buyer, [w.asset_id for w in works])
    assert sorted(statuses) == [201] * 6 + [402] * 44, statuses
    assert wallet_of(buyer).balance_micros == 50_000


def test_grants_for_different_uses_of_one_work_are_each_charged_exactly_once(make_user):
    """Two requests for each use of the same work race: each use is granted and charged
    once, at its own price; the second request of a use is a free re-download."""
    buyer = make_user("use-racer", role=Role.BUYER)
    artist = make_user("printer", role=Role.RIGHTS_HOLDER)
    prices = {"data_mining": 10_000, "ai_inference": 20_000, "ai_generative_training": 40_000,
              "ai_training": 30_000}  # fmt: skip
    work = opt_in_work(artist, uses=prices)
    fund(buyer, 1_000_000)
    token = token_for(buyer)
    uses = [use for use in prices for _ in range(2)]

    def request(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        body = {"asset_ids": [work.asset_id], "purpose": "research", "use": uses[i]}
        response = client.post("/api/v1/downloads/", body, format="json")
        return response.status_code, response.json()["downloads"][0]["new"]

    results = in_threads(len(uses), request)
    assert sorted(results) == [(201, False)] * 4 + [(201, True)] * 4, results
    grants = DownloadGrant.objects.filter(buyer=buyer)
    assert {g.use: g.price_micros for g in grants} == prices
    charges = LedgerTransaction.objects.filter(kind=TransactionKind.DOWNLOAD)
    assert charges.count() == 4
    assert set(grants.values_list("charge_key", flat=True)) == set(
        charges.values_list("idempotency_key", flat=True)
    )
    assert wallet_of(buyer).balance_micros == 1_000_000 - sum(prices.values()) - 4 * 1_000
    assert QuotaUsage.objects.get(buyer=buyer).used == 8
    assert Posting.objects.aggregate(total=Sum("amount_micros"))["total"] == 0
