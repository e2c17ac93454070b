"""The Curation plan: Checkout in subscription mode, the customer portal, and the events
that say whether it is paid and for which period.

Each event carries the whole state of the subscription, so the newest event wins: applying
the same events in any order, or twice, leaves the same plan and period."""

from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction

from billing.event_order import is_newer, mark_applied
from billing.gateway import Redirect, gateway
from billing.models import Subscription
from common.errors import DomainError

# Statuses of a subscription Stripe still bills: a second one would charge twice.
LIVE_STATUSES = ("active", "trialing", "past_due", "unpaid", "incomplete")


class AlreadySubscribed(DomainError):
    code = "already_subscribed"
    status_code = 409


class NotSubscribed(DomainError):
    code = "not_subscribed"
    status_code = 409


def _subscription_for(buyer) -> Subscription:
    subscription = Subscription.objects.filter(buyer=buyer).first()
    if subscription:
        return subscription
    payments = gateway()
    customer_id = payments.customer_create(email=buyer.email, user_id=buyer.pk)
    subscription, _ = Subscription.objects.get_or_create(
        buyer=buyer, defaults={"stripe_customer_id": customer_id, "sandbox": payments.sandbox}
    )
    return subscription


def subscription_start(*, buyer, return_url: str = "", cancel_url: str = "") -> Redirect:
    """A Checkout page for the Curation plan, sending the buyer back to `return_url` when
    paid and to `cancel_url` when left (the settings' addresses when not given)."""
    subscription = _subscription_for(buyer)
    if subscription.status in LIVE_STATUSES:
        raise AlreadySubscribed(
            "You already have a Curation subscription; manage it through the billing portal."
        )
    return gateway().checkout_subscription(
        customer_id=subscription.stripe_customer_id,
        user_id=buyer.pk,
        success_url=return_url or settings.BILLING_SUCCESS_URL,
        cancel_url=cancel_url or return_url or settings.BILLING_CANCEL_URL,
    )


def portal_url(*, buyer, return_url: str = "") -> str:
    """A Stripe customer-portal link to change the card or cancel, coming back to
    `return_url` (the settings' address when not given)."""
    subscription = Subscription.objects.filter(buyer=buyer).first()
    if subscription is None:
        raise NotSubscribed("There is no subscription to manage yet: subscribe first.")
    return gateway().portal(
        customer_id=subscription.stripe_customer_id,
        return_url=return_url or settings.BILLING_SUCCESS_URL,
    )


def _when(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else None


def _locked(customer_id: str | None) -> Subscription | None:
    if not customer_id:
        return None
    return Subscription.objects.select_for_update().filter(stripe_customer_id=customer_id).first()


@transaction.atomic
def subscription_changed(event: dict) -> None:
    """customer.subscription.created / updated / deleted."""
    obj = event["data"]["object"]
    subscription = _locked(obj.get("customer"))
    if subscription is None or not is_newer(subscription, event):
        return
    item = (obj.get("items") or {}).get("data") or [{}]
    # Recent API versions keep the period on the subscription item.
    start = obj.get("current_period_start") or item[0].get("current_period_start")
    end = obj.get("current_period_end") or item[0].get("current_period_end")
    subscription.stripe_subscription_id = obj["id"]
    subscription.status = "canceled" if event["type"].endswith(".deleted") else obj["status"]
    subscription.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
    subscription.current_period_start, subscription.current_period_end = _when(start), _when(end)
    mark_applied(subscription, event)
    subscription.save()


def _invoice_subscription_id(invoice: dict) -> str:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return details.get("subscription") or invoice.get("subscription") or ""


@transaction.atomic
def invoice_settled(event: dict) -> None:
    """invoice.paid starts a paid period; invoice.payment_failed ends Curation until paid."""
    invoice = event["data"]["object"]
    subscription = _locked(invoice.get("customer"))
    subscription_id = _invoice_subscription_id(invoice)
    if subscription is None or not subscription_id or not is_newer(subscription, event):
        return
    if subscription.status == "canceled" and subscription.stripe_subscription_id == subscription_id:
        return  # a cancelled subscription stays cancelled
    subscription.stripe_subscription_id = subscription_id
    if event["type"] == "invoice.paid":
        lines = (invoice.get("lines") or {}).get("data") or []
        period = lines[0].get("period", {}) if lines else {}
        subscription.status = "active"
        subscription.current_period_start = _when(period.get("start"))
        subscription.current_period_end = _when(period.get("end"))
    else:
        subscription.status = "past_due"
    mark_applied(subscription, event)
    subscription.save()
