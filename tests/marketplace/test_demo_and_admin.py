"""The demo data loads once, idempotently, and a moderator sees it in the admin."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from catalog.models import Asset, AssetStatus
from marketplace.demo import BASE_SET_FILE, DEMO_USERS, demo_load
from marketplace.models import User

pytestmark = pytest.mark.django_db


def test_demo_load_publishes_the_base_set_and_creates_one_user_per_role():
    records = json.loads(BASE_SET_FILE.read_text())
    result = demo_load()
    assert result.assets_created == len(records) >= 30
    base_set = Asset.objects.exclude(source="opt_in")
    assert base_set.filter(status=AssetStatus.PUBLISHED).count() == len(records)
    assert set(base_set.values_list("license", flat=True)) <= {"pdm-1.0", "cc0-1.0"}
    assert len(set(Asset.objects.values_list("source", flat=True))) >= 4
    for demo in DEMO_USERS:
        user = User.objects.get(username=demo.username)
        assert user.roles == [demo.role.value]
        assert user.check_password(demo.password)

    again = demo_load()
    assert (again.assets_created, again.assets_updated) == (0, len(records))
    assert User.objects.count() == len(DEMO_USERS)


def test_the_demo_artist_offers_works_the_demo_buyer_can_buy_at_once(api_client):
    demo_load()
    demo_load()  # idempotent: no second upload or top-up
    works = Asset.objects.filter(source="opt_in", status=AssetStatus.PUBLISHED)
    assert works.count() == 2
    assert set(works.values_list("price_micros", flat=True)) == {50_000}
    credentials = {"username": "demo-buyer", "password": "demo-buyer-pass"}
    response = api_client.post("/api/v1/auth/token/", credentials)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api_client.get("/api/v1/billing/wallet/").json()["balance_usd"] == "25.000000"
    bought = api_client.post("/api/v1/downloads/", {"asset_ids": [works.first().pk],
                             "purpose": "research"}, format="json")  # fmt: skip
    assert bought.status_code == 201, bought.json()
    assert bought.json()["wallet_usd"] == "24.949000"
    file = api_client.get(bought.json()["downloads"][0]["url"])
    assert file.status_code == 200 and b"".join(file.streaming_content)[:4] == b"\x89PNG"


def test_load_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        call_command("load_demo")
    assert not User.objects.exists()


def test_moderator_sees_the_demo_assets_in_the_admin(client):
    demo_load()
    assert client.login(
        request=HttpRequest(), username="demo-moderator", password="demo-moderator-pass"
    )
    response = client.get("/admin/catalog/asset/")
    assert response.status_code == 200
    asset = Asset.objects.order_by("id").first()
    assert asset.title[:30] in response.content.decode()

    assert client.get(f"/admin/catalog/asset/{asset.id}/change/").status_code == 200
    # Moderators review; they do not create or delete catalog rows or manage accounts.
    assert client.get("/admin/catalog/asset/add/").status_code == 403
    assert client.get("/admin/marketplace/user/1/delete/").status_code == 403


def test_buyers_cannot_enter_the_admin(client):
    demo_load()
    assert client.login(request=HttpRequest(), username="demo-buyer", password="demo-buyer-pass")
    response = client.get("/admin/catalog/asset/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_demo_assets_are_browsable_through_the_api(api_client):
    demo_load()
    body = api_client.get("/api/v1/assets/", {"page_size": 5}).json()
    assert len(body["results"]) == 5
    assert body["next"]
