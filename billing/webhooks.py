"""Stripe webhooks: verify, store once, process later.

The endpoint only checks the signature and stores the event under its unique id; a Celery
task applies it. Every handler is idempotent and order-independent, so a retried, repeated
or late event changes nothing that was already right."""

import json
import logging
from collections.abc import Callable

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from billing import connect, payouts, subscriptions, topups
from billing.models import StripeEvent
from common.errors import DomainError

log = logging.getLogger(__name__)


class InvalidWebhook(DomainError):
    code = "invalid_webhook"


def _checkout_completed(event: dict) -> None:
    session = event["data"]["object"]
    if session.get("mode") == "payment":
        topups.top_up_paid(session)


def _checkout_expired(event: dict) -> None:
    topups.top_up_expired(event["data"]["object"])


def _charge_refunded(event: dict) -> None:
    charge = event["data"]["object"]
    topups.card_charge_update(
        payment_intent_id=charge.get("payment_intent") or "",
        refunded_cents=charge.get("amount_refunded") or 0,
    )


def _dispute_created(event: dict) -> None:
    dispute = event["data"]["object"]
    topups.card_charge_update(
        payment_intent_id=dispute.get("payment_intent") or "",
        disputed_cents=dispute.get("amount") or 0,
    )


HANDLERS: dict[str, Callable[[dict], None]] = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_completed,
    "checkout.session.expired": _checkout_expired,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
    "customer.subscription.created": subscriptions.subscription_changed,
    "customer.subscription.updated": subscriptions.subscription_changed,
    "customer.subscription.deleted": subscriptions.subscription_changed,
    "invoice.paid": subscriptions.invoice_settled,
    "invoice.payment_failed": subscriptions.invoice_settled,
    "account.updated": connect.connect_account_updated,
    "transfer.reversed": payouts.transfer_reversed,
}


def event_receive(*, payload: bytes, signature: str) -> tuple[StripeEvent, bool]:
    """Verify a webhook and store it once. Returns the event and whether it is new."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise InvalidWebhook("Stripe webhooks are not configured on this server.")
    try:
        stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError as error:
        raise InvalidWebhook(f"The Stripe signature does not verify: {error}") from error
    except ValueError as error:
        raise InvalidWebhook("The body is not a Stripe event.") from error
    return event_store(json.loads(payload))


def event_store(event: dict) -> tuple[StripeEvent, bool]:
    """Store an event once by its id, and have it processed after commit if it is new."""
    for name in ("id", "type", "created"):
        if name not in event:
            raise InvalidWebhook(f"The event has no `{name}`.")
    try:
        with transaction.atomic():
            record = StripeEvent.objects.create(
                event_id=event["id"], type=event["type"], created=event["created"], payload=event
            )
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event["id"]), False
    transaction.on_commit(lambda: _enqueue(record.pk))
    return record, True


def _enqueue(pk: int) -> None:
    from billing.tasks import process_stripe_event

    try:
        process_stripe_event.delay(pk)
    except Exception:  # the periodic sweep picks it up
        log.exception("Stripe event %s stored but not queued", pk)


def event_process(pk: int) -> bool:
    """Apply a stored event once. Returns whether it was applied by this call."""
    try:
        with transaction.atomic():
            record = StripeEvent.objects.select_for_update().get(pk=pk)
            if record.processed_at:
                return False
            if handler := HANDLERS.get(record.type):
                handler(record.payload)
            record.processed_at, record.error = timezone.now(), ""
            record.attempts += 1
            record.save(update_fields=["processed_at", "attempts", "error"])
            return True
    except Exception as error:
        StripeEvent.objects.filter(pk=pk).update(
            attempts=F("attempts") + 1, error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
