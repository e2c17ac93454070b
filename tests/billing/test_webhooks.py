"""Stripe webhooks: signed events posted to the endpoint, processed through the real stripe
library's verification, applied once, in any order."""

import time

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from billing.ledger import platform, wallet_of
from billing.models import AccountKind, StripeEvent, TopUp
from billing.topups import top_up_start
from tests.billing.stripe_fake import event, stripe_object

pytestmark = pytest.mark.django_db


def paid_session(top_up: TopUp, *, amount_cents: int = 2500, pi: str = "pi_1") -> dict:
    return stripe_object(
        "checkout.session",
        id=top_up.checkout_session_id,
        mode="payment",
        payment_status="paid",
        status="complete",
        amount_total=amount_cents,
        payment_intent=pi,
    )


def refunded_charge(*, pi: str = "pi_1", refunded_cents: int) -> dict:
    return stripe_object(
        "charge", id="ch_1", payment_intent=pi, amount=2500, amount_refunded=refunded_cents,
        refunded=refunded_cents == 2500,
    )  # fmt: skip


def test_a_top_up_is_credited_only_by_the_signed_paid_webhook(fake_stripe, buyer, deliver):
    top_up, redirect = top_up_start(buyer=buyer, amount_micros=25_000_000)
    assert redirect.url.startswith("https://checkout.stripe.com/")
    sent = fake_stripe.requests[-1]
    assert sent["path"] == "/v1/checkout/sessions"
    assert sent["params"]["line_items[0][price_data][unit_amount]"] == "2500"
    assert wallet_of(buyer).balance_micros == 0

    unpaid = stripe_object("checkout.session", id=top_up.checkout_session_id, mode="payment",
                           payment_status="unpaid")  # fmt: skip
    assert deliver(event("checkout.session.completed", unpaid)).status_code == 200
    assert wallet_of(buyer).balance_micros == 0

    response = deliver(event("checkout.session.completed", paid_session(top_up)))
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    top_up.refresh_from_db()
    assert (top_up.state, top_up.payment_intent_id) == ("paid", "pi_1")
    assert wallet_of(buyer).balance_micros == 25_000_000
    assert platform(AccountKind.STRIPE_CLEARING).balance_micros == -25_000_000


def test_the_same_event_delivered_twice_is_stored_and_applied_once(fake_stripe, buyer, deliver):
    top_up, _ = top_up_start(buyer=buyer, amount_micros=25_000_000)
    completed = event("checkout.session.completed", paid_session(top_up))
    deliver(completed)
    second = deliver(completed)
    assert second.json() == {"received": True, "duplicate": True}
    assert StripeEvent.objects.filter(event_id=completed["id"]).count() == 1
    # A second, distinct event about the same payment credits nothing more either.
    deliver(event("checkout.session.async_payment_succeeded", paid_session(top_up)))
    assert wallet_of(buyer).balance_micros == 25_000_000


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"secret": "whsec_forged"}, "signature"),
        ({"timestamp": int(time.time()) - 3600}, "signature"),  # replayed an hour later
        ({"header": ""}, "signature"),
        ({"header": "t=1,v1=deadbeef"}, "signature"),
    ],
)
def test_forged_stale_or_missing_signatures_get_400_and_change_nothing(
    fake_stripe, buyer, deliver, kwargs, reason
):
    top_up, _ = top_up_start(buyer=buyer, amount_micros=25_000_000)
    response = deliver(event("checkout.session.completed", paid_session(top_up)), **kwargs)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert reason in response.json()["error"]["message"]
    assert StripeEvent.objects.count() == 0
    assert wallet_of(buyer).balance_micros == 0


def test_a_body_that_is_not_an_event_gets_400(fake_stripe, client):
    from tests.billing.stripe_fake import sign

    response = client.post(
        "/api/v1/billing/stripe/webhook/", data=b"not json", content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(b"not json"),
    )  # fmt: skip
    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_webhooks_are_refused_when_no_secret_is_configured(sandbox, client, buyer):
    response = client.post(
        "/api/v1/billing/stripe/webhook/", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 400
    assert "not configured" in response.json()["error"]["message"]


def test_a_partial_refund_takes_back_only_what_was_refunded(fake_stripe, buyer, deliver):
    top_up, _ = top_up_start(buyer=buyer, amount_micros=25_000_000)
    deliver(event("checkout.session.completed", paid_session(top_up)))
    deliver(event("charge.refunded", refunded_charge(refunded_cents=1000)))
    assert wallet_of(buyer).balance_micros == 15_000_000
    deliver(event("charge.refunded", refunded_charge(refunded_cents=1500)))
    assert wallet_of(buyer).balance_micros == 10_000_000
    assert not wallet_of(buyer).frozen


def test_a_refund_beyond_what_is_left_empties_and_freezes_the_wallet(
    fake_stripe, buyer, artist, deliver
):
    from billing.services import ChargeItem, charge_downloads

    top_up, _ = top_up_start(buyer=buyer, amount_micros=25_000_000)
    deliver(event("checkout.session.completed", paid_session(top_up)))
    charge_downloads(buyer=buyer, items=[ChargeItem("asset:1", artist.pk, 19_999_000)],
                     idempotency_key="spend")  # fmt: skip
    deliver(event("charge.dispute.created",
                  stripe_object("dispute", payment_intent="pi_1", amount=2500)))  # fmt: skip
    wallet = wallet_of(buyer)
    assert wallet.balance_micros == 0
    assert wallet.frozen
    assert "exceeded the wallet by USD 20.000000" in wallet.frozen_reason
    assert platform(AccountKind.REFUNDS).balance_micros == -20_000_000


EVENTS = ["completed", "refund_800", "refund_1200", "dispute_500", "duplicate_completed"]


@hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(EVENTS))
def test_any_order_of_events_gives_the_same_ledger(fake_stripe, make_user, deliver, order):
    buyer = make_user(f"buyer-{time.time_ns()}")
    top_up, _ = top_up_start(buyer=buyer, amount_micros=25_000_000)
    pi = f"pi_{top_up.pk}"
    completed = event("checkout.session.completed", paid_session(top_up, pi=pi))
    events = {
        "completed": completed,
        "duplicate_completed": completed,
        "refund_800": event("charge.refunded", refunded_charge(pi=pi, refunded_cents=800)),
        "refund_1200": event("charge.refunded", refunded_charge(pi=pi, refunded_cents=1200)),
        "dispute_500": event("charge.dispute.created",
                             stripe_object("dispute", payment_intent=pi, amount=500)),
    }  # fmt: skip
    for name in order:
        assert deliver(events[name]).status_code == 200
    # 25.00 paid, 12.00 refunded in all, 5.00 disputed.
    assert wallet_of(buyer).balance_micros == 8_000_000
    assert not wallet_of(buyer).frozen
