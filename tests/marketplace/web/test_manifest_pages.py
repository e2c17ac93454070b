"""A buyer's manifest pages once a manifest's file was deleted after MANIFEST_EXPORT_DAYS:
the page and the list say it expired, offer no download, and point to building a new one."""

from datetime import timedelta

import pytest

from marketplace.downloads import downloads_grant
from marketplace.manifest_expiry import manifests_expire
from marketplace.models import Collection, ManifestExport
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db


def test_an_expired_manifest_says_so_and_offers_a_new_one(
    bea, buyer, settings, django_capture_on_commit_callbacks
):
    assets = [stored_asset() for _ in range(3)]
    downloads_grant(buyer=buyer, asset_ids=[a.pk for a in assets], purpose="research",
                    use="ai_training")  # fmt: skip
    collection = Collection.objects.create(owner=buyer, name="Pears")
    with django_capture_on_commit_callbacks(execute=True):
        bea.post("/manifests/", {"format": "jsonl", "collection": ""})
    manifest = ManifestExport.objects.get()
    page = bea.get(f"/manifests/{manifest.pk}/").content.decode()
    assert "Ready:</strong> 3 rows" in page and "Kept until" in page
    listed = bea.get("/manifests/").content.decode()
    assert "Manifests are kept for 30 days, then deleted" in listed

    settings.MANIFEST_EXPORT_DAYS = 14
    ManifestExport.objects.update(collection=collection)
    assert manifests_expire(now=manifest.created_at + timedelta(days=15)) == 1
    manifest.refresh_from_db()

    page = bea.get(f"/manifests/{manifest.pk}/").content.decode()
    assert "file was deleted on" in page
    assert "14 days after you asked for it (3 rows)" in page
    assert f'href="/manifests/?collection={collection.pk}">build a new manifest</a>' in page
    assert "/download/" not in page and "Kept until" not in page
    assert "links inside stay valid" not in page
    polled = bea.get(f"/manifests/{manifest.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in polled and "every 2s" not in polled and "Deleted:" in polled
    # The download address of an expired manifest leads back to its page, saying why.
    gone = bea.get(f"/manifests/{manifest.pk}/download/", follow=True)
    assert gone.redirect_chain[-1][0] == f"/manifests/{manifest.pk}/"
    assert "This manifest has expired: its file was deleted." in gone.content.decode()
    listed = bea.get("/manifests/").content.decode()
    assert "<td>Expired</td>" in listed
    assert "Manifests are kept for 14 days" in listed
    # The link's collection comes chosen in the form.
    form = bea.get(f"/manifests/?collection={collection.pk}").content.decode()
    assert f'<option value="{collection.pk}" selected>' in form


def test_the_expired_manifest_page_has_nothing_inline_for_the_policy_to_refuse(bea, buyer):
    from tests.marketplace.test_security_headers import InlineContent

    expired = ManifestExport.objects.create(buyer=buyer, format="parquet", link_seconds=3600,
                                            state="expired", rows=4,
                                            expired_at="2026-11-02T03:47:00Z")  # fmt: skip
    for path in ("/manifests/", f"/manifests/{expired.pk}/"):
        response = bea.get(path)
        assert response.status_code == 200, path
        parser = InlineContent()
        parser.feed(response.content.decode())
        assert parser.found == [], (path, parser.found)
    assert "deleted on 2 Nov 2026" in bea.get(f"/manifests/{expired.pk}/").content.decode()
