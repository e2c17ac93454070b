"""The token scope matrix: every API endpoint in the URL conf, the least scope a token
needs for it, and each scope refused exactly the operations outside it.

Scopes, each including the ones before it: read, download, purchase, manage. Sessions are
not scoped. An endpoint missing here fails `test_every_api_endpoint_is_in_the_matrix`."""

import re
import uuid

import pytest
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from marketplace.accounts import role_group
from marketplace.models import Role, TokenScope
from tests.auth import token_for
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db

READ, DOWNLOAD, PURCHASE, MANAGE = (
    TokenScope.READ, TokenScope.DOWNLOAD, TokenScope.PURCHASE, TokenScope.MANAGE,
)  # fmt: skip
NO_TOKEN = None  # the endpoint reads no token (public, a signed link, or Stripe's signature)

SCOPES = {
    "POST api/v1/auth/register/": NO_TOKEN,
    "POST api/v1/auth/token/": NO_TOKEN,
    "POST api/v1/auth/token/rotate/": READ,  # a token may replace itself, same scope
    "GET api/v1/auth/tokens/": MANAGE,
    "POST api/v1/auth/tokens/": MANAGE,
    "DELETE api/v1/auth/tokens/<id:pk>/": MANAGE,
    "GET api/v1/me/": READ,
    "GET api/v1/me/thresholds/": READ,
    "PUT api/v1/me/thresholds/": MANAGE,
    "PATCH api/v1/me/thresholds/": MANAGE,
    "GET api/v1/notifications/": READ,
    "POST api/v1/notifications/<id:pk>/read/": MANAGE,
    "GET api/v1/billing/wallet/": READ,
    "GET api/v1/billing/top-ups/": READ,
    "POST api/v1/billing/top-ups/": MANAGE,
    "POST api/v1/billing/subscription/checkout/": MANAGE,
    "POST api/v1/billing/subscription/portal/": MANAGE,
    "GET api/v1/billing/payouts/": READ,
    "POST api/v1/billing/payouts/onboarding/": MANAGE,
    "GET api/v1/billing/statement/": READ,
    "GET api/v1/billing/earnings/": READ,
    "GET api/v1/profile/": READ,
    "PATCH api/v1/profile/": MANAGE,
    "GET api/v1/usage/": READ,
    "GET api/v1/usage/export/": READ,
    "GET api/v1/usage/history/": READ,
    "GET api/v1/downloads/": READ,
    "POST api/v1/downloads/": DOWNLOAD,  # spending needs PURCHASE: see test_tokens
    "GET api/v1/files/<str:token>/": NO_TOKEN,
    "GET api/v1/quota/": READ,
    "GET api/v1/revocations/": READ,
    "GET api/v1/receipts/<str:receipt_id>/": READ,
    "GET api/v1/training-summary/": READ,
    "GET api/v1/webhook-endpoints/": READ,
    "POST api/v1/webhook-endpoints/": MANAGE,
    "DELETE api/v1/webhook-endpoints/<id:pk>/": MANAGE,
    "GET .well-known/receipt-keys.json": NO_TOKEN,
    "POST api/v1/manifests/": DOWNLOAD,
    "GET api/v1/manifests/<id:pk>/": READ,
    "GET api/v1/collections/": READ,
    "POST api/v1/collections/": MANAGE,
    "GET api/v1/collections/<id:pk>/": READ,
    "PATCH api/v1/collections/<id:pk>/": MANAGE,
    "DELETE api/v1/collections/<id:pk>/": MANAGE,
    "GET api/v1/collections/<id:pk>/items/": READ,
    "POST api/v1/collections/<id:pk>/items/": MANAGE,
    "DELETE api/v1/collections/<id:pk>/items/": MANAGE,
    "GET api/v1/collections/<id:pk>/datasheet/": READ,
    "GET api/v1/releases/": READ,
    "GET api/v1/releases/<id:pk>/": READ,
    "GET api/v1/releases/<id:pk>/datasheet/": READ,
    "POST api/v1/flags/": MANAGE,
    "GET api/v1/works/": READ,
    "POST api/v1/works/": MANAGE,
    "POST api/v1/works/uploads/": MANAGE,
    "POST api/v1/works/uploads/<uuid:upload_id>/confirm/": MANAGE,
    "GET api/v1/works/<id:work_id>/": READ,
    "PATCH api/v1/works/<id:work_id>/": MANAGE,
    "PUT api/v1/works/<id:work_id>/offer/": MANAGE,
    "DELETE api/v1/works/<id:work_id>/offer/": MANAGE,
    "POST api/v1/works/<id:work_id>/declaration/": MANAGE,
    "GET api/v1/terms/current/": READ,
    "POST api/v1/billing/stripe/webhook/": NO_TOKEN,
    "GET api/v1/assets/": READ,
    "GET api/v1/assets/<id:pk>/": READ,
    "GET api/v1/assets/<id:pk>/provenance/": READ,
    "GET api/schema/": READ,
    "GET api/docs/": READ,
    "GET healthz": NO_TOKEN,
    "GET readyz": NO_TOKEN,
}

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def api_endpoints() -> set[str]:
    """Every method of every DRF view in the URL conf, as `METHOD route` (the admin is
    Django's own and reads no token)."""
    found = set()
    for route, callback in _routes(get_resolver().url_patterns):
        view = getattr(callback, "cls", None)
        if view is None or not issubclass(view, APIView):
            continue
        # A viewset's method -> action map (DRF adds `head` to it once it has served a GET:
        # HEAD follows GET's rule everywhere, so it is left out).
        actions = getattr(callback, "actions", None)
        methods = [m for m in (actions or HTTP_METHODS) if m in HTTP_METHODS]
        if not actions:
            methods = [m for m in methods if hasattr(view, m)]
        found.update(f"{method.upper()} {route}" for method in methods)
    return found


