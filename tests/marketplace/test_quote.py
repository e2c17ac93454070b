"""The quote a buyer sees before licensing: what would be granted, charged and counted."""

import pytest

from billing.selectors import wallet_balance
from marketplace.models import DownloadGrant, Role, TokenScope
from tests.auth import sign_in
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work, stored_asset
from tests.marketplace.test_downloads import download

pytestmark = pytest.mark.django_db


def test_a_quote_lists_free_paid_held_and_refused_assets_and_changes_nothing(api_client, make_user):
    buyer = make_user("mia", role=Role.BUYER)
    work = opt_in_work(make_user("arto", role=Role.RIGHTS_HOLDER), price_micros=20_000)
    held, new, withdrawn = stored_asset(), stored_asset(), stored_asset(status="withdrawn")
    fund(buyer, 15_000)
    sign_in(api_client, buyer)
    download(api_client, [held.pk])
    sign_in(api_client, buyer, scope=TokenScope.READ)

    quote = api_client.post("/api/v1/downloads/quote/",
                            {"asset_ids": [work.asset_id, held.pk, new.pk, withdrawn.pk],
                             "purpose": "research", "use": "ai_training"},
                            format="json")  # fmt: skip

    assert quote.status_code == 200, quote.json()
    body = quote.json()
    assert (body["free"], body["paid"], body["again"]) == ([new.pk], [work.asset_id], [held.pk])
    assert body["refused"] == {str(withdrawn.pk): "withdrawn"}
    assert (body["price_usd"], body["fee_usd"], body["total_usd"]) == (
        "0.020000", "0.001000", "0.021000",
    )  # fmt: skip
    assert (body["quota_remaining"], body["quota_after"]) == (999, 996)
    assert (body["wallet_usd"], body["wallet_after_usd"], body["shortfall_usd"]) == (
        "0.015000", "-0.006000", "0.006000",
    )  # fmt: skip
    assert wallet_balance(buyer) == 15_000 and DownloadGrant.objects.count() == 1
    bad = api_client.post("/api/v1/downloads/quote/", {"purpose": "research"}, format="json")
    assert bad.status_code == 400
    # Without a use, the opt-in work cannot be priced: the quote says so.
    unnamed = api_client.post(
        "/api/v1/downloads/quote/",
        {"asset_ids": [work.asset_id], "purpose": "research"},
        format="json",
    )
    assert unnamed.json()["refused"] == {str(work.asset_id): "use_required"}
