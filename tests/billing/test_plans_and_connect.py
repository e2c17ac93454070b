"""The Curation subscription and Connect onboarding, driven by signed Stripe events."""

import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from billing.connect import connect_onboarding_url
from billing.models import ConnectAccount, Subscription
from billing.plans import plan_for
from billing.subscriptions import AlreadySubscribed, portal_url, subscription_start
from tests.billing.stripe_fake import event, stripe_object

pytestmark = pytest.mark.django_db

START, END = 1_893_456_000, 1_896_134_400  # 2030-01-01 .. 2030-02-01 UTC
NOW = datetime(2030, 1, 15, tzinfo=UTC)


def subscription_obj(customer: str, *, status: str = "active", sub_id: str = "sub_1") -> dict:
    obj = stripe_object("subscription", id=sub_id, customer=customer, status=status,
                        cancel_at_period_end=False)  # fmt: skip
    obj["items"]["data"][0].update(current_period_start=START, current_period_end=END)
    return obj


def invoice_obj(customer: str, *, sub_id: str = "sub_1", start=START, end=END) -> dict:
    invoice = stripe_object("invoice", customer=customer, status="paid")
    invoice["parent"] = {
        "type": "subscription_details",
        "subscription_details": {"subscription": sub_id, "metadata": {}},
    }
    invoice["lines"]["data"][0]["period"] = {"start": start, "end": end}
    return invoice


def test_subscribing_opens_checkout_for_the_curation_price(fake_stripe, buyer):
    redirect = subscription_start(buyer=buyer)
    session = fake_stripe.requests[-1]
    assert session["path"] == "/v1/checkout/sessions"
    assert session["params"]["mode"] == "subscription"
    assert session["params"]["line_items[0][price]"] == "price_curation_test"
    customer = Subscription.objects.get(buyer=buyer).stripe_customer_id
    assert session["params"]["customer"] == customer
    assert redirect.url.startswith("https://checkout.stripe.com/")


def test_a_paid_subscription_gives_the_curation_plan_and_its_period(fake_stripe, buyer, deliver):
    subscription_start(buyer=buyer)
    customer = Subscription.objects.get(buyer=buyer).stripe_customer_id
    assert plan_for(buyer, now=NOW).plan.code == "free"
    deliver(event("customer.subscription.created", subscription_obj(customer)))
    period = plan_for(buyer, now=NOW)
    assert (period.plan.code, period.plan.monthly_quota) == ("curation", 10_000)
    assert period.period_end == datetime(2030, 2, 1, tzinfo=UTC)
    with pytest.raises(AlreadySubscribed):
        subscription_start(buyer=buyer)
    assert portal_url(buyer=buyer).startswith("https://")
    # Free outside the paid period, counted per calendar month.
    later = plan_for(buyer, now=datetime(2030, 3, 5, tzinfo=UTC))
    assert later.plan.code == "free"
    assert later.period_start == datetime(2030, 3, 1, tzinfo=UTC)


def test_a_failed_renewal_then_a_cancellation_fall_back_to_free(fake_stripe, buyer, deliver):
    subscription_start(buyer=buyer)
    customer = Subscription.objects.get(buyer=buyer).stripe_customer_id
    deliver(event("customer.subscription.created", subscription_obj(customer), created=100))
    deliver(event("invoice.payment_failed", invoice_obj(customer), created=200))
    assert plan_for(buyer, now=NOW).plan.code == "free"
    deliver(event("invoice.paid", invoice_obj(customer), created=300))
    assert plan_for(buyer, now=NOW).plan.code == "curation"
    deliver(event("customer.subscription.deleted", subscription_obj(customer, status="canceled"),
                  created=400))  # fmt: skip
    assert plan_for(buyer, now=NOW).plan.code == "free"
    assert Subscription.objects.get(buyer=buyer).status == "canceled"


@hsettings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(["created", "paid", "failed", "paid_again", "deleted"]))
def test_subscription_events_in_any_order_end_in_the_same_state(
    fake_stripe, make_user, deliver, order
):
    buyer = make_user(f"sub-{time.time_ns()}")
    subscription_start(buyer=buyer)
    customer = Subscription.objects.get(buyer=buyer).stripe_customer_id
    events = {
        "created": event("customer.subscription.created", subscription_obj(customer), created=1),
        "paid": event("invoice.paid", invoice_obj(customer), created=2),
        "failed": event("invoice.payment_failed", invoice_obj(customer), created=3),
        "paid_again": event("invoice.paid", invoice_obj(customer), created=4),
        "deleted": event("customer.subscription.deleted",
                         subscription_obj(customer, status="canceled"), created=5),
    }  # fmt: skip
    for name in order:
        deliver(events[name])
    subscription = Subscription.objects.get(buyer=buyer)
    assert subscription.status == "canceled"
    assert plan_for(buyer, now=NOW).plan.code == "free"


def test_connect_onboarding_then_account_updated_enables_payouts(fake_stripe, artist, deliver):
    url = connect_onboarding_url(rights_holder=artist)
    assert url.startswith("https://connect.stripe.com/setup/acct_")
    account = ConnectAccount.objects.get(rights_holder=artist)
    assert not account.payouts_enabled
    # Asking again reuses the same connected account.
    connect_onboarding_url(rights_holder=artist)
    assert ConnectAccount.objects.count() == 1
    assert [r["path"] for r in fake_stripe.requests].count("/v1/accounts") == 1

    enabled = stripe_object("account", id=account.stripe_account_id, payouts_enabled=True,
                            details_submitted=True)  # fmt: skip
    disabled = stripe_object("account", id=account.stripe_account_id, payouts_enabled=False)
    deliver(event("account.updated", enabled, created=200))
    deliver(event("account.updated", disabled, created=100))  # older, arrives late
    account.refresh_from_db()
    assert account.payouts_enabled and account.details_submitted
