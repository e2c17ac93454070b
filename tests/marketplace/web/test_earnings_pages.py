"""Earnings and usage on the site: the dashboard and its charts, the usage history, the CSV
export and payouts."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import ConnectAccount
from marketplace.downloads import downloads_grant
from marketplace.models import Role
from marketplace.selectors import usage_by_day
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold(rights_holder, make_user):
    """One work licensed by two buyers (research, commercial), one downloaded again."""
    work = opt_in_work(rights_holder, price_micros=50_000)
    for name, purpose in (("bob", "research"), ("cy", "commercial")):
        buyer = make_user(name, role=Role.BUYER)
        fund(buyer, 1_000_000)
        downloads_grant(buyer=buyer, asset_ids=[work.asset_id], purpose=purpose, use="ai_training")
    downloads_grant(buyer=buyer, asset_ids=[work.asset_id], purpose="commercial", use="ai_training")
    return work


def test_the_dashboard_shows_downloads_earnings_and_purposes(artist_client, sold):
    page = artist_client.get("/earnings/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "No downloads yet." not in html
    assert "<dt>Downloads</dt><dd>3</dd>" in html
    assert "<dt>Licenses sold</dt><dd>2</dd>" in html
    assert "<dt>Earned</dt><dd>$0.10</dd>" in html
    # The charts carry their values as text: readable without colour.
    assert "3 downloads, $0.10" in html
    assert "Research: 1 license" in html
    assert "Commercial: 1 license" in html
    assert "AI training (not generative): 2 licenses, $0.10" in html  # per use
    assert 'class="pattern-dots"' in html and 'class="pattern-stripes"' in html
    today = timezone.localdate().strftime("%b %d")
    assert f'<td>{today}</td><td class="num">3</td>' in html


def test_a_new_rights_holder_sees_what_the_dashboard_will_show(artist_client):
    assert b"No downloads yet." in artist_client.get("/earnings/").content


def test_usage_by_day_counts_each_day_of_the_window(rights_holder, sold):
    days = usage_by_day(rights_holder, days=7)
    assert len(days) == 7
    assert days[-1].day == timezone.localdate()
    assert (days[-1].downloads, days[-1].earned_micros) == (3, 100_000)
    assert sum(d.downloads for d in days[:-1]) == 0
    later = usage_by_day(rights_holder, days=7, today=timezone.localdate() + timedelta(days=10))
    assert sum(d.downloads for d in later) == 0


def test_the_csv_is_the_apis_csv(artist_client, rights_holder, sold):
    page = artist_client.get("/earnings/usage.csv")
    assert page["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="usage.csv"' in page["Content-Disposition"]
    api = APIClient()
    api.force_authenticate(rights_holder)
    assert page.content == api.get("/api/v1/usage/export/").content
    # downloads, grants, buyers, earned, research, commercial, then grants per use
    assert page.content.decode().splitlines()[1].endswith(",3,2,2,0.100000,1,1,0,0,0,2")


def test_the_history_filters_and_never_names_buyers(artist_client, sold):
    page = artist_client.get("/earnings/history/", {"kind": "download.granted"})
    html = page.content.decode()
    assert html.count("Download: licensed") == 3  # two rows and the filter's option
    assert "Offer: price and uses set" not in html.split("<table")[1]
    assert "bob" not in html and "cy@" not in html
    assert "$0.05" in html
    bad = artist_client.get("/earnings/history/", {"since": "2026-02-02", "until": "2026-01-01"})
    assert bad.status_code == 400
    assert b"Choose a day on or after the first one." in bad.content
    unknown = artist_client.get("/earnings/history/", {"work": "999999"})
    assert unknown.status_code == 400  # not one of the choices: said on the form


def test_payouts_show_what_is_held_and_until_when(artist_client, rights_holder, sold, settings):
    settings.PAYOUT_HOLD_DAYS = 14
    page = artist_client.get("/payouts/").content.decode()
    release = (timezone.localdate() + timedelta(days=14)).strftime("%-d %b %Y")
    assert f'<td>{release}</td><td class="num">$0.10</td>' in page
    assert "<dt>Balance</dt><dd>$0.10</dd>" in page
    assert "<dt>Available for the next payout</dt><dd>$0.00</dd>" in page
    assert "Set up payouts" in page


def test_sandbox_payout_onboarding_from_the_site(artist_client, rights_holder):
    started = artist_client.post("/payouts/onboarding/")
    assert started.status_code == 302  # to the onboarding page, Stripe's or the sandbox's
    page = artist_client.get(started["Location"])
    assert b"Complete (sandbox)" in page.content
    done = artist_client.post(started["Location"], follow=True)
    assert done.redirect_chain[0][0] == "http://testserver/payouts/"  # back to the site
    assert b"Payouts are set up" in done.content
    account = ConnectAccount.objects.get(rights_holder=rights_holder)
    assert account.payouts_enabled
