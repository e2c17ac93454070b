"""The buyers' webhooks page: add an endpoint (its secret shown once, refusals in words),
see each endpoint's latest deliveries, delete one after confirming; nobody else's."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from marketplace.models import Revocation, Role, WebhookDelivery, WebhookEndpoint
from marketplace.webhooks import webhook_endpoint_create
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(make_user):
    return make_user("bob", role=Role.BUYER)


@pytest.fixture
def bob_client(bob) -> Client:
    client = Client()
    client.force_login(bob)
    return client


def delivery(endpoint, **fields) -> WebhookDelivery:
    entry = Revocation.objects.create(
        buyer=endpoint.owner, asset=stored_asset(), grant_ids=[1], kind="taken_down",
        reason_class="privacy", still_valid=False, occurred_at=timezone.now(),
    )  # fmt: skip
    return WebhookDelivery.objects.create(
        endpoint=endpoint, revocation=entry, event_id=entry.event_id,
        payload={"id": entry.event_id, "type": "revocation.taken_down"}, **fields,
    )  # fmt: skip


def test_adding_an_endpoint_shows_its_secret_once(bob_client, bob):
    created = bob_client.post(
        "/account/webhooks/", {"url": "https://hooks.example.org/m", "description": "cluster A"}
    )
    assert created.status_code == 201
    secret = re.search(rb'id="webhook-secret">([^<]+)<', created.content).group(1).decode()
    endpoint = WebhookEndpoint.objects.get(owner=bob)
    assert secret.startswith("whsec_") and endpoint.secret == secret
    assert endpoint.url == "https://hooks.example.org/m" and endpoint.description == "cluster A"
    assert b"Marketplace-Signature" in created.content  # how to check it, beside it

    again = bob_client.get("/account/webhooks/")
    assert secret.encode() not in again.content
    assert b"https://hooks.example.org/m" in again.content and b"cluster A" in again.content
    assert b"No events sent to it yet." in again.content


def test_an_address_the_api_refuses_is_refused_here_in_words(bob_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    plain = bob_client.post("/account/webhooks/", {"url": "http://hooks.example.org/m"})
    assert plain.status_code == 400
    assert b"Give an https address." in plain.content
    private = bob_client.post("/account/webhooks/", {"url": "https://127.0.0.1/hooks"})
    assert private.status_code == 400
    assert b"This address is not a public one." in private.content
    junk = bob_client.post("/account/webhooks/", {"url": "not an address"})
    assert junk.status_code == 400 and b"Enter a valid URL." in junk.content
    assert not WebhookEndpoint.objects.exists()


def test_each_endpoint_shows_its_latest_deliveries_outcome(bob_client, bob):
    endpoint = webhook_endpoint_create(owner=bob, url="https://hooks.example.org/m").endpoint
    delivery(endpoint, state="delivered", attempts=2, delivered_at=timezone.now())
    delivery(endpoint, attempts=3, last_status_code=500, last_error="HTTP 500",
             next_attempt_at=timezone.now() + timedelta(minutes=8))  # fmt: skip
    delivery(endpoint, state="failed", attempts=12, last_error="ConnectError: refused")
    delivery(endpoint, next_attempt_at=timezone.now())
    body = bob_client.get("/account/webhooks/").content.decode()
    assert "Delivered</span> Your endpoint answered 2xx" in body and "after 2 tries" in body
    assert "Failing, will retry</span> 3 tries so far. Last answer: HTTP 500. Next try" in body
    assert "Gave up</span> No 2xx after 12 tries. Last answer: ConnectError: refused." in body
    assert "Sending</span> Waiting for its first try." in body
    assert "revocation.taken_down" in body


def test_a_restore_is_listed_as_its_own_event_and_the_page_says_what_it_means(bob_client, bob):
    from catalog.services import asset_restore, asset_take_down
    from marketplace.downloads import downloads_grant

    endpoint = webhook_endpoint_create(owner=bob, url="https://hooks.example.org/m").endpoint
    asset = stored_asset()
    downloads_grant(buyer=bob, asset_ids=[asset.pk], purpose="research", use="ai_training")
    asset_take_down(asset_id=asset.pk, actor="mod", reason="privacy")
    asset_restore(asset_id=asset.pk, actor="mod")
    restored = WebhookDelivery.objects.get(endpoint=endpoint, payload__type="revocation.restored")
    body = bob_client.get("/account/webhooks/").content.decode()
    assert f'<code>{restored.event_id}</code><span class="help">revocation.restored' in body
    assert "revocation.taken_down" in body
    assert "your license holds again and you can download it again" in body


def test_only_the_latest_deliveries_are_listed(bob_client, bob):
    endpoint = webhook_endpoint_create(owner=bob, url="https://hooks.example.org/m").endpoint
    made = [delivery(endpoint, next_attempt_at=timezone.now()) for _ in range(7)]
    body = bob_client.get("/account/webhooks/").content.decode()
    assert made[-1].event_id in body and made[2].event_id in body
    assert made[1].event_id + "<" not in body and made[0].event_id + "<" not in body


def test_deleting_asks_first_then_deletes_with_pending_deliveries(bob_client, bob):
    endpoint = webhook_endpoint_create(owner=bob, url="https://hooks.example.org/m").endpoint
    delivery(endpoint, next_attempt_at=timezone.now())
    confirm = bob_client.get(f"/account/webhooks/{endpoint.pk}/delete/")
    assert confirm.status_code == 200 and b"Delete this webhook endpoint?" in confirm.content
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()

    done = bob_client.post(f"/account/webhooks/{endpoint.pk}/delete/", follow=True)
    assert b"The endpoint https://hooks.example.org/m is deleted" in done.content
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    again = bob_client.post(f"/account/webhooks/{endpoint.pk}/delete/")
    assert again.status_code == 404


def test_nobody_else_sees_or_deletes_an_endpoint(bob, make_user):
    endpoint = webhook_endpoint_create(owner=bob, url="https://hooks.example.org/bob").endpoint
    eve = Client()
    eve.force_login(make_user("eve", role=Role.BUYER))
    assert b"hooks.example.org/bob" not in eve.get("/account/webhooks/").content
    assert eve.get(f"/account/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert eve.post(f"/account/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_page_is_for_buyers(artist_client, bob_client):
    assert artist_client.get("/account/webhooks/").status_code == 403
    assert Client().get("/account/webhooks/").status_code == 302  # to sign in
    # Reached from the navigation's Pipelines page.
    assert b'href="/pipelines/"' in bob_client.get("/").content
    assert b'href="/account/webhooks/"' in bob_client.get("/pipelines/").content
