"""What a rights holder sees: their profile with payout status, and how their works are used."""

import csv
import io

import pytest

from billing.models import ConnectAccount
from marketplace.models import Role
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work
from tests.marketplace.test_downloads import client_for, download

pytestmark = pytest.mark.django_db


def test_profile_shows_payout_status_and_validates_links(api_client, make_user):
    artist = make_user("rosa", role=Role.RIGHTS_HOLDER)
    client = client_for(api_client, artist)
    profile = client.get("/api/v1/profile/").json()
    assert profile == {"display_name": "rosa", "links": [], "trusted": False,
                       "payouts_enabled": False}  # fmt: skip
    ConnectAccount.objects.create(rights_holder=artist, stripe_account_id="acct_r",
                                  payouts_enabled=True)  # fmt: skip
    changed = client.patch("/api/v1/profile/", {"display_name": "Rosa B.", "trusted": True,
                           "links": ["https://rosa.example.org/"]}, format="json")  # fmt: skip
    assert changed.status_code == 200
    assert changed.json() == {"display_name": "Rosa B.", "links": ["https://rosa.example.org/"],
                              "trusted": False, "payouts_enabled": True}  # fmt: skip
    bad = client.patch("/api/v1/profile/", {"links": ["javascript:alert(1)"]}, format="json")
    assert bad.status_code == 400 and "links.0" in bad.json()["error"]["fields"]


def test_usage_report_counts_downloads_buyers_purposes_and_earnings(api_client, make_user):
    artist = make_user("kai", role=Role.RIGHTS_HOLDER)
    work, other = opt_in_work(artist, price_micros=50_000), opt_in_work(artist, price_micros=0)
    for name, purpose in (("b1", "research"), ("b2", "commercial")):
        buyer = make_user(name, role=Role.BUYER)
        fund(buyer, 1_000_000)
        buyer_client = client_for(api_client, buyer)
        download(buyer_client, [work.asset_id], purpose=purpose, use="ai_training")
        download(buyer_client, [work.asset_id], purpose=purpose, use="ai_training")
    client = client_for(api_client, artist)
    report = client.get("/api/v1/usage/").json()
    first = report["works"][0]
    assert (first["work_id"], first["downloads"], first["grants"], first["buyers"]) == (
        work.pk,
        4,
        2,
        2,
    )
    assert first["earned_usd"] == "0.100000"
    assert first["purposes"] == {"research": 1, "commercial": 1}
    assert report["works"][1]["work_id"] == other.pk and report["works"][1]["downloads"] == 0
    assert report["totals"] == {"downloads": 4, "grants": 2, "earned_usd": "0.100000",
                                "paid_out_usd": "0.000000"}  # fmt: skip
    exported = client.get("/api/v1/usage/export/")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert rows[0]["earned_usd"] == "0.100000" and rows[0]["commercial"] == "1"


def test_another_rights_holder_sees_only_their_own_usage(api_client, make_user):
    opt_in_work(make_user("one", role=Role.RIGHTS_HOLDER))
    other = client_for(api_client, make_user("two", role=Role.RIGHTS_HOLDER))
    assert other.get("/api/v1/usage/").json()["works"] == []


def test_staff_publish_a_new_terms_version_and_new_offers_must_accept_it(client, make_user):
    from marketplace.models import TermsVersion
    from marketplace.offers import TermsOutdated, current_terms, offer_set

    artist = make_user("tess", role=Role.RIGHTS_HOLDER)
    work = opt_in_work(artist)
    old = current_terms()
    admin_user = make_user("root", role=Role.MODERATOR, is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    form = {"version": "2027-01", "title": "Training License", "text": "New."}
    added = client.post("/admin/marketplace/termsversion/add/", form)
    assert added.status_code == 302
    new = TermsVersion.objects.get(version="2027-01")
    client.post("/admin/marketplace/termsversion/",
                {"action": "make_current", "_selected_action": [new.pk]})  # fmt: skip
    assert current_terms() == new
    with pytest.raises(TermsOutdated):
        offer_set(owner=artist, work_id=work.pk, uses={"ai_training": 1}, allow_research=True,
                  allow_commercial=False, terms_version=old.version)  # fmt: skip
    assert work.offers.get(ended_at__isnull=True).terms == old  # existing offer unchanged
