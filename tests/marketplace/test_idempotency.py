"""Idempotency-Key: a retried request gets the first answer and spends nothing again; the
same key with another request is refused; two identical requests racing charge once."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from billing.ledger import wallet_of
from billing.models import LedgerTransaction, QuotaUsage, TopUp, TransactionKind
from marketplace.models import DownloadGrant, IdempotentRequest, Role
from marketplace.tasks import clear_idempotent_requests
from tests.auth import sign_in, token_for
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work, stored_asset
from tests.threads import in_threads

COST = 100_000  # 99,000 price + 1,000 fee


def client_of(user) -> APIClient:
    client = APIClient()
    sign_in(client, user)
    return client


def download(client, asset_ids, key=None, path="/api/v1/downloads/", **extra):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    body = {"asset_ids": asset_ids, "purpose": "research", "use": "ai_training", **extra}
    return client.post(path, body, format="json", **headers)


def spent(buyer) -> tuple[int, int, int, int]:
    """Grants, quota used, wallet balance and download charges: what a request spends."""
    usage = QuotaUsage.objects.filter(buyer=buyer).first()
    return (
        DownloadGrant.objects.filter(buyer=buyer).count(),
        usage.used if usage else 0,
        wallet_of(buyer).balance_micros,
        LedgerTransaction.objects.filter(kind=TransactionKind.DOWNLOAD).count(),
    )


@pytest.fixture
def buyer(make_user):
    return make_user("retrier", role=Role.BUYER)


@pytest.fixture
def artist(make_user):
    return make_user("etcher", role=Role.RIGHTS_HOLDER)


@pytest.mark.django_db
def test_a_retry_gets_the_first_answer_and_spends_nothing(buyer, artist):
    work = opt_in_work(artist, price_micros=COST - 1_000)
    fund(buyer, 5 * COST)
    client = client_of(buyer)
    first = download(client, [work.asset_id, stored_asset().pk], key="order-7")
    assert first.status_code == 201, first.json()
    assert "Idempotent-Replayed" not in first
    after_first = spent(buyer)
    assert after_first == (2, 2, 4 * COST, 1)

    again = download(client, [work.asset_id, first.json()["downloads"][1]["asset_id"]],
                     key="order-7", path="/api/v1/downloads")  # fmt: skip
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert spent(buyer) == after_first


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_naming_the_key(buyer):
    client = client_of(buyer)
    first = download(client, [stored_asset().pk], key="k-1")
    assert first.status_code == 201
    before = spent(buyer)
    other = download(client, [stored_asset().pk], key="k-1")
    assert other.status_code == 422
    error = other.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "'k-1'" in error["message"]
    assert error["fields"] == {"Idempotency-Key": ["Already used for a different request."]}
    assert spent(buyer) == before
    # ... and so is the same key on another endpoint.
    top_up = client.post("/api/v1/billing/top-ups/", {"amount_usd": "25.00"}, format="json",
                         HTTP_IDEMPOTENCY_KEY="k-1")  # fmt: skip
    assert top_up.status_code == 422
    assert not TopUp.objects.exists()


@pytest.mark.django_db
def test_a_refused_request_keeps_nothing_so_its_retry_runs(buyer, artist):
    work = opt_in_work(artist, price_micros=COST - 1_000)
    client = client_of(buyer)
    refused = download(client, [work.asset_id], key="after-top-up")
    assert refused.status_code == 402
    assert not IdempotentRequest.objects.exists()
    fund(buyer, COST)
    retried = download(client, [work.asset_id], key="after-top-up")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert spent(buyer) == (1, 1, 0, 1)


@pytest.mark.django_db
def test_keys_are_each_buyers_own(buyer, make_user):
    other = make_user("someone-else", role=Role.BUYER)
    asset = stored_asset()
    assert download(client_of(buyer), [asset.pk], key="shared").status_code == 201
    theirs = download(client_of(other), [asset.pk], key="shared")
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert DownloadGrant.objects.filter(asset=asset).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\tkey"])
def test_a_malformed_key_is_a_400_naming_the_header(buyer, key):
    response = download(client_of(buyer), [stored_asset().pk], key=key)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["Idempotency-Key"]
    assert spent(buyer)[:2] == (0, 0)


@pytest.mark.django_db
def test_a_long_key_still_guards_the_charge(buyer, artist):
    work = opt_in_work(artist, price_micros=COST - 1_000)
    fund(buyer, COST)
    key = "k" * 255
    assert download(client_of(buyer), [work.asset_id], key=key).status_code == 201
    charge = LedgerTransaction.objects.get(kind=TransactionKind.DOWNLOAD)
    assert len(charge.idempotency_key) <= 200


@pytest.mark.django_db
def test_a_top_up_retried_opens_one_checkout(buyer):
    client = client_of(buyer)
    first = client.post("/api/v1/billing/top-ups/", {"amount_usd": "25.00"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="top-up-1")  # fmt: skip
    again = client.post("/api/v1/billing/top-ups/", {"amount_usd": "25.00"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="top-up-1")  # fmt: skip
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert TopUp.objects.count() == 1


@pytest.mark.django_db
def test_answers_are_forgotten_after_a_day(buyer):
    download(client_of(buyer), [stored_asset().pk], key="old")
    download(client_of(buyer), [stored_asset().pk], key="new")
    IdempotentRequest.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    assert clear_idempotent_requests() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_identical_requests_racing_with_one_key_charge_once(buyer, artist):
    work = opt_in_work(artist, price_micros=COST - 1_000)
    fund(buyer, 5 * COST)
    base = stored_asset()
    token = token_for(buyer)

    def request(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return download(client, [work.asset_id, base.pk], key="double-click")

    responses = in_threads(4, request)
    assert [r.status_code for r in responses] == [201] * 4, responses
    assert sum(r.get("Idempotent-Replayed") == "true" for r in responses) == 3
    assert all(r.json() == responses[0].json() for r in responses)
    assert spent(buyer) == (2, 2, 4 * COST, 1)
