"""The webhook delivery log after the sending (marketplace.webhooks): what a buyer sees of
their endpoints' recent deliveries, and the purge of finished deliveries older than
WEBHOOK_DELIVERY_DAYS. Pending deliveries are never purged: they are still being sent."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from marketplace.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

RECENT_DELIVERIES = 5  # shown per endpoint on the buyer's page


@dataclass(frozen=True)
class Outcome:
    """A delivery's state in a buyer's words: `kind` (delivered, failing, waiting, failed:
    the page's colour), a short `label`, and `text` saying what happened and what next."""

    kind: str
    label: str
    text: str


def delivery_outcome(delivery: WebhookDelivery) -> Outcome:
    last = delivery.last_error or (
        f"HTTP {delivery.last_status_code}" if delivery.last_status_code else ""
    )
    tries = f"{delivery.attempts} tr{'y' if delivery.attempts == 1 else 'ies'}"
    if delivery.state == WebhookDelivery.State.DELIVERED:
        when = f" on {delivery.delivered_at:%-d %b %Y, %H:%M} UTC" if delivery.delivered_at else ""
        return Outcome(
            "delivered", "Delivered", f"Your endpoint answered 2xx{when}, after {tries}."
        )
    if delivery.state == WebhookDelivery.State.FAILED:
        return Outcome("failed", "Gave up",
                       f"No 2xx after {tries}. Last answer: {last or 'none'}.")  # fmt: skip
    if delivery.attempts == 0:
        return Outcome("waiting", "Sending", "Waiting for its first try.")
    when = delivery.next_attempt_at
    next_try = f" Next try {when:%-d %b %Y, %H:%M} UTC." if when else ""
    text = f"{tries.capitalize()} so far. Last answer: {last or 'none'}.{next_try}"
    return Outcome("failing", "Failing, will retry", text)


def webhook_endpoints_with_recent(owner, *, recent: int = RECENT_DELIVERIES) -> list:
    """The owner's endpoints, newest first, each with `recent_deliveries`: its latest few
    deliveries, each with its `outcome`."""
    latest = WebhookDelivery.objects.order_by("-created_at", "-pk")[:recent]
    endpoints = list(
        WebhookEndpoint.objects.filter(owner=owner)
        .order_by("-created_at", "-pk")
        .prefetch_related(Prefetch("deliveries", queryset=latest, to_attr="recent_deliveries"))
    )
    for endpoint in endpoints:
        for delivery in endpoint.recent_deliveries:
            delivery.outcome = delivery_outcome(delivery)
    return endpoints


def webhook_endpoint_of(*, owner, endpoint_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(owner=owner, pk=endpoint_id).first()


def purgeable_deliveries(*, now: datetime | None = None):
    """Finished deliveries (delivered, or given up) with nothing in the last
    WEBHOOK_DELIVERY_DAYS days: created, delivered and last tried before the cutoff (a
    delivery an administrator sent again lately stays)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_DELIVERY_DAYS)
    recent_try = WebhookAttempt.objects.filter(delivery=OuterRef("pk"), attempted_at__gte=cutoff)
    return (
        WebhookDelivery.objects.filter(
            state__in=[WebhookDelivery.State.DELIVERED, WebhookDelivery.State.FAILED],
            created_at__lt=cutoff,
        )
        .filter(Q(delivered_at__isnull=True) | Q(delivered_at__lt=cutoff))
        .exclude(Exists(recent_try))
    )


def webhook_deliveries_purge(
    *,
    now: datetime | None = None,
    batch_size: int = 1000,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Delete the purgeable deliveries and their tries, a batch per transaction (a long
    purge holds no lock for long and resumes after a crash). Returns how many."""
    purged = 0
    while True:
        with transaction.atomic():
            ids = list(
                purgeable_deliveries(now=now)
                .order_by("pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return purged
            # The rows are locked: none is sent again (made pending) before this commits.
            WebhookAttempt.objects.filter(delivery_id__in=ids).delete()
            WebhookDelivery.objects.filter(pk__in=ids).delete()
        purged += len(ids)
        if progress:
            progress(len(ids))
