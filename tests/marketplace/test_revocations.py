"""The revocations feed: what a buyer licensed and was later taken down, had its license
rejected or was withdrawn, or restored after a takedown, paged by cursor, each buyer seeing
only their own."""

import pytest

from catalog.models import License
from catalog.services import asset_restore, asset_take_down
from marketplace.downloads import downloads_grant
from marketplace.models import Revocation, Role, TokenScope, WebhookDelivery
from marketplace.offers import offer_withdraw
from marketplace.webhooks import webhook_endpoint_create
from moderation.decisions import Decision, assets_decide
from moderation.flags import assets_restore
from moderation.services import flag_create
from tests.auth import sign_in
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work, stored_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(make_user):
    return make_user("bob", role=Role.BUYER)


def licensed(buyer, *assets) -> None:
    downloads_grant(
        buyer=buyer, asset_ids=[a.pk for a in assets], purpose="research", use="ai_training"
    )


def feed(client, query: str = ""):
    response = client.get(f"/api/v1/revocations/{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_takedown_reaches_the_feed_of_each_holder_with_its_reason_class_only(
    api_client, buyer, make_user
):
    asset, other = stored_asset(), stored_asset()
    carol = make_user("carol", role=Role.BUYER)
    licensed(buyer, asset, other)
    licensed(carol, other)
    reporter = make_user("reporter", role=Role.BUYER)
    flag_create(reporter=reporter, asset_id=asset.pk, reason="privacy", description="my face")
    moderator = make_user("mod", role=Role.MODERATOR, is_staff=True)
    assets_decide(asset_ids=[asset.pk], decision=Decision.TAKE_DOWN, moderator=moderator,
                  note="the person asked")  # fmt: skip

    sign_in(api_client, buyer, scope=TokenScope.READ)
    body = feed(api_client)
    assert body["previous"] is None and body["next"] is None
    [item] = body["results"]
    grant = buyer.grants.get(asset=asset)
    assert item == {
        "id": item["id"],
        "asset_id": asset.pk,
        "grant_ids": [grant.pk],
        "kind": "taken_down",
        "reason_class": "privacy",
        "still_valid": False,
        "occurred_at": item["occurred_at"],
    }
    text = str(body)
    assert "reporter" not in text and "my face" not in text and "the person asked" not in text
    # Carol licensed only the other asset: her feed is empty.
    sign_in(api_client, carol, scope=TokenScope.READ)
    assert feed(api_client)["results"] == []


def test_a_license_rejection_and_a_withdrawal_are_told_apart(api_client, buyer, make_user):
    base = stored_asset(license=License.PDM)
    artist = make_user("ada", role=Role.RIGHTS_HOLDER)
    work = opt_in_work(artist, price_micros=10_000)
    fund(buyer, 1_000_000)
    licensed(buyer, base, work.asset)
    moderator = make_user("mod", role=Role.MODERATOR, is_staff=True)
    assets_decide(asset_ids=[base.pk], decision=Decision.REJECT_LICENSE, moderator=moderator)
    offer_withdraw(owner=artist, work_id=work.pk)

    sign_in(api_client, buyer, scope=TokenScope.READ)
    items = feed(api_client)["results"]
    assert [(i["asset_id"], i["kind"], i["reason_class"], i["still_valid"]) for i in items] == [
        (base.pk, "license_rejected", "rights", False),
        (work.asset.pk, "withdrawn", None, True),
    ]
    # The withdrawn work still downloads for this buyer: the feed says so truly.
    again = api_client.post(
        "/api/v1/downloads/",
        {"asset_ids": [work.asset.pk], "purpose": "research", "use": "ai_training"},
        format="json",
    )
    assert again.status_code == 403  # a read token may not license; with download it may
    sign_in(api_client, buyer, scope=TokenScope.DOWNLOAD)
    again = api_client.post(
        "/api/v1/downloads/",
        {"asset_ids": [work.asset.pk], "purpose": "research", "use": "ai_training"},
        format="json",
    )
    assert again.status_code == 201


def test_pages_follow_the_cursor_and_since_filters_by_time(api_client, buyer, settings):
    assets = [stored_asset() for _ in range(5)]
    licensed(buyer, *assets)
    for asset in assets:
        asset_take_down(asset_id=asset.pk, actor="mod", reason="infringing")
    sign_in(api_client, buyer, scope=TokenScope.READ)

    seen, url = [], "/api/v1/revocations/?page_size=2"
    while url:
        body = api_client.get(url).json()
        seen += [item["asset_id"] for item in body["results"]]
        url = body["next"]
        assert url is None or url.startswith("http://testserver/api/v1/revocations/?")
    assert seen == [a.pk for a in assets]

    third = Revocation.objects.order_by("pk")[2]
    since = third.occurred_at.isoformat().replace("+00:00", "Z")
    later = feed(api_client, f"?since={since.replace('+', '%2B')}")["results"]
    assert [i["asset_id"] for i in later] == [a.pk for a in assets[2:]]