def test_every_api_endpoint_is_in_the_matrix():
    endpoints = api_endpoints()
    assert sorted(endpoints - set(SCOPES)) == [], "add these endpoints to SCOPES"
    assert sorted(set(SCOPES) - endpoints) == [], "these are no longer in the URL conf"


def _path(route: str, asset_id: int) -> str:
    """A concrete path for a route: an asset's id becomes a real asset's, other ids an
    unknown one."""
    path = route
    if path.startswith("api/v1/assets/"):
        path = path.replace("<id:pk>", str(asset_id))
    path = re.sub(r"<uuid:\w+>", str(uuid.uuid4()), path)
    path = re.sub(r"<id:\w+>", "999999", path)
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "unknown", path)


@pytest.fixture
def account(make_user):
    """A buyer who is also a rights holder: roles never stand in the scope's way."""
    user = make_user("both", role=Role.BUYER)
    user.groups.add(role_group(Role.RIGHTS_HOLDER))
    return user


@pytest.mark.parametrize("endpoint", sorted(SCOPES))
def test_each_scope_is_refused_exactly_what_is_outside_it(account, endpoint):
    method, route = endpoint.split(" ", 1)
    needed = SCOPES[endpoint]
    path = _path(route, stored_asset().pk)
    refused = {}
    for scope in TokenScope:  # read first, manage last (it may delete what it reaches)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(account, scope=scope)}")
        response = getattr(client, method.lower())(path, {}, format="json")
        body = response.json() if response["Content-Type"].startswith("application/json") else {}
        refused[scope.value] = (
            response.status_code == 403
            and body.get("error", {}).get("code") == "insufficient_scope"
        )
    expected = {s.value: needed is not None and not s.includes(needed) for s in TokenScope}
    assert refused == expected


def test_a_session_is_not_scoped(account):
    client = APIClient()
    client.force_login(account)
    assert client.post("/api/v1/auth/tokens/", {"name": "ci"}, format="json").status_code == 201
