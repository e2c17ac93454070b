"""The buyer's Pipelines page: manifests, WebDataset shards, webhooks and API tokens in one
place, each in a line with a link and its latest state."""

import pytest

from marketplace.models import ManifestExport, ShardExport
from marketplace.pipelines import pipeline_overview
from marketplace.tokens import token_create
from marketplace.webhooks import webhook_endpoint_create

pytestmark = pytest.mark.django_db


def test_an_empty_pipelines_page_says_there_is_nothing_yet(bea):
    page = bea.get("/pipelines/").content.decode()
    for href, label in [
        ("/manifests/", "Manifests"),
        ("/shards/", "WebDataset shards"),
        ("/account/webhooks/", "Webhooks"),
        ("/account/token/", "API tokens"),
    ]:
        assert f'<a href="{href}">{label}</a>' in page
    assert page.count("None yet.") == 2
    assert "No endpoint yet." in page and "No working token." in page


def test_the_pipelines_page_shows_the_latest_export_states_and_counts(bea, buyer, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    ManifestExport.objects.create(buyer=buyer, format="jsonl", link_seconds=3600, state="done",
                                  rows=40)  # fmt: skip
    latest = ManifestExport.objects.create(buyer=buyer, format="parquet", link_seconds=3600,
                                           state="done", rows=3)  # fmt: skip
    shards = ShardExport.objects.create(buyer=buyer, max_shard_bytes=1 << 20)  # queued
    for n in range(2):
        webhook_endpoint_create(owner=buyer, url=f"http://127.0.0.1:9000/hooks/{n}")
    token_create(user=buyer, name="trainer")
    page = bea.get("/pipelines/").content.decode()
    assert f'<a href="/manifests/{latest.pk}/">Your latest manifest</a>' in page
    assert "<strong>Ready</strong>, 3 rows." in page and "40 rows" not in page
    assert f'<a href="/shards/{shards.pk}/">Your latest export</a>' in page
    assert "<strong>Queued</strong>." in page
    assert "2 endpoints." in page and "1 working token." in page


def test_the_overview_takes_four_queries(buyer, django_assert_num_queries):
    ManifestExport.objects.create(buyer=buyer, format="jsonl", link_seconds=3600)
    with django_assert_num_queries(4):
        pipeline_overview(buyer)


def test_the_pipelines_page_is_for_buyers(artist_client, client):
    assert artist_client.get("/pipelines/").status_code == 403
    anonymous = client.get("/pipelines/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/sign-in/")


def test_the_pipelines_page_only_reads(bea):
    assert bea.post("/pipelines/").status_code == 405
