"""The site's home: what the product is, with a few published images."""

import pytest

from catalog.models import Asset
from marketplace.models import Role
from tests.marketplace.factories import opt_in_work, stored_asset

pytestmark = pytest.mark.django_db


def test_home_shows_published_images_only(client, rights_holder):
    shown = stored_asset(title="Harbour", thumbnail_key="thumbnails/a.jpg")
    draft = opt_in_work(rights_holder, offered=False)
    Asset.objects.filter(pk=draft.asset_id).update(thumbnail_key="thumbnails/b.jpg")
    stored_asset(title="No thumbnail yet")
    html = client.get("/").content.decode()
    assert "For artists and rights holders" in html and "For ML teams" in html
    assert "$0.001 platform fee" in html
    assert f'src="/thumbnails/{shown.pk}.jpg"' in html
    assert f'href="/assets/{shown.pk}/"' in html
    assert 'alt="Harbour"' in html
    assert f"/thumbnails/{draft.asset_id}.jpg" not in html
    assert "No thumbnail yet" not in html


def test_home_without_published_images_says_so(client):
    assert b"No images are published yet." in client.get("/").content


def test_everyone_can_search_from_home_and_a_buyer_finds_their_pages(client, buyer_client):
    html = client.get("/").content.decode()
    assert 'action="/search/" role="search"' in html
    assert 'href="/search/"' in html and 'href="/sources/"' in html
    assert 'href="/collections/"' not in html
    html = buyer_client.get("/").content.decode()
    for path in ("/collections/", "/licenses/", "/pipelines/", "/wallet/"):
        assert f'href="{path}"' in html, path
    teams = html.split('id="for-teams"')[1].split("</section>")[0]  # the card for ML teams
    assert 'href="/pipelines/">pipelines</a>' in teams


def test_staff_find_the_admin_from_every_page(client, make_user):
    assert b'href="/admin/"' not in client.get("/").content
    client.force_login(make_user("mona", role=Role.MODERATOR, is_staff=True))
    assert b'href="/admin/">Moderation and administration' in client.get("/").content
