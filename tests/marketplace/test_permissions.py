"""The object-level permission matrix: every endpoint, every role, the status each gets.

Roles: anonymous, a buyer (who owns the objects), another buyer, a rights holder (who owns
the work), another rights holder, and a moderator."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import Subscription
from marketplace.collections import collection_create, items_add
from marketplace.models import ManifestExport, Role
from tests.auth import sign_in
from tests.marketplace.factories import opt_in_work, stored_asset

TRAINING = {"purpose": "research", "use": "ai_training"}  # what these downloads declare

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "buyer", "other_buyer", "holder", "other_holder", "moderator"]


@pytest.fixture
def world(make_user):
    users = {
        "buyer": make_user("buyer", role=Role.BUYER),
        "other_buyer": make_user("other-buyer", role=Role.BUYER),
        "holder": make_user("holder", role=Role.RIGHTS_HOLDER),
        "other_holder": make_user("other-holder", role=Role.RIGHTS_HOLDER),
        "moderator": make_user("moderator", role=Role.MODERATOR),
    }
    now = timezone.now()
    Subscription.objects.create(
        buyer=users["buyer"], stripe_customer_id="cus_x", status="active",
        current_period_start=now - timedelta(days=1), current_period_end=now + timedelta(days=29),
    )  # fmt: skip
    work = opt_in_work(users["holder"])
    asset = stored_asset()
    objects = {
        "work": work.pk,
        "asset": asset.pk,
        "private": collection_create(owner=users["buyer"], name="mine", private=True).pk,
        "shared": collection_create(owner=users["buyer"], name="shared").pk,
        "manifest": ManifestExport.objects.create(
            buyer=users["buyer"], format="jsonl", link_seconds=3600
        ).pk,
    }
    items_add(owner=users["buyer"], collection_id=objects["private"], asset_ids=[asset.pk])
    return users, objects


def call(users, role, method, path, body=None):
    client = APIClient()
    if role != "anonymous":
        sign_in(client, users[role])
    return getattr(client, method)(path, body, format="json").status_code


# (method, path, body, expected status for each of ROLES)
MATRIX = [
    ("get", "/api/v1/billing/wallet/", None, [401, 200, 200, 403, 403, 403]),
    ("get", "/api/v1/billing/statement/", None, [401, 200, 200, 403, 403, 403]),
    ("get", "/api/v1/billing/top-ups/", None, [401, 200, 200, 403, 403, 403]),
    ("post", "/api/v1/billing/subscription/portal/", None, [401, 200, 409, 403, 403, 403]),
    ("get", "/api/v1/billing/payouts/", None, [401, 403, 403, 200, 200, 403]),
    ("get", "/api/v1/billing/earnings/", None, [401, 403, 403, 200, 200, 403]),
    ("get", "/api/v1/quota/", None, [401, 200, 200, 403, 403, 403]),
    ("get", "/api/v1/downloads/", None, [401, 200, 200, 403, 403, 403]),
    ("post", "/api/v1/downloads/", {"asset_ids": ["{asset}"], **TRAINING},
     [401, 201, 201, 403, 403, 403]),
    ("get", "/api/v1/collections/", None, [401, 200, 200, 403, 403, 403]),
    ("get", "/api/v1/collections/{private}/", None, [404, 200, 404, 404, 404, 404]),
    ("get", "/api/v1/collections/{private}/items/", None, [404, 200, 404, 404, 404, 404]),
    ("get", "/api/v1/collections/{shared}/", None, [200, 200, 200, 200, 200, 200]),
    ("patch", "/api/v1/collections/{private}/", {"name": "renamed"},
     [401, 200, 404, 403, 403, 403]),
    ("post", "/api/v1/collections/{shared}/items/", {"asset_ids": ["{asset}"]},
     [401, 200, 404, 403, 403, 403]),
    ("delete", "/api/v1/collections/{shared}/items/", {"asset_ids": ["{asset}"]},
     [401, 200, 404, 403, 403, 403]),
    ("post", "/api/v1/downloads/", {"collection": "{private}", **TRAINING},
     [401, 201, 404, 403, 403, 403]),
    ("get", "/api/v1/manifests/{manifest}/", None, [401, 200, 404, 403, 403, 403]),
    ("get", "/api/v1/profile/", None, [401, 403, 403, 200, 200, 403]),
    ("get", "/api/v1/usage/", None, [401, 403, 403, 200, 200, 403]),
    ("get", "/api/v1/usage/export/", None, [401, 403, 403, 200, 200, 403]),
    ("get", "/api/v1/usage/history/", None, [401, 403, 403, 200, 200, 403]),
    ("get", "/api/v1/usage/history/?work={work}", None, [401, 403, 403, 200, 404, 403]),
    ("get", "/api/v1/me/thresholds/", None, [401, 200, 200, 403, 403, 403]),
    ("put", "/api/v1/me/thresholds/", {"max_nsfw": 0.2}, [401, 200, 200, 403, 403, 403]),
    ("get", "/api/v1/collections/{private}/datasheet/", None, [404, 200, 404, 404, 404, 404]),
    ("get", "/api/v1/collections/{shared}/datasheet/?format=md", None,
     [200, 200, 200, 200, 200, 200]),
    ("get", "/api/v1/releases/", None, [200, 200, 200, 200, 200, 200]),
    ("get", "/api/v1/works/", None, [401, 403, 403, 200, 200, 403]),
    ("get", "/api/v1/works/{work}/", None, [401, 403, 403, 200, 404, 403]),
    ("patch", "/api/v1/works/{work}/", {"title": "Renamed"}, [401, 403, 403, 200, 404, 403]),
    ("put", "/api/v1/works/{work}/offer/",
     {"uses": {"ai_training": "0.05"}, "allow_research": True, "allow_commercial": False,
      "terms_version": "2026-11"},
     [401, 403, 403, 200, 404, 403]),
    ("post", "/api/v1/works/{work}/declaration/", {"statement": "Mine."},
     [401, 403, 403, 409, 404, 403]),
    ("delete", "/api/v1/works/{work}/offer/", None, [401, 403, 403, 200, 404, 403]),
    ("get", "/api/v1/terms/current/", None, [401, 200, 200, 200, 200, 200]),
    ("post", "/api/v1/flags/", {"asset": "{asset}", "reason": "privacy"},
     [401, 201, 201, 201, 201, 201]),
    ("delete", "/api/v1/collections/{shared}/", None, [401, 204, 404, 403, 403, 403]),
]  # fmt: skip


def _fill(value, objects):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return objects[value[1:-1]]
    if isinstance(value, str):
        return value.format(**objects)
    if isinstance(value, list):
        return [_fill(v, objects) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, objects) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX,
                         ids=[f"{m} {p}" for m, p, _, _ in MATRIX])  # fmt: skip
def test_each_role_gets_the_expected_status(world, method, path, body, expected):
    users, objects = world
    got = [call(users, role, method, _fill(path, objects), _fill(body, objects))
           for role in ROLES]  # fmt: skip
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, expected, strict=True))
