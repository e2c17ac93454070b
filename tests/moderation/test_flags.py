"""Flags: anyone signed in can flag; repeats count once; moderators decide in the admin."""

import pytest
from django.core import mail
from rest_framework.throttling import ScopedRateThrottle

from catalog.models import Asset, AssetStatus
from marketplace.models import Role
from moderation.flags import flags_decide
from moderation.models import Flag
from provenance.models import ProvenanceEvent
from tests.auth import sign_in
from tests.marketplace.factories import stored_asset
from tests.marketplace.test_downloads import download

pytestmark = pytest.mark.django_db


def signed_in(api_client, user):
    sign_in(api_client, user)
    return api_client


def flag(client, asset_id, reason="infringing", **extra):
    return client.post("/api/v1/flags/", {"asset": asset_id, "reason": reason, **extra},
                       format="json")  # fmt: skip


def test_a_flag_is_recorded_once_per_person_and_asset(api_client, make_user):
    asset = stored_asset()
    client = signed_in(api_client, make_user("ann", role=Role.BUYER))
    first = flag(client, asset.pk)
    assert first.status_code == 201 and first.json()["state"] == "open"
    again = flag(client, asset.pk, reason="privacy")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Flag.objects.count() == 1
    assert ProvenanceEvent.objects.filter(asset_id=asset.pk, kind="flag.raised").count() == 1


@pytest.mark.parametrize(
    ("asset_status", "payload", "status", "field"),
    [
        ("published", {"reason": "other"}, 400, "description"),
        ("published", {"reason": "spam"}, 400, "reason"),
        ("embargoed", {"reason": "infringing"}, 404, "asset"),
        (None, {"reason": "infringing"}, 404, "asset"),
    ],
)
def test_bad_flags_are_refused_with_the_field_named(
    api_client, make_user, asset_status, payload, status, field
):
    asset_id = stored_asset(status=asset_status).pk if asset_status else 10**9
    client = signed_in(api_client, make_user("bo", role=Role.RIGHTS_HOLDER))
    response = client.post("/api/v1/flags/", {"asset": asset_id, **payload}, format="json")
    assert response.status_code == status
    assert field in response.json()["error"]["fields"]
    assert not Flag.objects.exists()


def test_anonymous_people_cannot_flag(api_client):
    assert flag(api_client, stored_asset().pk).status_code == 401


def test_flagging_is_rate_limited(api_client, make_user, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"flags": "2/hour"})
    client = signed_in(api_client, make_user("spammer", role=Role.BUYER))
    statuses = [flag(client, stored_asset().pk).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert Flag.objects.count() == 2


def test_taking_down_closes_every_flag_on_the_asset_and_tells_its_buyers(
    api_client, make_user, django_capture_on_commit_callbacks
):
    asset = stored_asset()
    buyer = make_user("cy", role=Role.BUYER)
    download(signed_in(api_client, buyer), [asset.pk])
    for name in ("d1", "d2"):
        flag(signed_in(api_client, make_user(name, role=Role.BUYER)), asset.pk)
    moderator = make_user("mo", role=Role.MODERATOR)
    first = Flag.objects.order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        counts = flags_decide(flag_ids=[first.pk], action="take_down", moderator=moderator)
    assert (counts.decided, counts.taken_down, counts.already_down) == (2, 1, 0)
    assert Asset.objects.get(pk=asset.pk).status == AssetStatus.TAKEN_DOWN
    assert set(Flag.objects.values_list("state", flat=True)) == {"actioned"}
    assert len(mail.outbox) == 1
    # Deciding decided flags again is a no-op.
    again = flags_decide(flag_ids=[first.pk], action="dismiss", moderator=moderator)
    assert again.decided == 0 and again.not_open == {first.pk: "actioned"}


def test_a_moderator_works_the_queue_in_the_admin_without_being_superuser(
    client, make_user, django_capture_on_commit_callbacks
):
    asset = stored_asset()
    reporter = make_user("eve", role=Role.BUYER)
    Flag.objects.create(asset=asset, reporter=reporter, reason="privacy")
    moderator = make_user("mod", role=Role.MODERATOR, is_staff=True)
    client.force_login(moderator)
    page = client.get("/admin/moderation/flag/?state__exact=open")
    assert page.status_code == 200 and "Privacy" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        chosen = {"action": "take_down", "_selected_action": [Flag.objects.get().pk]}
        response = client.post("/admin/moderation/flag/", chosen, follow=True)
    assert "1 flag decided; 1 asset taken down." in response.content.decode()
    assert Asset.objects.get(pk=asset.pk).status == AssetStatus.TAKEN_DOWN
    chosen = {"action": "restore", "_selected_action": [Flag.objects.get().pk]}
    response = client.post("/admin/moderation/flag/", chosen, follow=True)
    assert "1 asset restored." in response.content.decode()
    assert Asset.objects.get(pk=asset.pk).status == AssetStatus.PUBLISHED
