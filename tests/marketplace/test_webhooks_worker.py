"""Webhook deliveries run by a real Celery worker on Redis, to a real receiver: a failed
try is logged and its retry queued on the broker with a countdown; the next try delivers."""

import json
import time

import pytest
import redis
from django.db import transaction
from kombu import Exchange, Queue

from catalog.services import asset_take_down
from config.celery import app as project_app
from marketplace.downloads import downloads_grant
from marketplace.models import Role, WebhookAttempt, WebhookDelivery
from marketplace.webhooks import webhook_endpoint_create
from tests.marketplace.factories import stored_asset
from tests.marketplace.test_celery_worker import worker  # noqa: F401 - fixture
from tests.marketplace.test_webhooks import Receiver, verify_signature

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def declare_default_queue(client) -> None:
    """The default queue exists once a worker consumes it; none does here, so declare it
    (on Redis, a message to a queue nobody declared is dropped)."""
    with client.connection_for_write() as connection:
        Queue("celery", Exchange("celery", type="direct"), routing_key="celery")(
            connection.default_channel
        ).declare()


def queued_retries(client) -> list[dict]:
    """Messages the worker published on the default queue of its broker (no worker listens
    there)."""
    messages = redis.Redis.from_url(client.conf.broker_url).lrange("celery", 0, -1)
    return [json.loads(m)["headers"] for m in messages]


def test_a_worker_delivers_retries_later_and_logs_each_try(worker, make_user,  # noqa: F811
                                                           monkeypatch):  # fmt: skip
    client, queue = worker
    # This process queues nothing itself (its broker is in memory): the worker sends.
    monkeypatch.setitem(project_app.conf, "task_always_eager", False)
    declare_default_queue(client)
    buyer = make_user("bob", role=Role.BUYER)
    asset = stored_asset()
    downloads_grant(buyer=buyer, asset_ids=[asset.pk], purpose="research", use="ai_training")
    with Receiver([500, 200]) as receiver:
        endpoint = webhook_endpoint_create(owner=buyer, url=receiver.url)
        with transaction.atomic():
            asset_take_down(asset_id=asset.pk, actor="mod", reason="infringing")
        delivery = WebhookDelivery.objects.get()
        assert delivery.attempts == 0

        client.send_task("marketplace.deliver_webhook", args=[delivery.pk], queue=queue).get(
            timeout=60
        )
        delivery.refresh_from_db()
        assert (delivery.state, delivery.last_status_code) == ("pending", 500)
        # The retry went to the broker with its countdown (a minute after the first try).
        wait_for(lambda: any(h["task"] == "marketplace.deliver_webhook" and h["eta"]
                             and h["argsrepr"] == repr((delivery.pk,))
                             for h in queued_retries(client)))  # fmt: skip

        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
        result = client.send_task("marketplace.deliver_webhook", args=[delivery.pk], queue=queue)
        assert result.get(timeout=60) == "delivered"

    assert [a.status_code for a in WebhookAttempt.objects.order_by("pk")] == [500, 200]
    (headers, body), _ = receiver.requests
    assert verify_signature(headers["Marketplace-Signature"], body, endpoint.secret)
    assert json.loads(body)["data"]["asset_id"] == asset.pk
