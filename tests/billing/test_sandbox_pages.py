"""The sandbox gateway's checkout, portal and onboarding pages, as a person in a browser
uses them: a page labelled SANDBOX saying what completing does, a CSRF-protected button
that does what Stripe's webhook would, then back to the return URL. Never with Stripe on."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from billing import sandbox_links
from billing.ledger import wallet_of
from billing.models import ConnectAccount, Subscription
from marketplace.models import Role
from tests.auth import sign_in

pytestmark = pytest.mark.django_db

RETURN = "http://127.0.0.1:8000/api/v1/billing/wallet/"
CANCEL = "http://127.0.0.1:8000/cancelled/"


@pytest.fixture(autouse=True)
def return_urls(settings):
    settings.BILLING_SUCCESS_URL = RETURN
    settings.BILLING_CANCEL_URL = CANCEL


def api_as(user) -> APIClient:
    client = APIClient()
    sign_in(client, user)
    return client


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


def complete(url: str, browser: Client | None = None):
    """Open the page as a browser does (no sign-in: the link is the credential) and press
    the button, with the CSRF token the page gave."""
    browser = browser or Client(enforce_csrf_checks=True)
    page = browser.get(path_of(url))
    assert page.status_code == 200, page.content
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    return page, browser.post(path_of(url), {"csrfmiddlewaretoken": token.decode()})


def test_a_top_up_page_says_sandbox_and_what_paying_does_then_credits_the_wallet(sandbox, buyer):
    created = api_as(buyer).post("/api/v1/billing/top-ups/", {"amount_usd": "25.00"},
                                 format="json").json()  # fmt: skip
    url = created["checkout_url"]
    assert url.startswith("http://testserver/billing/sandbox/checkout/")

    page, done = complete(url)

    html = page.content.decode()
    assert page["Content-Type"].startswith("text/html")
    assert "SANDBOX" in html and "No card is charged and no real money moves." in html
    assert "Completing credits USD 25.00 to this wallet" in html
    assert "<strong>bea</strong>" in html
    assert "Complete (sandbox)" in html
    assert f'href="{CANCEL}"' in html
    assert "<script" not in html and "style=" not in html and "https://" not in html
    assert done.status_code == 303 and done["Location"] == RETURN
    assert wallet_of(buyer).balance_micros == 25_000_000
    wallet = api_as(buyer).get("/api/v1/billing/wallet/").json()
    assert wallet["balance_usd"] == "25.000000"
    assert api_as(buyer).get("/api/v1/billing/top-ups/").json()["results"][0]["state"] == "paid"

    again_page, again = complete(url)  # a second press changes nothing
    assert "This is done already" in again_page.content.decode()
    assert again.status_code == 303
    assert wallet_of(buyer).balance_micros == 25_000_000


def test_the_button_is_csrf_protected(sandbox, buyer):
    url = api_as(buyer).post("/api/v1/billing/top-ups/", {"amount_usd": "5"},
                             format="json").json()["checkout_url"]  # fmt: skip
    browser = Client(enforce_csrf_checks=True)
    assert browser.get(path_of(url)).status_code == 200
    assert browser.post(path_of(url)).status_code == 403
    assert wallet_of(buyer).balance_micros == 0


def test_subscribing_then_cancelling_in_the_portal(sandbox, buyer):
    client = api_as(buyer)
    checkout = client.post("/api/v1/billing/subscription/checkout/").json()["checkout_url"]
    page, done = complete(checkout)
    assert "Completing starts the Curation plan (USD 10.00 a month" in page.content.decode()
    assert done["Location"] == RETURN
    plan = client.get("/api/v1/billing/wallet/").json()["plan"]
    assert (plan["code"], plan["monthly_downloads"], plan["private_collections"]) == (
        "curation", 10_000, True,
    )  # fmt: skip
    again = client.post("/api/v1/billing/subscription/checkout/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_subscribed"

    portal = client.post("/api/v1/billing/subscription/portal/").json()["url"]
    assert portal.startswith("http://testserver/billing/sandbox/portal/")
    page, done = complete(portal)
    assert "Completing cancels the Curation subscription now" in page.content.decode()
    assert done["Location"] == RETURN
    assert client.get("/api/v1/billing/wallet/").json()["plan"]["code"] == "free"
    assert Subscription.objects.get(buyer=buyer).status == "canceled"


def test_payout_onboarding_enables_payouts(sandbox, artist):
    client = api_as(artist)
    assert client.get("/api/v1/billing/payouts/").json()["payouts_enabled"] is False
    url = client.post("/api/v1/billing/payouts/onboarding/").json()["url"]
    assert url.startswith("http://testserver/billing/sandbox/connect/")
    page, done = complete(url)
    assert "payouts to this account are enabled" in page.content.decode()
    assert "<strong>arti</strong>" in page.content.decode()
    assert done.status_code == 303 and done["Location"] == RETURN
    status = client.get("/api/v1/billing/payouts/").json()
    assert status["payouts_enabled"] is True and status["onboarding_started"] is True


def test_a_forged_expired_or_misplaced_link_opens_nothing(sandbox, buyer, monkeypatch):
    url = api_as(buyer).post("/api/v1/billing/top-ups/", {"amount_usd": "5"},
                             format="json").json()["checkout_url"]  # fmt: skip
    token = path_of(url).split("/")[-2]
    browser = Client()
    for path in (
        f"/billing/sandbox/checkout/{token[:-3]}xyz/",  # tampered
        f"/billing/sandbox/portal/{token}/",  # a checkout link on another page
        "/billing/sandbox/checkout/cs_sandbox_guessed/",
    ):
        for method in (browser.get, browser.post):
            refused = method(path)
            assert refused.status_code == 404, path
            assert "not valid or has expired" in refused.content.decode()
    monkeypatch.setattr(sandbox_links, "LINK_SECONDS", -1)
    assert browser.post(path_of(url)).status_code == 404
    assert wallet_of(buyer).balance_micros == 0


def test_the_pages_are_refused_when_stripe_is_configured(sandbox, buyer, artist, settings):
    top_up = api_as(buyer).post("/api/v1/billing/top-ups/", {"amount_usd": "5"},
                                format="json").json()["checkout_url"]  # fmt: skip
    onboarding = api_as(artist).post("/api/v1/billing/payouts/onboarding/").json()["url"]
    settings.STRIPE_SECRET_KEY = "sk_test_offline"
    browser = Client()
    for url in (top_up, onboarding):
        for method in (browser.get, browser.post):
            refused = method(path_of(url))
            assert refused.status_code == 503
            assert "this server uses Stripe" in refused.content.decode()
    assert wallet_of(buyer).balance_micros == 0
    assert not ConnectAccount.objects.get(rights_holder=artist).payouts_enabled


def test_anyone_with_the_link_can_complete_it_as_with_stripe(sandbox, buyer, make_user):
    # Stripe's Checkout links need no sign-in on our site; neither do the sandbox's.
    url = api_as(buyer).post("/api/v1/billing/top-ups/", {"amount_usd": "5"},
                             format="json").json()["checkout_url"]  # fmt: skip
    other = Client(enforce_csrf_checks=True)
    other.force_login(make_user("someone", role=Role.BUYER))
    _, done = complete(url, other)
    assert done.status_code == 303
    assert wallet_of(buyer).balance_micros == 5_000_000
