"""A buyer's WebDataset shard pages: asking for an export, watching it build, downloading
each shard and the index, shards withheld after a takedown, failed and expired exports,
and privacy."""

import hashlib
import json
import re

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from catalog.models import Asset, AssetStatus
from marketplace.downloads import downloads_grant
from marketplace.models import Collection, CollectionItem, Role, ShardExport
from tests.marketplace.delivery_helpers import hashed_asset, stored_bytes

pytestmark = pytest.mark.django_db


def _licensed(buyer, n: int) -> list[Asset]:
    assets = [hashed_asset(title=f"Pear {i}") for i in range(n)]
    downloads_grant(buyer=buyer, asset_ids=[a.pk for a in assets], purpose="research",
                    use="ai_training")  # fmt: skip
    return assets


def _fetched(client: Client, url: str) -> bytes:
    """What a link the page hands out redirects to, fetched."""
    response = client.get(url)
    assert response.status_code == 302, url
    served = Client().get(response["Location"])
    assert served.status_code == 200, response["Location"]
    return b"".join(served.streaming_content)


def _ask(bea, captured, **form) -> ShardExport:
    with captured(execute=True):
        response = bea.post("/shards/", {"collection": "", **form})
    assert response.status_code == 302, response.content.decode()
    export = ShardExport.objects.latest("pk")
    assert response["Location"] == f"/shards/{export.pk}/"
    return export


def test_shards_of_a_collection_are_written_listed_and_downloaded(
    bea, buyer, settings, django_capture_on_commit_callbacks
):
    settings.SHARD_MAX_BYTES = 10240  # three small images a shard
    assets = _licensed(buyer, 4)
    not_licensed = hashed_asset()
    collection = Collection.objects.create(owner=buyer, name="Pears")
    CollectionItem.objects.bulk_create(CollectionItem(collection=collection, asset=a)
                                       for a in [*assets, not_licensed])  # fmt: skip

    form = bea.get(f"/shards/?collection={collection.pk}").content.decode()
    assert re.search(rf'<option value="{collection.pk}" selected>Collection “Pears”', form)
    export = _ask(bea, django_capture_on_commit_callbacks, collection=collection.pk)

    page = bea.get(f"/shards/{export.pk}/").content.decode()
    assert "Your shards are being written." in page  # the message after asking
    assert "<h1>WebDataset shards of “Pears”</h1>" in page
    assert "Ready:</strong> 4 images in 2 shards" in page
    assert "1 left out (not licensed by you, or taken down)" in page
    assert "every 2s" not in page
    export.refresh_from_db()
    for shard in export.shards:
        assert shard["sha256"] in page
        assert f'href="/shards/{export.pk}/files/{shard["name"]}"' in page
        data = _fetched(bea, f"/shards/{export.pk}/files/{shard['name']}")
        assert (len(data), hashlib.sha256(data).hexdigest()) == (shard["size"], shard["sha256"])
    assert stored_bytes(assets[0]) in _fetched(bea, f"/shards/{export.pk}/files/shard-000000.tar")
    index = json.loads(_fetched(bea, f"/shards/{export.pk}/index.json"))
    assert [s["name"] for s in index["shards"]] == ["shard-000000.tar", "shard-000001.tar"]
    assert 'WebDataset("shard-{000000..000001}.tar")' in page
    assert f"optin-media shards {collection.pk} --to shards/" in page

    listed = bea.get("/shards/").content.decode()
    row = re.search(rf'<tr><td><a href="/shards/{export.pk}/">.*?</tr>', listed, re.S).group(0)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    total = sum(s["size"] for s in export.shards)
    assert cells[:3] == ["4", "1", "2"] and cells[3].replace("\xa0", " ").endswith("KB")
    assert "“Pears”" in row and "Ready" in row
    assert total > 10240


