"""A buyer's webhooks page in Chromium, checked with axe-core at desktop and phone width:
an address refused in words, an endpoint added with its secret shown once, listed with its
latest deliveries, then deleted after the confirmation page."""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.models import Revocation, Role, WebhookDelivery, WebhookEndpoint
from tests.marketplace.factories import stored_asset

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _sign_in(site, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    site.page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site.url}])


def _deliveries(endpoint) -> None:
    """Two events sent to it: one delivered, one failing and waiting for its next try."""
    for state, fields in (
        ("delivered", {"attempts": 1, "delivered_at": timezone.now(), "last_status_code": 204}),
        ("pending", {"attempts": 3, "last_status_code": 503, "last_error": "HTTP 503",
                     "next_attempt_at": timezone.now() + timedelta(minutes=4)}),
    ):  # fmt: skip
        entry = Revocation.objects.create(
            buyer=endpoint.owner, asset=stored_asset(), grant_ids=[1], kind="taken_down",
            reason_class="privacy", still_valid=False, occurred_at=timezone.now(),
        )  # fmt: skip
        WebhookDelivery.objects.create(
            endpoint=endpoint, revocation=entry, event_id=entry.event_id, state=state,
            payload={"id": entry.event_id, "type": "revocation.taken_down"}, **fields,
        )  # fmt: skip


def test_a_buyer_adds_an_endpoint_sees_its_secret_once_and_deletes_it(site, make_user, settings):
    _sign_in(site, make_user("bob", role=Role.BUYER))
    page = site.go("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipelines").click()
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    expect(page.get_by_text("No endpoint yet.")).to_be_visible()
    site.check("webhooks-empty")

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False  # as in production
    page.get_by_label("Address (URL)").fill("http://hooks.example.org/marketplace")
    page.get_by_role("button", name="Add the endpoint").click()
    expect(page.get_by_text("Give an https address.")).to_be_visible()
    assert not WebhookEndpoint.objects.exists()
    site.check("webhooks-refused")

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # a receiver on this machine, as in the demo
    page.get_by_label("Address (URL)").fill("http://127.0.0.1:9000/hooks")
    page.get_by_label("Note (optional)").fill("training cluster A")
    page.get_by_role("button", name="Add the endpoint").click()
    secret = page.locator("#webhook-secret")
    expect(secret).to_have_text(re.compile(r"^whsec_\S{40,}$"))
    endpoint = WebhookEndpoint.objects.get()
    assert secret.inner_text() == endpoint.secret
    expect(page.get_by_text("this is the only time it is shown")).to_be_visible()
    expect(page.get_by_text("Marketplace-Signature: t=").first).to_be_visible()
    expect(page.get_by_role("heading", name="http://127.0.0.1:9000/hooks")).to_be_visible()
    site.check("webhooks-secret")

    _deliveries(endpoint)
    page = site.go("/account/webhooks/")
    expect(page.locator("#webhook-secret")).to_have_count(0)  # shown once only
    assert endpoint.secret not in page.content()
    expect(page.get_by_text("training cluster A", exact=True)).to_be_visible()
    expect(page.locator(".status-delivered")).to_have_text("Delivered")
    expect(page.get_by_text("Last answer: HTTP 503. Next try")).to_be_visible()
    site.check("webhooks-listed")

    page.get_by_role("link", name="Delete the endpoint http://127.0.0.1:9000/hooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this webhook endpoint?")
    site.check("webhooks-confirm")
    page.get_by_role("button", name="Delete the endpoint").click()
    expect(page.get_by_text("The endpoint http://127.0.0.1:9000/hooks is deleted")).to_be_visible()
    expect(page.get_by_text("No endpoint yet.")).to_be_visible()
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    site.check("webhooks-deleted")
