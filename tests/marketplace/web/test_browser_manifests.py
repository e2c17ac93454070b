"""A buyer's manifest in a real browser once its file was deleted after
MANIFEST_EXPORT_DAYS: its page says so and leads to building a new one of the same
collection. Checked with axe-core at desktop and phone width; screenshots under
var/screenshots/."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.downloads import downloads_grant
from marketplace.manifest_expiry import manifests_expire
from marketplace.models import Collection, CollectionItem, ManifestExport
from tests.marketplace.web.test_browser_buyer import _buyer, _catalog, _sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_expired_manifest_says_so_and_leads_to_a_new_one(site):
    buyer = _buyer()
    assets = _catalog()
    downloads_grant(buyer=buyer, asset_ids=[a.pk for a in assets[:3]], purpose="research",
                    use="ai_training")  # fmt: skip
    collection = Collection.objects.create(owner=buyer, name="Harbours for captioning")
    CollectionItem.objects.bulk_create(CollectionItem(collection=collection, asset=a)
                                       for a in assets[:3])  # fmt: skip
    _sign_in(site, "bea", "bea-long-pass")
    page = site.go(f"/manifests/?collection={collection.pk}")
    expect(page.get_by_text("Manifests are kept for 30 days, then deleted")).to_be_visible()
    page.get_by_role("button", name="Build it").click()
    expect(page.get_by_text("Ready:")).to_be_visible()  # Celery runs eagerly here
    manifest = ManifestExport.objects.get()

    # Thirty days on, the file is deleted: the page says so and what to do.
    ManifestExport.objects.update(created_at=timezone.now() - timedelta(days=31))
    assert manifests_expire() == 1
    page = site.go(f"/manifests/{manifest.pk}/")
    expect(page.get_by_role("status")).to_contain_text("this manifest's file was deleted on")
    expect(page.get_by_role("link", name=re.compile("Download"))).to_have_count(0)
    site.check("manifest-expired")
    page.get_by_role("link", name="build a new manifest").click()
    expect(page.get_by_label("Of")).to_have_value(str(collection.pk))
    row = page.get_by_role("row").filter(has_text="Harbours for captioning")
    expect(row).to_contain_text("Expired")
    site.check("manifests-with-expired")
