"""Billing endpoints as buyers and rights holders use them, on the sandbox and on Stripe."""

import pytest

from billing.models import TopUp
from billing.services import ChargeItem, charge_downloads
from marketplace.models import Role
from tests.auth import sign_in
from tests.billing.conftest import fund

pytestmark = pytest.mark.django_db


def as_user(api_client, user):
    sign_in(api_client, user)
    return api_client


def test_top_up_on_stripe_returns_the_checkout_url(fake_stripe, api_client, buyer):
    response = as_user(api_client, buyer).post(
        "/api/v1/billing/top-ups/", {"amount_usd": "10.00"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["checkout_url"].startswith("https://checkout.stripe.com/")
    assert response.json()["sandbox"] is False


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("7.00", "fixed amounts"),
        ("-5", "fixed amounts"),
        ("abc", "valid number"),
        ("1000000000", "digits"),
        (None, "required"),
    ],
)
def test_bad_top_up_amounts_get_a_400_naming_the_field(sandbox, api_client, buyer, amount, message):
    body = {} if amount is None else {"amount_usd": amount}
    response = as_user(api_client, buyer).post("/api/v1/billing/top-ups/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "amount_usd" in error["fields"]
    assert message in " ".join(error["fields"]["amount_usd"]) + error["message"]
    assert TopUp.objects.count() == 0


def test_any_amount_in_range_when_no_fixed_amounts_are_set(sandbox, api_client, buyer, settings):
    settings.TOP_UP_AMOUNTS_MICROS = []
    client = as_user(api_client, buyer)
    assert (
        client.post("/api/v1/billing/top-ups/", {"amount_usd": "7.35"}, format="json").status_code
        == 201
    )
    low = client.post("/api/v1/billing/top-ups/", {"amount_usd": "0.49"}, format="json")
    assert low.status_code == 400
    assert "between USD 5.000000 and USD 500.000000" in low.json()["error"]["message"]


def test_roles_guard_the_billing_endpoints(sandbox, api_client, buyer, artist):
    as_artist = as_user(api_client, artist)
    assert as_artist.get("/api/v1/billing/wallet/").status_code == 403
    assert as_artist.post("/api/v1/billing/top-ups/", {"amount_usd": "5"}).status_code == 403
    assert as_artist.get("/api/v1/billing/statement/").status_code == 403
    as_buyer = as_user(api_client, buyer)
    assert as_buyer.get("/api/v1/billing/payouts/").status_code == 403
    assert as_buyer.post("/api/v1/billing/payouts/onboarding/").status_code == 403
    assert as_buyer.get("/api/v1/billing/earnings/").status_code == 403
    api_client.credentials()
    assert api_client.get("/api/v1/billing/wallet/").status_code == 401


def test_statements_show_each_side_only_their_own_money(
    sandbox, api_client, buyer, artist, make_user
):
    other_buyer = make_user("other", role=Role.BUYER)
    fund(buyer, 1_000_000)
    fund(other_buyer, 1_000_000, key="other")
    charge_downloads(buyer=buyer, items=[ChargeItem("asset:7", artist.pk, 250_000)],
                     idempotency_key="k1")  # fmt: skip
    charge_downloads(buyer=buyer, items=[ChargeItem("asset:7", artist.pk, 250_000),
                                         ChargeItem("asset:8", artist.pk, 100_000)],
                     idempotency_key="k2")  # fmt: skip
    lines = as_user(api_client, buyer).get("/api/v1/billing/statement/").json()["results"]
    assert [line["amount_usd"] for line in lines] == ["-0.352000", "-0.251000", "1.000000"]
    assert as_user(api_client, other_buyer).get("/api/v1/billing/statement/").json()["count"] == 1
    earnings = as_user(api_client, artist).get("/api/v1/billing/earnings/").json()
    assert earnings["works"] == [
        {"reference": "asset:7", "net_usd": "0.500000", "postings": 2},
        {"reference": "asset:8", "net_usd": "0.100000", "postings": 1},
    ]
    bad = as_user(api_client, artist).get("/api/v1/billing/earnings/?since=yesterday")
    assert bad.status_code == 400 and "since" in bad.json()["error"]["fields"]
