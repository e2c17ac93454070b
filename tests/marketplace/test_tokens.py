"""API tokens: stored only as a hash, several per account, named, scoped and expiring;
listed and revoked through the API; DRF's old clear tokens migrated."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from billing.ledger import wallet_of
from marketplace.models import ApiToken, DownloadGrant, Role
from tests.auth import sign_in, token_for
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work, stored_asset

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
TOKENS = "/api/v1/auth/tokens/"


def me_with(api_client, token: str):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api_client.get(ME)


@pytest.fixture
def buyer(make_user):
    return make_user("bob", role=Role.BUYER)


def test_the_database_holds_no_usable_token(api_client, buyer):
    token = token_for(buyer)
    row = ApiToken.objects.values().get(user=buyer)
    assert token not in {str(value) for value in row.values()}
    assert token.startswith(row["prefix"]) and len(row["prefix"]) == 12
    # Whatever a copy of the row holds, none of it signs in.
    for leaked in (row["digest"], row["prefix"], f"{row['prefix']}{row['digest']}"):
        response = me_with(api_client, leaked)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "authentication_failed"
    assert me_with(api_client, token).status_code == 200


def test_an_expired_token_is_refused_saying_it_expired(api_client, buyer):
    token = token_for(buyer)
    now = timezone.now()
    ApiToken.objects.filter(user=buyer).update(
        created_at=now - timedelta(days=90), expires_at=now - timedelta(minutes=1)
    )
    response = me_with(api_client, token)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "token_expired"
    assert "expired" in error["message"]
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_is_refused_saying_it_was_revoked(api_client, buyer):
    token = token_for(buyer)
    record = ApiToken.objects.get(user=buyer)
    sign_in(api_client, buyer)
    assert api_client.delete(f"{TOKENS}{record.pk}/").status_code == 200

    response = me_with(api_client, token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"
    assert "revoked" in response.json()["error"]["message"]


def test_several_named_tokens_are_listed_without_the_tokens_themselves(api_client, buyer, settings):
    sign_in(api_client, buyer)
    created = api_client.post(
        TOKENS, {"name": "training job", "scope": "download", "expires_in_days": 7}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith(body["prefix"]) and body["scope"] == "download"
    lifetime = timezone.datetime.fromisoformat(body["expires_at"]) - timezone.now()
    assert timedelta(days=6, hours=23) < lifetime <= timedelta(days=7)

    listed = api_client.get(TOKENS).json()
    assert [t["name"] for t in listed] == ["training job", "test"]
    assert all("token" not in t for t in listed)
    assert {t["prefix"] for t in listed} == set(ApiToken.objects.values_list("prefix", flat=True))
    # The new token works beside the first one.
    assert me_with(api_client, body["token"]).status_code == 200


def test_a_token_gets_the_default_lifetime_and_no_more_than_the_maximum(
    api_client, buyer, settings
):
    settings.API_TOKEN_DEFAULT_DAYS, settings.API_TOKEN_MAX_DAYS = 30, 60
    sign_in(api_client, buyer)
    default = api_client.post(TOKENS, {"name": "default"}, format="json").json()
    lifetime = timezone.datetime.fromisoformat(default["expires_at"]) - timezone.now()
    assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30)

    too_long = api_client.post(TOKENS, {"name": "x", "expires_in_days": 61}, format="json")
    assert too_long.status_code == 400
    assert list(too_long.json()["error"]["fields"]) == ["expires_in_days"]
    unknown = api_client.post(TOKENS, {"name": "x", "scope": "admin"}, format="json")
    assert unknown.status_code == 400
    assert list(unknown.json()["error"]["fields"]) == ["scope"]
    nameless = api_client.post(TOKENS, {"scope": "read"}, format="json")
    assert list(nameless.json()["error"]["fields"]) == ["name"]


def test_revoking_one_token_leaves_the_others_working(api_client, buyer, make_user):
    keep, drop = token_for(buyer, name="keep"), token_for(buyer, name="drop")
    sign_in(api_client, buyer)
    dropped = ApiToken.objects.get(name="drop")
    response = api_client.delete(f"{TOKENS}{dropped.pk}/")
    assert response.status_code == 200 and response.json()["revoked_at"]
    assert me_with(api_client, drop).status_code == 401
    assert me_with(api_client, keep).status_code == 200
    # The revoked token is listed only when asked for every token.
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {keep}")
    assert "drop" not in [t["name"] for t in api_client.get(TOKENS).json()]
    assert "drop" in [t["name"] for t in api_client.get(f"{TOKENS}?all=true").json()]

    # Someone else's token is not yours to revoke.
    other = make_user("eve", role=Role.BUYER)
    sign_in(api_client, other)
    kept = ApiToken.objects.get(name="keep")
    assert api_client.delete(f"{TOKENS}{kept.pk}/").status_code == 404
    assert api_client.delete(f"{TOKENS}99999999999999999999/").status_code == 404
    assert me_with(api_client, keep).status_code == 200


def test_rotating_keeps_the_name_and_scope(api_client, buyer):
    token = token_for(buyer, scope="read", name="nightly")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    rotated = api_client.post("/api/v1/auth/token/rotate/").json()
    assert (rotated["name"], rotated["scope"]) == ("nightly", "read")
    assert me_with(api_client, token).json()["error"]["code"] == "token_revoked"


def test_rotating_without_a_token_says_so(api_client, buyer):
    api_client.force_login(buyer)
    response = api_client.post("/api/v1/auth/token/rotate/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_token"


def test_last_use_is_recorded(api_client, buyer):
    token = token_for(buyer)
    assert ApiToken.objects.get(user=buyer).last_used_at is None
    me_with(api_client, token)
    used = ApiToken.objects.get(user=buyer).last_used_at
    assert used is not None and timezone.now() - used < timedelta(seconds=10)


def test_a_download_token_licenses_free_and_licensed_assets_but_never_spends(
    api_client, buyer, make_user
):
    artist = make_user("ada", role=Role.RIGHTS_HOLDER)
    free, paid, bought = stored_asset(), opt_in_work(artist), opt_in_work(artist)
    fund(buyer, 1_000_000)
    sign_in(api_client, buyer, scope="purchase")
    body = {"asset_ids": [bought.asset_id], "purpose": "research", "use": "ai_training"}
    assert api_client.post("/api/v1/downloads/", body, format="json").status_code == 201
    balance = wallet_of(buyer).balance_micros

    sign_in(api_client, buyer, scope="download")
    refused = api_client.post(
        "/api/v1/downloads/",
        {"asset_ids": [free.pk, paid.asset_id], "purpose": "research", "use": "ai_training"},
        format="json",
    )
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "insufficient_scope"
    assert error["fields"] == {str(paid.asset_id): ["needs_purchase_scope"]}
    assert wallet_of(buyer).balance_micros == balance
    assert not DownloadGrant.objects.filter(asset_id__in=[free.pk, paid.asset_id]).exists()

    allowed = api_client.post(
        "/api/v1/downloads/",
        {"asset_ids": [free.pk, bought.asset_id], "purpose": "research", "use": "ai_training"},
        format="json",
    )
    assert allowed.status_code == 201, allowed.json()
    assert allowed.json()["charged_usd"] == "0.000000"
    assert wallet_of(buyer).balance_micros == balance


def test_a_clear_token_from_before_is_hashed_and_still_signs_in(api_client, buyer):
    """The data migration: DRF's authtoken rows become hashed tokens, their table goes."""
    legacy = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamptz NOT NULL, user_id bigint NOT NULL UNIQUE)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [legacy, buyer.pk])
    migration = importlib.import_module("marketplace.migrations.0013_api_tokens")
    with connection.schema_editor() as editor:
        migration.hash_legacy_tokens(apps, editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    record = ApiToken.objects.get(user=buyer)
    assert legacy not in (record.digest, record.prefix) and record.scope == "manage"
    assert me_with(api_client, legacy).json()["username"] == "bob"
    # Its owner rotates it: from then on only the new, hashed token exists.
    rotated = api_client.post("/api/v1/auth/token/rotate/").json()["token"]
    assert me_with(api_client, legacy).status_code == 401
    assert me_with(api_client, rotated).status_code == 200


def test_the_register_token_has_the_manage_scope(api_client):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"username": "ada", "email": "ada@example.org", "password": "correct horse battery",
         "role": "buyer"},
        format="json",
    )  # fmt: skip
    token = response.json()["token"]
    assert token["scope"] == "manage" and token["name"] == "Created at registration"


def test_staff_find_a_leaked_token_by_its_prefix_and_revoke_it(
    client, api_client, buyer, make_user
):
    token = token_for(buyer, name="leaked")
    record = ApiToken.objects.get(user=buyer)
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get("/admin/marketplace/apitoken/", {"q": record.prefix})
    assert listing.status_code == 200 and b"leaked" in listing.content
    assert (
        record.digest.encode()
        not in client.get(f"/admin/marketplace/apitoken/{record.pk}/change/").content
    )
    response = client.post(
        "/admin/marketplace/apitoken/",
        {"action": "revoke", "_selected_action": [record.pk]},
        follow=True,
    )
    assert b"1 token revoked." in response.content
    assert me_with(api_client, token).json()["error"]["code"] == "token_revoked"
