"""Moderators read buyers' exports (shard exports, manifests) in the admin: who asked for
what and when, what went in; nobody changes or deletes them there."""

import pytest
from django.test import Client

from marketplace.models import ManifestExport, Role, ShardExport

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client(make_user) -> Client:
    client = Client()
    client.force_login(make_user("mod", role=Role.MODERATOR, is_staff=True))
    return client


def test_moderators_list_search_filter_and_read_shard_exports(moderator_client, make_user):
    mia, bob = make_user("mia"), make_user("bob")
    shard = {"name": "shard-000000.tar", "key": "shards/x/shard-000000.tar", "size": 20480,
             "sha256": "ab" * 32, "sample_count": 3}  # fmt: skip
    done = ShardExport.objects.create(
        buyer=mia, max_shard_bytes=10240, state="done", assets=3, skipped=1,
        shards=[shard, shard], index_key="i.json",
    )  # fmt: skip
    ShardExport.objects.create(buyer=bob, max_shard_bytes=10240, state="failed", error="disk")

    listed = moderator_client.get("/admin/marketplace/shardexport/").content.decode()
    assert "mia" in listed and "bob" in listed
    assert '<td class="field-shard_count">2</td>' in listed
    found = moderator_client.get("/admin/marketplace/shardexport/?q=mia").content.decode()
    assert "mia" in found and ">bob<" not in found
    failed = moderator_client.get("/admin/marketplace/shardexport/?state__exact=failed")
    assert ">bob<" in failed.content.decode() and ">mia<" not in failed.content.decode()

    detail = moderator_client.get(f"/admin/marketplace/shardexport/{done.pk}/change/")
    page = detail.content.decode()
    assert detail.status_code == 200
    assert "<code>shard-000000.tar</code>: 3 samples, 20.0\xa0KB" in page
    assert 'name="_save"' not in page  # read only
    assert moderator_client.get("/admin/marketplace/shardexport/add/").status_code == 403
    deleted = moderator_client.post(f"/admin/marketplace/shardexport/{done.pk}/delete/",
                                    {"post": "yes"})  # fmt: skip
    assert deleted.status_code == 403 and ShardExport.objects.filter(pk=done.pk).exists()


def test_moderators_list_search_filter_and_read_manifests(moderator_client, make_user):
    mia, bob = make_user("mia"), make_user("bob")
    ready = ManifestExport.objects.create(
        buyer=mia, format="parquet", state="done", rows=12, skipped=2, link_seconds=86400,
        grant_ids=[1, 2, 3], file_key="manifests/mia/1.parquet",
    )  # fmt: skip
    ManifestExport.objects.create(buyer=bob, format="jsonl", state="expired", rows=4,
                                  link_seconds=86400)  # fmt: skip

    listed = moderator_client.get("/admin/marketplace/manifestexport/").content.decode()
    assert ">mia<" in listed and ">bob<" in listed
    assert '<td class="field-rows">12</td>' in listed
    found = moderator_client.get("/admin/marketplace/manifestexport/?q=bob").content.decode()
    assert ">bob<" in found and ">mia<" not in found
    expired = moderator_client.get("/admin/marketplace/manifestexport/?state__exact=expired")
    assert ">bob<" in expired.content.decode() and ">mia<" not in expired.content.decode()

    detail = moderator_client.get(f"/admin/marketplace/manifestexport/{ready.pk}/change/")
    page = detail.content.decode()
    assert detail.status_code == 200 and "manifests/mia/1.parquet" in page
    assert "grants named one by one" in page.lower() and 'name="_save"' not in page
    assert moderator_client.get("/admin/marketplace/manifestexport/add/").status_code == 403
    deleted = moderator_client.post(f"/admin/marketplace/manifestexport/{ready.pk}/delete/",
                                    {"post": "yes"})  # fmt: skip
    assert deleted.status_code == 403 and ManifestExport.objects.filter(pk=ready.pk).exists()


@pytest.mark.parametrize("model", ["shardexport", "manifestexport"])
def test_buyers_do_not_reach_the_exports_admin(client, make_user, model):
    client.force_login(make_user("mia"))
    assert client.get(f"/admin/marketplace/{model}/").status_code == 302
