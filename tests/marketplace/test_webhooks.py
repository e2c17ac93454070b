"""Buyers' webhooks against a real HTTP receiver on loopback: registered through the API,
signed like Stripe's, retried after failures with the same event id, logged per try."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from catalog.services import asset_take_down
from marketplace.downloads import downloads_grant
from marketplace.models import Role, TokenScope, WebhookAttempt, WebhookDelivery
from marketplace.webhooks import retry_delay, webhook_deliver, webhooks_sweep
from tests.auth import sign_in
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db


def verify_signature(header: str, body: bytes, secret: str, *, tolerance: int = 300) -> bool:
    """What a receiver does: parse `t` and every `v1`, recompute the HMAC over "t.body",
    compare in constant time, and refuse old timestamps (replays)."""
    parts = [item.split("=", 1) for item in header.split(",")]
    timestamp = next((int(v) for k, v in parts if k == "t"), None)
    signatures = [v for k, v in parts if k == "v1"]
    if timestamp is None or abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return any(hmac.compare_digest(expected.hexdigest(), s) for s in signatures)


class Receiver:
    """An HTTP server in a thread that answers each POST with the next planned status."""

    def __init__(self, statuses: list[int]):
        self.statuses, self.requests = list(statuses), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/marketplace"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def buyer(make_user):
    return make_user("bob", role=Role.BUYER)


def register(api_client, url: str) -> dict:
    response = api_client.post("/api/v1/webhook-endpoints/", {"url": url, "description": "ci"},
                               format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    return response.json()


def make_due(delivery: WebhookDelivery) -> None:
    """Time passes until its next try (instead of waiting minutes)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_an_event_is_signed_retried_after_500s_and_logged(
    api_client, buyer, django_capture_on_commit_callbacks
):
    asset = stored_asset()
    downloads_grant(buyer=buyer, asset_ids=[asset.pk], purpose="research")
    sign_in(api_client, buyer)
    with Receiver([500, 503, 200]) as receiver:
        created = register(api_client, receiver.url)
        assert created["secret"].startswith("whsec_")
        listed = api_client.get("/api/v1/webhook-endpoints/").json()["results"]
        assert [e["url"] for e in listed] == [receiver.url] and "secret" not in listed[0]

        with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly
            asset_take_down(asset_id=asset.pk, actor="mod", reason="privacy")
        delivery = WebhookDelivery.objects.get()
        assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
            "pending", 1, 500)  # fmt: skip
        # Not due yet: a sweep or a duplicate task sends nothing.
        assert webhook_deliver(delivery.pk) is None and webhooks_sweep() == 0
        make_due(delivery)
        assert webhooks_sweep() == 1  # eager: sent now, 503
        make_due(delivery)
        assert webhook_deliver(delivery.pk) == "delivered"

    assert len(receiver.requests) == 3
    bodies = [json.loads(body) for _, body in receiver.requests]
    assert len({b["id"] for b in bodies}) == 1  # one event id: the receiver deduplicates on it
    event = bodies[0]
    assert event["type"] == "revocation.taken_down"
    assert event["data"]["asset_id"] == asset.pk
    assert event["data"]["reason_class"] == "privacy"
    feed = api_client.get("/api/v1/revocations/").json()["results"]
    assert event["data"] == feed[0]
    for headers, body in receiver.requests:
        assert verify_signature(headers["Marketplace-Signature"], body, created["secret"])
        assert not verify_signature(
            headers["Marketplace-Signature"], body + b" ", created["secret"]
        )
        assert not verify_signature(headers["Marketplace-Signature"], body, "whsec_other")

    attempts = list(WebhookAttempt.objects.order_by("pk"))
    assert [a.status_code for a in attempts] == [500, 503, 200]
    assert attempts[0].next_attempt_at is not None and attempts[-1].next_attempt_at is None
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.delivered_at is not None