@pytest.mark.parametrize(
    ("query", "field"),
    [("?since=yesterday", "since"), ("?cursor=not-ours", "cursor"), ("?page_size=0",
     "page_size"), ("?cursor=eyJhZnRlciI6LTF9", "cursor")],
)  # fmt: skip
def test_bad_feed_parameters_are_a_400_naming_them(api_client, buyer, query, field):
    sign_in(api_client, buyer, scope=TokenScope.READ)
    response = api_client.get(f"/api/v1/revocations/{query}")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_only_buyers_signed_in_read_a_feed(api_client, make_user):
    assert api_client.get("/api/v1/revocations/").status_code == 401
    sign_in(api_client, make_user("ada", role=Role.RIGHTS_HOLDER))
    assert api_client.get("/api/v1/revocations/").status_code == 403


def test_a_takedown_that_rolls_back_leaves_no_entry(buyer):
    asset = stored_asset()
    licensed(buyer, asset)
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        asset_take_down(asset_id=asset.pk, actor="mod", reason="privacy")
        assert Revocation.objects.filter(asset=asset).count() == 1
        raise RuntimeError("the decision failed later")
    assert not Revocation.objects.filter(asset=asset).exists()


def test_a_restore_reaches_each_holders_feed_and_webhooks_so_the_file_is_theirs_again(
    api_client, buyer, make_user, django_capture_on_commit_callbacks
):
    asset, other = stored_asset(), stored_asset()
    carol, dave = make_user("carol", role=Role.BUYER), make_user("dave", role=Role.BUYER)
    licensed(buyer, asset)
    licensed(buyer, asset)  # a second grant on the same asset: still one entry, naming both
    licensed(carol, asset)
    licensed(dave, other)  # holds no grant on the restored asset
    endpoint = webhook_endpoint_create(owner=buyer, url="http://127.0.0.1:9/hooks").endpoint
    moderator = make_user("mod", role=Role.MODERATOR, is_staff=True)
    asset_take_down(asset_id=asset.pk, actor="mod", reason="privacy")
    with django_capture_on_commit_callbacks() as queued:
        report = assets_decide(asset_ids=[asset.pk], decision=Decision.RESTORE,
                               moderator=moderator, note="consent shown")  # fmt: skip
    assert report.done == [asset.pk]

    restored = Revocation.objects.filter(kind="restored")
    assert sorted(restored.values_list("buyer__username", flat=True)) == ["bob", "carol"]
    sign_in(api_client, buyer, scope=TokenScope.READ)
    items = feed(api_client)["results"]
    assert [(i["kind"], i["reason_class"], i["still_valid"]) for i in items] == [
        ("taken_down", "privacy", False),
        ("restored", None, True),
    ]
    grants = sorted(buyer.grants.filter(asset=asset).values_list("pk", flat=True))
    assert items[1]["asset_id"] == asset.pk and items[1]["grant_ids"] == grants
    [delivery] = WebhookDelivery.objects.filter(revocation__kind="restored")
    assert delivery.endpoint == endpoint and delivery.state == "pending"
    assert delivery.payload["type"] == "revocation.restored"
    assert delivery.payload["data"] == items[1]
    assert queued  # the delivery is queued once the restore commits
    sign_in(api_client, dave, scope=TokenScope.READ)
    assert feed(api_client)["results"] == []
    # The grant holds again: the buyer downloads it.
    sign_in(api_client, buyer, scope=TokenScope.DOWNLOAD)
    again = api_client.post(
        "/api/v1/downloads/",
        {"asset_ids": [asset.pk], "purpose": "research", "use": "ai_training"},
        format="json",
    )
    assert again.status_code == 201, again.json()


def test_takedown_restore_takedown_leaves_the_latest_entry_a_takedown(api_client, buyer,
                                                                       make_user):  # fmt: skip
    asset = stored_asset()
    licensed(buyer, asset)
    moderator = make_user("mod", role=Role.MODERATOR, is_staff=True)
    asset_take_down(asset_id=asset.pk, actor="mod", reason="privacy")
    assets_restore(asset_ids=[asset.pk], moderator=moderator)  # the flags' restore
    assert assets_restore(asset_ids=[asset.pk], moderator=moderator) == []  # not down: nothing
    assets_decide(asset_ids=[asset.pk], decision=Decision.REJECT_LICENSE, moderator=moderator)

    sign_in(api_client, buyer, scope=TokenScope.READ)
    items = feed(api_client)["results"]
    assert [(i["kind"], i["still_valid"]) for i in items] == [
        ("taken_down", False),
        ("restored", True),
        ("license_rejected", False),
    ]
    assert items[0]["id"] < items[1]["id"] < items[2]["id"]


def test_a_restore_that_rolls_back_leaves_no_entry(buyer):
    from django.db import transaction

    asset = stored_asset()
    licensed(buyer, asset)
    asset_take_down(asset_id=asset.pk, actor="mod", reason="privacy")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert asset_restore(asset_id=asset.pk, actor="mod")
        assert Revocation.objects.filter(asset=asset, kind="restored").count() == 1
        raise RuntimeError("the decision failed later")
    assert not Revocation.objects.filter(asset=asset, kind="restored").exists()
    assert not WebhookDelivery.objects.filter(revocation__kind="restored").exists()
