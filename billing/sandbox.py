"""The local sandbox gateway's confirmations, for the demo only.

It completes what Stripe would complete, by writing the events Stripe would send and
applying them through the same processing as real webhooks. It refuses to run whenever a
Stripe key is configured, and production settings refuse to start without one."""

import secrets
import time
from datetime import timedelta

from django.utils import timezone

from billing.errors import PaymentsUnavailable
from billing.gateway import sandbox_enabled
from billing.models import ConnectAccount, Subscription, TopUp
from billing.money import cents_from_micros
from billing.webhooks import event_process, event_store
from marketplace.errors import NotFound

SUBSCRIPTION_SESSION_PREFIX = "cs_sandbox_sub_"


def _require_sandbox() -> None:
    if not sandbox_enabled():
        raise PaymentsUnavailable("The sandbox gateway is off: this server uses Stripe.")


def _emit(event_type: str, obj: dict) -> None:
    # Ids grow with time so that "newest event wins" follows the order they were made in.
    event = {
        "id": f"evt_sandbox_{time.time_ns():020d}",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }
    record, _ = event_store(event)
    event_process(record.pk)


def checkout_complete(*, user, session_id: str) -> str:
    """Pay a sandbox Checkout page: a top-up is credited, a subscription starts a month."""
    _require_sandbox()
    top_up = TopUp.objects.filter(checkout_session_id=session_id, buyer=user, sandbox=True).first()
    if top_up:
        _emit(
            "checkout.session.completed",
            {
                "id": session_id,
                "object": "checkout.session",
                "mode": "payment",
                "payment_status": "paid",
                "amount_total": cents_from_micros(top_up.amount_micros),
                "payment_intent": f"pi_sandbox_{secrets.token_hex(12)}",
            },
        )
        return "top_up"
    subscription = Subscription.objects.filter(buyer=user, sandbox=True).first()
    if subscription is None or not session_id.startswith(SUBSCRIPTION_SESSION_PREFIX):
        raise NotFound("No sandbox checkout of yours has this id.")
    start = timezone.now()
    end = start + timedelta(days=30)
    _emit(
        "customer.subscription.created",
        {
            "id": subscription.stripe_subscription_id or f"sub_sandbox_{secrets.token_hex(12)}",
            "object": "subscription",
            "customer": subscription.stripe_customer_id,
            "status": "active",
            "cancel_at_period_end": False,
            "current_period_start": int(start.timestamp()),
            "current_period_end": int(end.timestamp()),
        },
    )
    return "subscription"


def subscription_cancel(*, user) -> None:
    """What cancelling in Stripe's portal does: the subscription ends now."""
    _require_sandbox()
    subscription = Subscription.objects.filter(buyer=user, sandbox=True).first()
    if subscription is None or not subscription.stripe_subscription_id:
        raise NotFound("There is no sandbox subscription to cancel.")
    _emit(
        "customer.subscription.deleted",
        {
            "id": subscription.stripe_subscription_id,
            "object": "subscription",
            "customer": subscription.stripe_customer_id,
            "status": "canceled",
        },
    )


def connect_complete(*, user, account_id: str) -> None:
    """Finish sandbox onboarding: the account accepts payouts."""
    _require_sandbox()
    if not ConnectAccount.objects.filter(rights_holder=user, stripe_account_id=account_id):
        raise NotFound("No sandbox payout account of yours has this id.")
    _emit(
        "account.updated",
        {
            "id": account_id,
            "object": "account",
            "payouts_enabled": True,
            "details_submitted": True,
        },
    )
