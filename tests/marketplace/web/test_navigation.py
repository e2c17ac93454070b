"""The header's items for each kind of account, and which one is current: a buyer has one
Pipelines item for the manifests, shards, webhooks and API tokens pages (which keep their
own addresses), current on each of them."""

import re

import pytest

from marketplace.models import ManifestExport, Role

pytestmark = pytest.mark.django_db


def _header_links(html: str) -> dict[str, str]:
    """The main navigation's links: label to aria-current ("" when not current)."""
    nav = re.search(r'<nav class="site-nav" aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    link = r'<a href="[^"]*"(?: aria-current="(\w+)")?>([^<]+)</a>'
    return {label: current for current, label in re.findall(link, nav)}


@pytest.mark.parametrize(
    "path, current",
    [
        ("/pipelines/", "page"),
        ("/manifests/", "true"),
        ("/shards/", "true"),
        ("/account/webhooks/", "true"),
        ("/account/token/", "true"),
    ],
)
def test_a_buyer_has_one_pipelines_item_current_on_each_pipeline_page(bea, path, current):
    links = _header_links(bea.get(path).content.decode())
    assert links == {
        "Search": "", "Sources": "", "Releases": "", "Collections": "", "Licenses": "",
        "Pipelines": current, "Wallet and plan": "",
    }  # fmt: skip


def test_a_pipeline_page_further_down_marks_its_group_current(bea, buyer):
    manifest = ManifestExport.objects.create(buyer=buyer, format="jsonl", link_seconds=3600)
    links = _header_links(bea.get(f"/manifests/{manifest.pk}/").content.decode())
    assert links["Pipelines"] == "true"


def test_a_rights_holder_keeps_api_tokens_in_the_header(artist_client):
    links = _header_links(artist_client.get("/works/upload/").content.decode())
    assert links == {
        "Search": "", "Sources": "", "Releases": "", "My works": "", "Upload": "page",
        "Earnings": "", "Payouts": "", "API tokens": "",
    }  # fmt: skip
    links = _header_links(artist_client.get("/account/token/").content.decode())
    assert links["API tokens"] == "page"


def test_staff_reach_moderation_from_the_header_and_others_do_not(client, make_user, bea):
    client.force_login(make_user("mona", role=Role.MODERATOR, is_staff=True))
    links = _header_links(client.get("/search/").content.decode())
    assert links == {"Search": "page", "Sources": "", "Releases": "", "API tokens": "",
                     "Moderation": ""}  # fmt: skip
    assert '<a href="/admin/">Moderation</a>' in client.get("/search/").content.decode()
    assert "Moderation" not in _header_links(bea.get("/search/").content.decode())


def test_someone_signed_out_sees_the_public_pages(client):
    links = _header_links(client.get("/sources/").content.decode())
    assert links == {"Search": "", "Sources": "page", "Releases": ""}
    assert "Sign in" in client.get("/").content.decode()
