"""A buyer's pages: collections, licensing with its summary and refusals, the links and the
zip, the wallet and plan with Stripe's (the sandbox's) pages, manifests, saved thresholds
and takedown notices."""

import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from billing.ledger import wallet_of
from billing.models import Subscription, TopUp
from billing.quota import quota_status
from catalog.models import Asset, AssetStatus
from catalog.search_documents import search_documents_refresh
from catalog.services import asset_take_down
from marketplace.downloads import downloads_grant
from marketplace.models import (
    Collection,
    CollectionItem,
    DownloadGrant,
    ManifestExport,
    Notification,
    Role,
    SavedThresholds,
)
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work, stored_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_work(make_user):
    work = opt_in_work(make_user("ada", role=Role.RIGHTS_HOLDER), price_micros=50_000)
    Asset.objects.filter(pk=work.asset_id).update(status=AssetStatus.PUBLISHED,
                                                  byte_size=None)  # fmt: skip
    return Asset.objects.get(pk=work.asset_id)


def _free(n: int = 2) -> list[Asset]:
    return [stored_asset(title=f"Still life {i}", thumbnail_key="thumbnails/x.jpg")
            for i in range(n)]  # fmt: skip


# --- collections ----------------------------------------------------------------------


def test_a_buyer_adds_ticked_images_to_a_new_collection_then_to_it_again(bea, buyer):
    a, b = _free()
    response = bea.post("/collections/add/", {"asset": [a.pk, b.pk], "new_name": "Harbours",
                                              "next": "/search/?q=still"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/search/?q=still"
    collection = Collection.objects.get(owner=buyer, name="Harbours")
    assert set(collection.items.values_list("asset_id", flat=True)) == {a.pk, b.pk}
    # With htmx the page stays as it is and gets the message and the updated list.
    again = bea.post("/collections/add/", {"asset": [a.pk], "collection": collection.pk},
                     HTTP_HX_REQUEST="true")  # fmt: skip
    html = again.content.decode()
    assert again.status_code == 200
    assert "0 images added to “Harbours” (1 was in it already)." in html
    assert 'hx-swap-oob="true"' in html and "Harbours (2)" in html


def test_adding_refuses_what_cannot_be_added_and_keeps_nothing(bea, buyer, make_user):
    (a,) = _free(1)
    gone = stored_asset(status=AssetStatus.TAKEN_DOWN)
    response = bea.post("/collections/add/", {"asset": [a.pk, gone.pk], "new_name": "Mixed"},
                        HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "1 of these assets is not in the catalog; nothing was added." in html
    assert not Collection.objects.filter(owner=buyer).exists()
    assert bea.post("/collections/add/", {"asset": ["x"], "new_name": "N"}).status_code == 302
    other = Collection.objects.create(owner=make_user("cy", role=Role.BUYER), name="Theirs")
    refused = bea.post("/collections/add/", {"asset": [a.pk], "collection": other.pk},
                       HTTP_HX_REQUEST="true")  # fmt: skip
    assert refused.status_code == 404
    assert not other.items.exists()


def test_a_collection_shows_a_taken_down_item_as_removed_with_the_reason(bea, buyer):
    a, b = _free()
    collection = Collection.objects.create(owner=buyer, name="Harbours")
    CollectionItem.objects.bulk_create([CollectionItem(collection=collection, asset=x)
                                        for x in (a, b)])  # fmt: skip
    asset_take_down(asset_id=b.pk, actor="mona", reason="infringing")
    html = bea.get(f"/collections/{collection.pk}/").content.decode()
    assert "1 image, 1 removed" in html
    assert f'href="/assets/{a.pk}/"' in html and f'href="/assets/{b.pk}/"' not in html
    assert "Taken down by a moderator: infringing." in html
    listing = bea.get("/collections/").content.decode()
    assert "1 removed" in listing


def test_renaming_and_making_private_needs_the_curation_plan(bea, buyer):
    collection = Collection.objects.create(owner=buyer, name="Harbours")
    html = bea.get(f"/collections/{collection.pk}/").content.decode()
    assert "Subscribe to Curation</a> to make this one private" in html
    refused = bea.post(f"/collections/{collection.pk}/", {"name": "Harbours", "private": "on"})
    assert refused.status_code == 400
    assert "Private collections come with the Curation plan" in refused.content.decode()
    collection.refresh_from_db()
    assert not collection.private
    renamed = bea.post(f"/collections/{collection.pk}/", {"name": "Ports"})
    assert renamed.status_code == 302
    collection.refresh_from_db()
    assert collection.name == "Ports"
    Subscription.objects.create(
        buyer=buyer, stripe_customer_id="cus_1", status="active",
        current_period_start=timezone.now() - timedelta(days=1),
        current_period_end=timezone.now() + timedelta(days=29),
    )  # fmt: skip
    assert bea.post(f"/collections/{collection.pk}/", {"name": "Ports", "private": "on"}
                    ).status_code == 302  # fmt: skip
    collection.refresh_from_db()
    assert collection.private


def test_removing_items_and_deleting_a_collection(bea, buyer):
    a, b = _free()
    collection = Collection.objects.create(owner=buyer, name="Harbours")
    CollectionItem.objects.bulk_create([CollectionItem(collection=collection, asset=x)
                                        for x in (a, b)])  # fmt: skip
    response = bea.post(f"/collections/{collection.pk}/remove/", {"asset": [a.pk]}, follow=True)
    assert "1 image removed." in response.content.decode()
    assert list(collection.items.values_list("asset_id", flat=True)) == [b.pk]
    bea.post(f"/collections/{collection.pk}/delete/", {})
    assert Collection.objects.filter(pk=collection.pk).exists()  # not without the tick
    bea.post(f"/collections/{collection.pk}/delete/", {"confirm": "on"})
    assert not Collection.objects.filter(pk=collection.pk).exists()


def test_others_read_a_shared_collection_but_never_a_private_one(client, buyer, make_user):
    shared = Collection.objects.create(owner=buyer, name="Shared")
    secret = Collection.objects.create(owner=buyer, name="Secret", private=True)
    assert client.get(f"/collections/{shared.pk}/").status_code == 200
    assert "Remove the ticked" not in client.get(f"/collections/{shared.pk}/").content.decode()
    assert client.get(f"/collections/{secret.pk}/").status_code == 404
    assert client.get(f"/collections/{secret.pk}/datasheet/").status_code == 404
    other = Client()
    other.force_login(make_user("cy", role=Role.BUYER))
    assert other.post(f"/collections/{shared.pk}/", {"name": "Mine now"}).status_code == 404


def test_a_collections_datasheet_is_a_page_and_markdown(bea, buyer):
    a, b = _free()
    collection = Collection.objects.create(owner=buyer, name="Harbours")
    CollectionItem.objects.bulk_create([CollectionItem(collection=collection, asset=x)
                                        for x in (a, b)])  # fmt: skip
    asset_take_down(asset_id=b.pk, actor="mona", reason="infringing")
    html = bea.get(f"/collections/{collection.pk}/datasheet/").content.decode()
    assert "Datasheet: collection Harbours" in html
    assert "Hand-picked by the collection's owner." in html
    assert "<dt>Removed</dt><dd>1</dd>" in html
    md = bea.get(f"/collections/{collection.pk}/datasheet/", {"format": "md"})
    name = f"collection-{collection.pk}-datasheet.md"
    assert md["Content-Disposition"] == f'attachment; filename="{name}"'
    assert "| removed | 1 |" in md.content.decode()
    assert bea.get(f"/collections/{collection.pk}/datasheet/", {"format": "x"}).status_code == 400


def test_buyer_pages_are_for_buyers(client, make_user):
    for path in ("/collections/", "/wallet/", "/manifests/", "/licenses/", "/license/",
                 "/account/thresholds/"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in/" in response["Location"], path
    artist = Client()
    artist.force_login(make_user("ada", role=Role.RIGHTS_HOLDER))
    assert artist.get("/wallet/").status_code == 403


# --- licensing --------------------------------------------------------------------------


def test_the_summary_says_what_is_free_paid_and_what_remains_after(bea, buyer, paid_work):
    a, b = _free()
    fund(buyer, 1_000_000)
    unchosen = bea.get("/license/", {"asset": [a.pk, b.pk, paid_work.pk]}).content.decode()
    assert "choose a use to license it" in unchosen  # opt-in works are licensed per use
    response = bea.get("/license/", {"asset": [a.pk, b.pk, paid_work.pk], "use": "ai_training"})
    assert response.status_code == 200
    html = response.content.decode()
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", html))
    assert facts["Free (public domain, CC0)"] == "2"
    assert facts["Paid (opt-in works)"] == "1"
    assert facts["Artists' prices"] == "$0.05"
    assert facts["Platform fee"] == "$0.001"
    assert facts["Total"] == "<strong>$0.051</strong>"
    assert facts["Wallet after"] == "$0.949"
    assert facts["Downloads left this period"] == "1,000 of 1,000"
    assert facts["Left after"].startswith("997")
    assert "Confirm and license for $0.051" in html
    assert not DownloadGrant.objects.exists()  # nothing happens before confirming


def test_confirming_licenses_charges_once_and_lists_the_links(bea, buyer, paid_work):
    a, b = _free()
    fund(buyer, 1_000_000)
    form = {
        "asset": [a.pk, b.pk, paid_work.pk],
        "step": "confirm",
        "purpose": "research",
        "use": "ai_training",
        "purpose_note": "captioning",
        "key": "0f8fad5b-d9cb-469f-a165-70867728950e",
    }
    response = bea.post("/license/", form)
    assert response.status_code == 302
    assert DownloadGrant.objects.filter(buyer=buyer).count() == 3
    again = bea.post("/license/", form)  # a second click: charged and counted once
    assert again.status_code == 302 and again["Location"] != response["Location"]
    assert wallet_of(buyer).balance_micros == 1_000_000 - 51_000
    assert quota_status(buyer).used == 3
    done = bea.get(response["Location"]).content.decode()
    assert re.findall(r'download="(asset-\d+\.jpg)"', done) == [
        f"asset-{x.pk}.jpg" for x in (a, b, paid_work)
    ]
    assert "<dd>$0.051</dd>" in done
    link = re.search(r'href="(/api/v1/files/[^"]+)" download', done).group(1)
    assert Client().get(link).status_code == 200
    # The signed receipt of the three grants, for the buyer's records.
    receipt = bea.get(re.search(r'href="(/api/v1/receipts/rcpt_\w+/)"', done).group(1)).json()
    assert len(receipt["payload"]["grants"]) == 3
    # The zip streams the three files and a list of their licenses.
    zipped = bea.get(re.search(r'href="(/license/\w+/files\.zip)"', done).group(1))
    assert zipped["Content-Type"] == "application/zip"
    body = b"".join(zipped.streaming_content)
    assert int(zipped["Content-Length"]) == len(body)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        assert names == [f"asset-{x.pk}.jpg" for x in (a, b, paid_work)] + ["LICENSES.txt"]
        assert archive.read(names[0]) == default_storage.open(a.original_key).read()
        licenses = archive.read("LICENSES.txt").decode()
    assert f"asset-{paid_work.pk}.jpg" in licenses and "training license version" in licenses


def test_refusals_say_why_and_the_way_forward(bea, buyer, paid_work, settings):
    (a,) = _free(1)
    form = {
        "asset": [a.pk, paid_work.pk],
        "step": "confirm",
        "purpose": "research",
        "use": "ai_training",
    }
    poor = bea.post("/license/", form)
    assert poor.status_code == 402
    html = poor.content.decode()
    assert "Your wallet does not hold enough." in html
    assert 'href="/wallet/?amount=0.051#top-up-h">Top up your wallet' in html
    gone = stored_asset(status=AssetStatus.TAKEN_DOWN)
    fund(buyer, 1_000_000)
    refused = bea.post("/license/", {**form, "asset": [a.pk, gone.pk]})
    assert refused.status_code == 409
    assert "taken down by a moderator" in refused.content.decode()
    assert "License the others and skip" in refused.content.decode()
    skipped = bea.post("/license/", {**form, "asset": [a.pk, gone.pk], "skip_unavailable": "on"})
    assert skipped.status_code == 302
    assert "Skipped 1" in bea.get(skipped["Location"]).content.decode()
    settings.PLAN_FREE_MONTHLY_DOWNLOADS = 1
    over = bea.post("/license/", form)
    assert over.status_code == 429
    assert "Not enough downloads left this period." in over.content.decode()
    assert "See the plans" in over.content.decode()
    assert bea.post("/license/", {**form, "purpose": "spying"}).status_code == 400


def test_a_collection_is_licensed_whole(bea, buyer):
    a, b = _free()
    collection = Collection.objects.create(owner=buyer, name="Harbours")
    CollectionItem.objects.bulk_create([CollectionItem(collection=collection, asset=x)
                                        for x in (a, b)])  # fmt: skip
    html = bea.get("/license/", {"collection": collection.pk}).content.decode()
    assert "License the collection “Harbours”" in html
    done = bea.post("/license/", {"collection": collection.pk, "step": "confirm",
                                  "purpose": "commercial", "use": "ai_training"})  # fmt: skip
    assert done.status_code == 302
    assert set(DownloadGrant.objects.values_list("purpose", flat=True)) == {"commercial"}
    assert bea.get("/license/", {"collection": 99999}).status_code == 404


def test_links_are_never_extended_and_the_zip_has_limits(bea, buyer, settings, monkeypatch):
    assets = _free(3)
    response = bea.post("/license/", {"asset": [x.pk for x in assets], "step": "confirm",
                                      "purpose": "research", "use": "ai_training"})  # fmt: skip
    settings.DOWNLOAD_ZIP_MAX_FILES = 2
    page = bea.get(response["Location"]).content.decode()
    assert "A zip holds at most 2 files" in page
    assert bea.get(response["Location"] + "files.zip").status_code == 400
    later = timezone.now() + timedelta(seconds=settings.DOWNLOAD_URL_SECONDS + 5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    expired = bea.get(response["Location"]).content.decode()
    assert "These links expired" in expired and "/api/v1/files/" not in expired
    assert bea.get("/license/0123456789abcdef/").status_code == 404


def test_the_licenses_page_lists_grants_and_what_to_delete(bea, buyer):
    a, b = _free()
    downloads_grant(buyer=buyer, asset_ids=[a.pk, b.pk], purpose="research", use="ai_training")
    asset_take_down(asset_id=b.pk, actor="mona", reason="privacy")
    html = bea.get("/licenses/").content.decode()
    assert f'href="/license/?asset={a.pk}&amp;use=ai_training">Download again' in html
    assert "<td>AI training (not generative)</td>" in html  # the use licensed
    assert f"Image {b.pk} <span" in html and "Delete your copies" in html


# --- the use searched for, carried to licensing ------------------------------------------


@pytest.fixture
def priced_per_use(make_user):
    """An opt-in work priced differently per use, and not offered for data mining."""
    work = opt_in_work(make_user("ada", role=Role.RIGHTS_HOLDER),
                       uses={"ai_training": 20_000, "ai_generative_training": 70_000})  # fmt: skip
    Asset.objects.filter(pk=work.asset_id).update(status=AssetStatus.PUBLISHED, title="Study",
                                                  thumbnail_key="thumbnails/x.jpg")  # fmt: skip
    search_documents_refresh([work.asset_id])
    return Asset.objects.get(pk=work.asset_id)


def _chosen_use(html: str) -> list[str]:
    """The uses whose radio button is checked on the licensing page."""
    return re.findall(r'<input type="radio" name="use" value="(\w+)"[^>]*\bchecked\b', html)


def _facts(html: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", html))


def test_the_search_grid_sends_the_use_searched_for_with_the_ticked_images(
    bea, buyer, priced_per_use
):
    a, b = _free()
    search_documents_refresh([a.pk])
    html = bea.get("/search/", {"use": "ai_generative_training"}).content.decode()
    assert (
        '<input type="hidden" name="use" value="ai_generative_training" form="selection">' in html
    )
    # An image's page, reached from that search, knows the use too.
    assert f'href="/assets/{priced_per_use.pk}/?use=ai_generative_training"' in html
    # The results swapped in by htmx carry the use searched now, not the first one.
    swapped = bea.get("/search/", {"use": "ai_training"}, headers={"HX-Request": "true"})
    assert 'name="use" value="ai_training" form="selection"' in swapped.content.decode()
    plain = bea.get("/search/").content.decode()
    assert 'type="hidden" name="use"' not in plain
    assert f'href="/assets/{priced_per_use.pk}/"' in plain

    # "License the ticked images" posts the selection with the use: the summary opens with
    # it chosen and priced at that use's price. The grid's form sends the collection chosen
    # for "Add to the collection" too: the ticked images are licensed, not that collection.
    collection = Collection.objects.create(owner=buyer, name="Harbours")
    CollectionItem.objects.create(collection=collection, asset=b)
    review = {"asset": [a.pk, priced_per_use.pk], "step": "review", "next": "/search/",
              "collection": collection.pk, "use": "ai_generative_training"}  # fmt: skip
    response = bea.post("/license/", review)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>License 2 images</h1>" in html
    assert _chosen_use(html) == ["ai_generative_training"]
    assert _facts(html)["Use"].startswith("Generative AI training")
    assert _facts(html)["Total"] == "<strong>$0.071</strong>"
    assert "$0.071 for generative AI training" in html
    assert "Confirm and license for $0.071" in html
    assert not DownloadGrant.objects.exists()
    # The buyer may still choose another use: the summary follows it.
    changed = {"asset": [a.pk, priced_per_use.pk], "use": "ai_training", "purpose": "research"}
    other = bea.get("/license/", changed, headers={"HX-Request": "true"})
    assert _chosen_use(other.content.decode()) == ["ai_training"]
    assert _facts(other.content.decode())["Total"] == "<strong>$0.021</strong>"
    # No use searched: none is chosen, and the opt-in work waits for one (today's rule).
    unsearched = bea.post("/license/", {**review, "use": ""}).content.decode()
    assert _chosen_use(unsearched) == []
    assert "Use" not in _facts(unsearched)
    assert "choose a use to license it" in unsearched
    assert _facts(unsearched)["Total"] == "<strong>$0.00</strong>"


def test_a_use_in_the_link_that_is_unknown_or_not_allowed_is_said_not_a_500(bea, priced_per_use):
    (a,) = _free(1)
    unknown = bea.get("/license/", {"asset": [a.pk, priced_per_use.pk], "use": "<b>mining</b>"})
    assert unknown.status_code == 200
    html = unknown.content.decode()
    assert _chosen_use(html) == []
    assert "The link asked for “&lt;b&gt;mining&lt;/b&gt;”, which is not one of the uses" in html
    posted = bea.post("/license/", {"asset": [a.pk], "step": "review", "use": "x" * 5000})
    assert posted.status_code == 200 and _chosen_use(posted.content.decode()) == []
    # A use the rights holder does not allow: chosen as asked, and the work said to be
    # refused for it, with the uses it does allow.
    refused = bea.get("/license/", {"asset": [a.pk, priced_per_use.pk], "use": "data_mining"})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert _chosen_use(html) == ["data_mining"]
    assert "its rights holder does not allow this use" in html
    assert "generative ai training $0.071" in html.lower()
    assert "The link asked for" not in html
    # Confirming an unknown use is a form error, not a 500.
    bad = bea.post("/license/", {"asset": [a.pk], "step": "confirm", "purpose": "research",
                                 "use": "mining"})  # fmt: skip
    assert bad.status_code == 400 and not DownloadGrant.objects.exists()


def test_an_assets_page_reached_from_a_search_licenses_for_that_use(bea, priced_per_use):
    html = bea.get(f"/assets/{priced_per_use.pk}/", {"use": "ai_generative_training"}).content
    html = html.decode()
    assert (f'href="/license/?asset={priced_per_use.pk}&amp;use=ai_generative_training">'
            "License this image for generative AI training</a>") in html  # fmt: skip
    assert re.search(r'<li class="searched">\s*<span class="use-name">Generative AI training '
                     r'<span class="muted small">\(the use you searched for\)', html)  # fmt: skip
    page = bea.get(f"/license/?asset={priced_per_use.pk}&use=ai_generative_training")
    assert _chosen_use(page.content.decode()) == ["ai_generative_training"]
    # Another use in the link, or none, leaves the page as it always was.
    for query in ({"use": "bogus"}, {}):
        html = bea.get(f"/assets/{priced_per_use.pk}/", query).content.decode()
        assert f'href="/license/?asset={priced_per_use.pk}">License this image</a>' in html
        assert 'class="searched"' not in html


def test_the_licensed_page_shows_each_rows_use(bea, buyer, priced_per_use):
    a, b = _free()
    fund(buyer, 1_000_000)
    form = {"asset": [a.pk, priced_per_use.pk], "step": "confirm", "purpose": "research",
            "use": "ai_generative_training"}  # fmt: skip
    done = bea.post("/license/", form)
    assert done.status_code == 302
    html = bea.get(done["Location"]).content.decode()
    assert '<th scope="col">Use</th>' in html
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", html, re.S)
    assert len(rows) == 2
    assert all("<td>Generative AI training</td>" in row for row in rows)
    # Base-set images licensed with no use named: every use, as on the licenses page.
    free = bea.post("/license/", {"asset": [b.pk], "step": "confirm", "purpose": "research"})
    assert free.status_code == 302
    html = bea.get(free["Location"]).content.decode()
    assert f'download="asset-{b.pk}.jpg"' in html
    assert "<td>Every use</td>" in html
    assert "<td>Every use</td>" in bea.get("/licenses/").content.decode()


# --- wallet and plan ------------------------------------------------------------------


def test_topping_up_through_the_sandbox_comes_back_to_the_wallet(bea, buyer, settings):
    settings.STRIPE_SECRET_KEY = ""
    html = bea.get("/wallet/").content.decode()
    assert "$0.00" in html and "This server runs the local payment sandbox" in html
    started = bea.post("/wallet/top-up/", {"amount_usd": "10"})
    assert started.status_code == 302 and "/billing/sandbox/checkout/" in started["Location"]
    page = bea.get(started["Location"])
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    done = bea.post(started["Location"], {"csrfmiddlewaretoken": token.decode()})
    assert done["Location"] == "http://testserver/wallet/"
    assert wallet_of(buyer).balance_micros == 10_000_000
    html = bea.get("/wallet/").content.decode()
    assert '<dd id="wallet-balance">$10.00</dd>' in html
    assert "Wallet top-up of $10.00" in html


def test_a_top_up_outside_the_amounts_is_refused_with_a_reason(bea, settings):
    response = bea.post("/wallet/top-up/", {"amount_usd": "7"}, follow=True)
    assert "Top-ups come in fixed amounts" in response.content.decode()
    response = bea.post("/wallet/top-up/", {"amount_usd": "lots"}, follow=True)
    assert "Write an amount in US dollars" in response.content.decode()
    assert not TopUp.objects.exists()


def test_the_license_page_suggests_the_top_up_that_covers_the_shortfall(bea):
    html = bea.get("/wallet/", {"amount": "7.5"}).content.decode()
    assert re.search(r'value="10" checked', html)


def test_subscribing_and_the_portal_come_back_to_the_wallet(bea, buyer, settings):
    settings.STRIPE_SECRET_KEY = ""
    started = bea.post("/wallet/subscribe/")
    assert "/billing/sandbox/checkout/" in started["Location"]
    page = bea.get(started["Location"])
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    assert bea.post(started["Location"], {"csrfmiddlewaretoken": token.decode()}
                    )["Location"] == "http://testserver/wallet/"  # fmt: skip
    assert quota_status(buyer).period.plan.code == "curation"
    html = bea.get("/wallet/").content.decode()
    assert "You are on the <strong>Curation</strong> plan" in html
    assert "Manage the subscription" in html and "Subscribe to Curation" not in html
    portal = bea.post("/wallet/portal/")
    assert "/billing/sandbox/portal/" in portal["Location"]
    again = bea.post("/wallet/subscribe/", follow=True)
    assert "You already have a Curation subscription" in again.content.decode()


def test_the_wallet_shows_the_quota_used_and_when_it_resets(bea, buyer):
    a, b = _free()
    downloads_grant(buyer=buyer, asset_ids=[a.pk, b.pk], purpose="research", use="ai_training")
    html = bea.get("/wallet/").content.decode()
    assert '<dd id="quota-used">2 of 1,000</dd>' in html
    assert '<meter id="quota-meter" min="0" max="1000" value="2"' in html
    resets = quota_status(buyer).resets_at
    assert f"the count starts again on {resets:%-d %b %Y, %H:%M} UTC" in html


# --- manifests, thresholds, notifications ---------------------------------------------------


def test_a_manifest_is_built_shown_until_ready_and_downloaded(
    bea, buyer, make_user, django_capture_on_commit_callbacks
):
    a, b = _free()
    downloads_grant(buyer=buyer, asset_ids=[a.pk, b.pk], purpose="research", use="ai_training")
    queued = ManifestExport.objects.create(buyer=buyer, format="jsonl", link_seconds=3600)
    polling = bea.get(f"/manifests/{queued.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in polling and "<progress" in polling
    with django_capture_on_commit_callbacks(execute=True):
        response = bea.post("/manifests/", {"format": "jsonl", "collection": ""})
    manifest = ManifestExport.objects.exclude(pk=queued.pk).get()
    assert response["Location"] == f"/manifests/{manifest.pk}/"
    ready = bea.get(f"/manifests/{manifest.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in ready and "Ready:</strong> 2 rows" in ready
    assert "every 2s" not in ready
    file_link = bea.get(f"/manifests/{manifest.pk}/download/")["Location"]
    rows = Client().get(file_link)
    assert b"".join(rows.streaming_content).count(b'"grant_id"') == 2
    assert bea.get(f"/manifests/{queued.pk}/download/").status_code == 302
    assert bea.post("/manifests/", {"format": "xml"}).status_code == 400
    other = Client()
    other.force_login(make_user("cy", role=Role.BUYER))
    assert other.get(f"/manifests/{manifest.pk}/").status_code == 404


def test_saved_thresholds_are_set_on_their_page(bea, buyer):
    response = bea.post("/account/thresholds/", {"max_nsfw": "0.2", "max_faces": "10",
                                                 "exclude_pii": "true"})  # fmt: skip
    assert response.status_code == 302
    assert SavedThresholds.objects.get(user=buyer).thresholds == {
        "max_nsfw": 0.2,
        "exclude_pii": True,
    }
    html = bea.get("/account/thresholds/").content.decode()
    assert re.search(r'id="t-nsfw"[^>]*value="0.2"', html)
    bad = bea.post("/account/thresholds/", {"max_nsfw": "3"})
    assert bad.status_code == 400
    assert "Ensure this value is less than or equal to 1." in bad.content.decode()


def test_a_takedown_notice_says_what_to_delete(bea, buyer, django_capture_on_commit_callbacks):
    (a,) = _free(1)
    downloads_grant(buyer=buyer, asset_ids=[a.pk], purpose="research", use="ai_training")
    with django_capture_on_commit_callbacks(execute=True):
        asset_take_down(asset_id=a.pk, actor="mona", reason="infringing")
    assert Notification.objects.filter(user=buyer, kind="takedown").exists()
    html = bea.get("/notifications/").content.decode()
    assert "What to delete:" in html
    assert f"<code>asset-{a.pk}.jpg</code>" in html
    assert a.sha256 in html
    assert 'href="/licenses/">Your licenses' in html


def test_every_new_page_has_nothing_inline_for_the_policy_to_refuse(bea, buyer, client):
    from tests.marketplace.test_security_headers import InlineContent

    a, b = _free()
    collection = Collection.objects.create(owner=buyer, name="Harbours")
    CollectionItem.objects.create(collection=collection, asset=a)
    downloads_grant(buyer=buyer, asset_ids=[a.pk], purpose="research", use="ai_training")
    manifest = ManifestExport.objects.create(buyer=buyer, format="jsonl", link_seconds=3600)
    pages = {
        client: ["/search/?q=still", f"/assets/{a.pk}/", "/sources/", "/releases/"],
        bea: ["/search/", "/collections/", f"/collections/{collection.pk}/",
              f"/collections/{collection.pk}/datasheet/", f"/license/?asset={b.pk}",
              "/licenses/", "/wallet/", "/manifests/", f"/manifests/{manifest.pk}/",
              "/account/thresholds/", "/notifications/"],
    }  # fmt: skip
    for who, paths in pages.items():
        for path in paths:
            response = who.get(path)
            assert response.status_code == 200, path
            parser = InlineContent()
            parser.feed(response.content.decode())
            assert parser.found == [], (path, parser.found)
