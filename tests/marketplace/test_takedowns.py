"""A takedown acts at once everywhere, and earlier buyers are told."""

import pytest
from django.core import mail

from catalog.services import asset_restore, asset_take_down
from marketplace.models import Notification, Role
from provenance.models import ProvenanceEvent
from tests.marketplace.factories import stored_asset
from tests.marketplace.test_downloads import client_for, download

pytestmark = pytest.mark.django_db


def test_a_takedown_hides_the_asset_everywhere_and_notifies_its_buyers_once(
    api_client, make_user, django_capture_on_commit_callbacks
):
    asset = stored_asset()
    buyer = make_user("holder", role=Role.BUYER)
    client = client_for(api_client, buyer)
    link = download(client, [asset.pk]).json()["downloads"][0]["url"]
    collection = client.post("/api/v1/collections/", {"name": "c"}, format="json").json()
    client.post(f"/api/v1/collections/{collection['id']}/items/", {"asset_ids": [asset.pk]},
                format="json")  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        assert asset_take_down(asset_id=asset.pk, actor="mod", reason="infringing")
    with django_capture_on_commit_callbacks(execute=True):
        assert not asset_take_down(asset_id=asset.pk, actor="mod", reason="infringing")

    assert api_client.get(f"/api/v1/assets/{asset.pk}/").status_code == 404
    assert api_client.get(link).status_code == 410
    items = client.get(f"/api/v1/collections/{collection['id']}/items/").json()["results"]
    assert items[0]["removed"] is True and items[0]["title"] == ""
    refused = download(client, [asset.pk])
    assert refused.json()["error"]["fields"] == {str(asset.pk): ["taken_down"]}
    notices = client.get("/api/v1/notifications/").json()["results"]
    assert len(notices) == 1 and notices[0]["asset_id"] == asset.pk
    assert "taken down (infringing)" in notices[0]["message"]
    assert [m.to for m in mail.outbox] == [["holder@example.org"]]
    read = client.post(f"/api/v1/notifications/{notices[0]['id']}/read/")
    assert read.json()["read_at"] is not None
    other = client_for(api_client, make_user("nosy", role=Role.BUYER))
    assert other.post(f"/api/v1/notifications/{notices[0]['id']}/read/").status_code == 404
    kinds = list(ProvenanceEvent.objects.filter(asset_id=asset.pk).values_list("kind", flat=True))
    assert kinds.count("moderation.taken_down") == 1


def test_restoring_returns_the_asset_to_what_it_was(api_client):
    asset = stored_asset()
    asset_take_down(asset_id=asset.pk, actor="mod", reason="privacy")
    assert asset_restore(asset_id=asset.pk, actor="mod", note="consent shown")
    assert api_client.get(f"/api/v1/assets/{asset.pk}/").status_code == 200
    assert not asset_restore(asset_id=asset.pk, actor="mod")
    assert Notification.objects.count() == 0
