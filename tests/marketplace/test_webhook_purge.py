"""Finished webhook deliveries older than WEBHOOK_DELIVERY_DAYS are purged with their tries
(by the beat task and a command); pending ones, and anything recent, are kept."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from marketplace.models import Revocation, Role, WebhookAttempt, WebhookDelivery
from marketplace.tasks import purge_webhook_deliveries
from marketplace.webhooks import webhook_endpoint_create
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(make_user):
    owner = make_user("bob", role=Role.BUYER)
    return webhook_endpoint_create(owner=owner, url="https://hooks.example.org/m").endpoint


def make(endpoint, *, age_days: float, state: str, tried_days_ago: float | None = None):
    """A delivery created `age_days` ago, with one try `tried_days_ago` (default: then)."""
    created = timezone.now() - timedelta(days=age_days)
    tried = timezone.now() - timedelta(days=age_days if tried_days_ago is None else tried_days_ago)
    entry = Revocation.objects.create(
        buyer=endpoint.owner, asset=stored_asset(), grant_ids=[1], kind="taken_down",
        reason_class="other", still_valid=False, occurred_at=created,
    )  # fmt: skip
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, revocation=entry, event_id=entry.event_id, payload={}, state=state,
        attempts=1, delivered_at=tried if state == "delivered" else None,
        next_attempt_at=tried + timedelta(minutes=1) if state == "pending" else None,
    )  # fmt: skip
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=created)  # auto_now_add
    WebhookAttempt.objects.create(delivery=delivery, attempted_at=tried, duration_ms=5,
                                  status_code=200 if state == "delivered" else 500)  # fmt: skip
    return delivery


def kept() -> set[int]:
    return set(WebhookDelivery.objects.values_list("pk", flat=True))


def test_the_beat_task_purges_old_finished_deliveries_only(endpoint, settings):
    settings.WEBHOOK_DELIVERY_DAYS = 30
    old_delivered = make(endpoint, age_days=31, state="delivered")
    old_failed = make(endpoint, age_days=40, state="failed")
    old_pending = make(endpoint, age_days=45, state="pending")  # still being sent: kept
    recent = make(endpoint, age_days=29, state="delivered")
    resent = make(endpoint, age_days=40, state="failed", tried_days_ago=2)  # sent again lately

    assert purge_webhook_deliveries.delay().get() == 2
    assert kept() == {old_pending.pk, recent.pk, resent.pk}
    assert not WebhookAttempt.objects.filter(delivery_id__in=[old_delivered.pk, old_failed.pk])
    assert WebhookAttempt.objects.count() == 3
    assert purge_webhook_deliveries() == 0  # nothing left to purge

    settings.WEBHOOK_DELIVERY_DAYS = 1
    assert purge_webhook_deliveries() == 2
    assert kept() == {old_pending.pk}


def test_the_purge_is_scheduled_daily():
    entries = [e for e in django_settings.CELERY_BEAT_SCHEDULE.values()
               if e["task"] == "marketplace.purge_webhook_deliveries"]  # fmt: skip
    assert len(entries) == 1


def test_the_command_purges_in_batches_and_says_how_many(endpoint, settings, capsys):
    settings.WEBHOOK_DELIVERY_DAYS = 30
    for _ in range(5):
        make(endpoint, age_days=60, state="delivered")
    pending = make(endpoint, age_days=60, state="pending")
    call_command("purge_webhook_deliveries", "--batch-size", "2")
    assert "deleted 5 finished webhook deliveries older than 30 days" in capsys.readouterr().out
    assert kept() == {pending.pk}
    with pytest.raises(CommandError, match="at least 1"):
        call_command("purge_webhook_deliveries", "--batch-size", "0")
