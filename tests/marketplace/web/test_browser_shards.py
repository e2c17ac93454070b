"""A buyer's WebDataset shards in a real browser: asked for from a collection, written (the
page updates by itself while a worker writes them), downloaded and checked against their
SHA-256, and a shard withheld after a takedown. Every page is checked with axe-core at
desktop and phone width; screenshots under var/screenshots/."""

import hashlib
import re
import tarfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import Asset, AssetStatus
from marketplace.downloads import downloads_grant
from marketplace.models import Collection, CollectionItem, ShardExport
from marketplace.services import shard_export_build
from marketplace.shard_expiry import shard_exports_expire
from tests.marketplace.web.test_browser_buyer import _buyer, _catalog, _sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _licensed_catalog(buyer) -> list[Asset]:
    """The browser tests' catalog, with each asset's real SHA-256 (a shard checks it)."""
    assets = _catalog()
    for asset in assets:
        with default_storage.open(asset.original_key, "rb") as stored:
            Asset.objects.filter(pk=asset.pk).update(
                sha256=hashlib.sha256(stored.read()).hexdigest()
            )
    downloads_grant(buyer=buyer, asset_ids=[a.pk for a in assets[:4]], purpose="research",
                    use="ai_training")  # fmt: skip
    return assets


def test_a_buyer_exports_a_collection_as_shards_and_downloads_one(site, settings, tmp_path):
    settings.SHARD_MAX_BYTES = 40_000  # two or three of these small images a shard
    buyer = _buyer()
    assets = _licensed_catalog(buyer)
    collection = Collection.objects.create(owner=buyer, name="Harbours for captioning")
    CollectionItem.objects.bulk_create(CollectionItem(collection=collection, asset=a)
                                       for a in assets)  # fmt: skip
    _sign_in(site, "bea", "bea-long-pass")

    # From the collection, to the shards' page with the collection chosen.
    page = site.go(f"/collections/{collection.pk}/")
    page.get_by_role("link", name="Export as WebDataset shards").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("WebDataset shards")
    expect(page.get_by_label("Of")).to_have_value(str(collection.pk))
    site.check("shards-form")
    page.get_by_role("button", name="Write the shards").click()
    # Celery runs eagerly here: written by the time the page shows.
    expect(page.locator(".messages")).to_contain_text("Your shards are being written.")
    expect(page.locator(".note.ok")).to_contain_text("4 images in")
    expect(page.locator(".note.ok")).to_contain_text("1 left out")
    site.check("shards-ready")
    export = ShardExport.objects.get()
    assert export.state == "done" and len(export.shards) >= 2

    # Download the first shard and check it against what the page says.
    first = export.shards[0]
    row = page.get_by_role("row").filter(has_text=first["name"])
    expect(row).to_contain_text(first["sha256"])
    with page.expect_download() as got:
        row.get_by_role("link", name=first["name"]).click()
    saved = tmp_path / first["name"]
    got.value.save_as(saved)
    assert got.value.suggested_filename == first["name"]
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == first["sha256"]
    with tarfile.open(saved) as shard:
        assert shard.getnames()[:2] == [f"asset-{assets[0].pk}.jpg", f"asset-{assets[0].pk}.json"]
    with page.expect_download() as got:
        page.get_by_role("link", name="Download the index (index.json)").click()
    assert got.value.suggested_filename == f"shards-{export.pk}-index.json"

    # The list shows it.
    page = site.go("/shards/")
    row = page.get_by_role("row").filter(has_text="Harbours for captioning")
    expect(row).to_contain_text("Ready")
    expect(row.locator("td.num").first).to_have_text("4")
    site.check("shards-list")

    # An image in the last shard is taken down: that shard is withheld, and the page says
    # which image and what to do.
    last = export.shards[-1]
    gone = export.samples.filter(shard=len(export.shards) - 1).earliest("position").asset_id
    Asset.objects.filter(pk=gone).update(status=AssetStatus.TAKEN_DOWN)
    page = site.go(f"/shards/{export.pk}/")
    expect(page.get_by_role("alert")).to_contain_text("1 shard can no longer be downloaded")
    withheld = page.get_by_role("row").filter(has_text=last["name"])
    expect(withheld).to_contain_text(f"withheld: taken down since, image {gone}")
    expect(withheld.get_by_role("link", name=last["name"])).to_have_count(0)
    site.check("shards-withheld")
    page.get_by_role("link", name="Ask for a new export").click()
    expect(page.get_by_label("Of")).to_have_value(str(collection.pk))


def test_the_shards_page_updates_by_itself_while_a_worker_writes_them(site, settings):
    settings.SHARD_MAX_BYTES = 40_000
    buyer = _buyer()
    _licensed_catalog(buyer)
    queued = ShardExport.objects.create(buyer=buyer, max_shard_bytes=40_000)  # not built yet
    _sign_in(site, "bea", "bea-long-pass")
    page = site.go(f"/shards/{queued.pk}/")
    expect(page.get_by_text("Writing the shards…")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_be_visible()
    site.check("shards-writing")
    shard_export_build(queued.pk)  # the worker
    expect(page.locator(".note.ok")).to_contain_text("4 images in", timeout=10_000)
    expect(page.get_by_role("link", name=re.compile(r"shard-000000\.tar"))).to_be_visible()
    expect(page.get_by_text("Writing the shards…")).to_have_count(0)

    # Thirty days on, the files are deleted: the page says so and what to do.
    ShardExport.objects.filter(pk=queued.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert shard_exports_expire() == 1
    page = site.go(f"/shards/{queued.pk}/")
    expect(page.get_by_role("status")).to_contain_text("these shards were deleted on")
    expect(page.get_by_role("link", name=re.compile(r"shard-000000\.tar"))).to_have_count(0)
    site.check("shards-expired")
    page = site.go("/shards/")
    expect(page.get_by_role("row").filter(has_text="All your licenses")).to_contain_text("Expired")
