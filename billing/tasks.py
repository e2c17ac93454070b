"""Billing's background work: Stripe events, the payout run, and a sweep for stragglers."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from billing.models import StripeEvent
from billing.payouts import payouts_run
from billing.webhooks import event_process


@shared_task(
    name="billing.process_stripe_event",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=8,
)
def process_stripe_event(pk: int) -> bool:
    return event_process(pk)


@shared_task(name="billing.process_pending_events")
def process_pending_events() -> int:
    """Re-queue events stored more than a minute ago and still not applied."""
    stale = list(
        StripeEvent.objects.filter(
            processed_at__isnull=True, received_at__lt=timezone.now() - timedelta(minutes=1)
        ).values_list("pk", flat=True)
    )
    for pk in stale:
        process_stripe_event.delay(pk)
    return len(stale)


@shared_task(name="billing.run_payouts")
def run_payouts() -> int:
    return len(payouts_run())