def test_an_unreachable_endpoint_is_retried_with_backoff_then_given_up(
    buyer, settings, django_capture_on_commit_callbacks
):
    from marketplace.webhooks import webhook_endpoint_create

    asset = stored_asset()
    downloads_grant(buyer=buyer, asset_ids=[asset.pk], purpose="research")
    with Receiver([]) as receiver:
        dead_url = receiver.url  # the server stops below: nothing listens there any more
    webhook_endpoint_create(owner=buyer, url=dead_url)
    with django_capture_on_commit_callbacks(execute=True):
        asset_take_down(asset_id=asset.pk, actor="mod", reason="other")
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status_code is None and "ConnectError" in delivery.last_error
    waits = [retry_delay(n) for n in range(1, 13)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == timedelta(hours=12)
    # Its retry window ends: the next failure gives up.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - timedelta(days=settings.WEBHOOK_RETRY_DAYS),
        next_attempt_at=timezone.now(),
    )
    assert webhook_deliver(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is None and delivery.attempts == 2


def test_endpoints_belong_to_their_owner_and_need_a_manage_token(api_client, buyer, make_user):
    sign_in(api_client, buyer)
    mine = register(api_client, "https://hooks.example.org/a")
    other = make_user("eve", role=Role.BUYER)
    sign_in(api_client, other)
    assert api_client.get("/api/v1/webhook-endpoints/").json()["results"] == []
    assert api_client.delete(f"/api/v1/webhook-endpoints/{mine['id']}/").status_code == 404
    sign_in(api_client, buyer, scope=TokenScope.READ)
    response = api_client.post("/api/v1/webhook-endpoints/", {"url": "https://x.example/"},
                               format="json")  # fmt: skip
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    sign_in(api_client, buyer)
    assert api_client.delete(f"/api/v1/webhook-endpoints/{mine['id']}/").status_code == 204
    assert api_client.get("/api/v1/webhook-endpoints/").json()["results"] == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.org/", "https"),
        ("https://127.0.0.1/hook", "not a public one"),
        ("https://169.254.169.254/latest/meta-data", "not a public one"),
        ("ftp://hooks.example.org/", "http(s)"),
    ],
)
def test_without_private_urls_allowed_only_public_https_endpoints_register(
    api_client, buyer, settings, url, message
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    sign_in(api_client, buyer)
    response = api_client.post("/api/v1/webhook-endpoints/", {"url": url}, format="json")
    assert response.status_code == 400
    assert message in str(response.json()["error"]["fields"]["url"])


def test_the_admin_shows_the_delivery_log(client, make_user, buyer,
                                          django_capture_on_commit_callbacks):  # fmt: skip
    from marketplace.webhooks import webhook_endpoint_create

    asset = stored_asset()
    downloads_grant(buyer=buyer, asset_ids=[asset.pk], purpose="research")
    with Receiver([500]) as receiver:
        webhook_endpoint_create(owner=buyer, url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            asset_take_down(asset_id=asset.pk, actor="mod", reason="other")
    delivery = WebhookDelivery.objects.get()
    client.force_login(make_user("boss", role=Role.MODERATOR, is_staff=True, is_superuser=True))
    page = client.get(f"/admin/marketplace/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert delivery.event_id in text and "HTTP 500" in text
    assert (
        "whsec_"
        not in client.get(
            f"/admin/marketplace/webhookendpoint/{delivery.endpoint_id}/change/"
        ).content.decode()
    )


def test_a_switched_off_endpoint_is_sent_nothing(buyer, django_capture_on_commit_callbacks):
    from marketplace.webhooks import webhook_endpoint_create

    asset = stored_asset()
    downloads_grant(buyer=buyer, asset_ids=[asset.pk], purpose="research")
    with Receiver([]) as receiver:
        endpoint = webhook_endpoint_create(owner=buyer, url=receiver.url).endpoint
        with django_capture_on_commit_callbacks(execute=True):
            asset_take_down(asset_id=asset.pk, actor="mod", reason="other")
            type(endpoint).objects.filter(pk=endpoint.pk).update(active=False)
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "pending" and delivery.last_error == "the endpoint is switched off"
