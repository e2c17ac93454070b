import json

import pytest
from django.urls import reverse

from billing import gateway
from billing.ledger import Line, platform, transaction_post, wallet_of
from billing.models import AccountKind, TransactionKind
from marketplace.models import Role
from tests.billing.stripe_fake import WEBHOOK_SECRET, FakeStripe, sign


@pytest.fixture
def fake_stripe(settings, monkeypatch) -> FakeStripe:
    """The real stripe library, configured with keys, talking to FakeStripe offline."""
    settings.STRIPE_SECRET_KEY = "sk_test_offline"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_CURATION_PRICE_ID = "price_curation_test"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    fake = FakeStripe()
    monkeypatch.setattr(gateway, "http_client", fake)
    return fake


@pytest.fixture
def sandbox(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""


@pytest.fixture
def buyer(make_user):
    return make_user("bea", role=Role.BUYER)


@pytest.fixture
def artist(make_user):
    return make_user("arti", role=Role.RIGHTS_HOLDER)


def fund(user, micros: int, key: str = "") -> None:
    """Put money in a wallet the way a settled top-up does."""
    transaction_post(
        kind=TransactionKind.TOP_UP,
        idempotency_key=key or f"test-fund:{user.pk}:{micros}",
        lines=[
            Line(platform(AccountKind.STRIPE_CLEARING), -micros),
            Line(wallet_of(user), micros),
        ],
    )


def post_event(client, event: dict, *, secret: str = WEBHOOK_SECRET, timestamp=None, header=None):
    payload = json.dumps(event).encode()
    signature = header if header is not None else sign(payload, secret=secret, timestamp=timestamp)
    return client.post(
        reverse("stripe-webhook"),
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """Post a signed event to the webhook as Stripe does, then let the queued processing
    run (it is queued on commit, which a test transaction never reaches by itself)."""

    def send(event: dict, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post_event(client, event, **kwargs)

    return send