def test_the_page_polls_while_the_shards_are_written(bea, buyer):
    export = ShardExport.objects.create(buyer=buyer, max_shard_bytes=10240)
    page = bea.get(f"/shards/{export.pk}/").content.decode()
    assert f'hx-get="/shards/{export.pk}/"' in page and 'hx-trigger="every 2s"' in page
    assert "Writing the shards…" in page and "<progress" in page
    # Halfway: the plan is made and one shard of two written.
    export.plan, export.shards = (
        [[1], [2]],
        [
            {
                "name": "shard-000000.tar",
                "size": 10240,
                "sha256": "0" * 64,
                "sample_count": 1,
                "key": "x",
            }
        ],
    )
    export.save()
    status = bea.get(f"/shards/{export.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in status and "1 of 2 written" in status
    assert 'value="1" max="2"' in status
    assert "1 so far" in bea.get("/shards/").content.decode()
    # Not ready: the download links say so rather than fail.
    refused = bea.get(f"/shards/{export.pk}/index.json", follow=True)
    assert refused.redirect_chain[-1][0] == f"/shards/{export.pk}/"
    assert "These shards cannot be downloaded" in refused.content.decode()
    assert bea.get(f"/shards/{export.pk}/files/shard-000000.tar").status_code == 302


def test_a_shard_holding_an_image_taken_down_since_is_withheld(
    bea, buyer, settings, django_capture_on_commit_callbacks
):
    settings.SHARD_MAX_BYTES = 10240
    assets = _licensed(buyer, 4)
    export = _ask(bea, django_capture_on_commit_callbacks)
    Asset.objects.filter(pk=assets[3].pk).update(status=AssetStatus.TAKEN_DOWN)

    page = bea.get(f"/shards/{export.pk}/").content.decode()
    assert "1 shard can no longer be downloaded:" in page
    assert "Ask for a new export</a>: it leaves those images out" in page
    assert f"withheld: taken down since, image {assets[3].pk}" in page
    assert f'href="/shards/{export.pk}/files/shard-000001.tar"' not in page
    assert f'href="/shards/{export.pk}/files/shard-000000.tar"' in page
    withheld = bea.get(f"/shards/{export.pk}/files/shard-000001.tar")
    assert withheld["Location"] == f"/shards/{export.pk}/"
    assert bea.get(f"/shards/{export.pk}/files/shard-000009.tar").status_code == 404
    # A new export leaves it out.
    again = _ask(bea, django_capture_on_commit_callbacks)
    assert (again.assets, again.skipped) == (3, 1)
    assert "can no longer be downloaded" not in bea.get(f"/shards/{again.pk}/").content.decode()


def test_only_the_owner_sees_an_export_and_bad_requests_are_told(
    bea, buyer, make_user, django_capture_on_commit_callbacks
):
    _licensed(buyer, 1)
    export = _ask(bea, django_capture_on_commit_callbacks)
    other = Client()
    other_buyer = make_user("cy", role=Role.BUYER)
    other.force_login(other_buyer)
    for path in (f"/shards/{export.pk}/", f"/shards/{export.pk}/index.json",
                 f"/shards/{export.pk}/files/shard-000000.tar"):  # fmt: skip
        assert other.get(path).status_code == 404, path
    assert str(export.pk) not in other.get("/shards/").content.decode().split("<h2")[-1]
    # Someone else's collection, or nonsense: the form again, with why.
    theirs = Collection.objects.create(owner=other_buyer, name="Theirs")
    for value in (theirs.pk, "pears"):
        refused = bea.post("/shards/", {"collection": value})
        assert refused.status_code == 400
        assert "Select a valid choice." in refused.content.decode()
    assert ShardExport.objects.count() == 1
    assert bea.get("/shards/999999/").status_code == 404
    artist = Client()
    artist.force_login(make_user("ada", role=Role.RIGHTS_HOLDER))
    assert artist.get("/shards/").status_code == 403


def test_failed_empty_and_expired_exports_say_what_to_do(
    bea, buyer, django_capture_on_commit_callbacks
):
    failed = ShardExport.objects.create(
        buyer=buyer, max_shard_bytes=10240, state="failed",
        error="The stored file of asset 7 does not match.",
    )  # fmt: skip
    page = bea.get(f"/shards/{failed.pk}/").content.decode()
    assert "The shards could not be written.</strong> The stored file of asset 7" in page
    empty = _ask(bea, django_capture_on_commit_callbacks)
    page = bea.get(f"/shards/{empty.pk}/").content.decode()
    assert "Nothing to pack:" in page and "license them first" in page
    expired = ShardExport.objects.create(buyer=buyer, max_shard_bytes=10240, state="expired",
                                         assets=12, expired_at="2026-11-02T03:37:00Z")  # fmt: skip
    page = bea.get(f"/shards/{expired.pk}/").content.decode()
    assert "these shards were deleted on 2 Nov 2026, 30 days after you asked" in page
    assert "(12 images)" in page and "ask for a new export" in page
    listed = bea.get("/shards/").content.decode()
    assert "Expired" in listed and "deleted" in listed and "Failed" in listed


def test_an_export_meeting_a_lost_file_names_it_and_the_rest_exports_without_it(
    bea, buyer, django_capture_on_commit_callbacks
):
    lost, kept = _licensed(buyer, 2)
    default_storage.delete(lost.original_key)
    collection = Collection.objects.create(owner=buyer, name="Pears")
    CollectionItem.objects.bulk_create(CollectionItem(collection=collection, asset=a)
                                       for a in (lost, kept))  # fmt: skip
    failed = _ask(bea, django_capture_on_commit_callbacks, collection=collection.pk)
    page = bea.get(f"/shards/{failed.pk}/").content.decode()
    assert (
        f"The shards could not be written.</strong> Asset {lost.pk} cannot be delivered right "
        "now: the stored file could not be read. Our moderators have been told. To export the "
        "rest now, ask again without it: take it out of the collection"
    ) in page
    assert f'href="/shards/?collection={collection.pk}">Ask for them again</a>' in page
    CollectionItem.objects.filter(collection=collection, asset=lost).delete()
    done = _ask(bea, django_capture_on_commit_callbacks, collection=collection.pk)
    done.refresh_from_db()
    assert (done.state, done.assets) == ("done", 1)


def test_buyers_find_the_shards_from_pipelines_manifests_and_collections(bea, buyer):
    collection = Collection.objects.create(owner=buyer, name="Pears")
    pipelines = bea.get("/pipelines/").content.decode()  # the navigation's Pipelines item
    assert '<a href="/shards/">WebDataset shards</a>' in pipelines
    manifests = bea.get("/manifests/").content.decode()
    assert 'ask for <a href="/shards/">WebDataset shards</a>' in manifests
    detail = bea.get(f"/collections/{collection.pk}/").content.decode()
    assert f'href="/shards/?collection={collection.pk}">Export as WebDataset shards</a>' in detail


def test_the_shard_pages_have_nothing_inline_for_the_policy_to_refuse(
    bea, buyer, settings, django_capture_on_commit_callbacks
):
    from tests.marketplace.test_security_headers import InlineContent

    settings.SHARD_MAX_BYTES = 10240
    assets = _licensed(buyer, 4)
    done = _ask(bea, django_capture_on_commit_callbacks)
    Asset.objects.filter(pk=assets[3].pk).update(status=AssetStatus.TAKEN_DOWN)
    queued = ShardExport.objects.create(buyer=buyer, max_shard_bytes=10240)
    for path in ("/shards/", f"/shards/{done.pk}/", f"/shards/{queued.pk}/"):
        response = bea.get(path)
        assert response.status_code == 200, path
        parser = InlineContent()
        parser.feed(response.content.decode())
        assert parser.found == [], (path, parser.found)
