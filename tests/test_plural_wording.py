"""Counts in API messages and command output read right for one and for many ("1 asset",
"2 assets"; never "1 objects" or "1 of these assets are"). The admin's counts are tested
with the admin actions (tests/moderation/test_admin_actions.py, tests/billing/test_admin.py)."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from billing.ledger import wallet_of
from billing.models import Account
from catalog.releases import release_build, release_create
from marketplace.models import Role
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work, stored_asset
from tests.marketplace.works_helpers import WORKS, gps_jpeg, image_file
from tests.provenance.conftest import append

TRAINING = {"purpose": "research", "use": "ai_training"}  # what these downloads declare

pytestmark = pytest.mark.django_db


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def error_of(response) -> dict:
    assert 400 <= response.status_code < 500, response.content
    return response.json()["error"]


def test_assets_missing_from_a_collection_add(make_user):
    client = client_of(make_user("col", role=Role.BUYER))
    collection = client.post("/api/v1/collections/", {"name": "c"}, format="json").json()
    items = f"/api/v1/collections/{collection['id']}/items/"
    here = stored_asset().pk

    def refused(ids):
        return error_of(client.post(items, {"asset_ids": ids}, format="json"))["message"]

    assert refused([10**9]) == "This asset is not in the catalog; nothing was added."
    assert refused([here, 10**9]) == "1 of these assets is not in the catalog; nothing was added."
    assert refused([here, 10**9, 10**9 + 1]) == (
        "2 of these assets are not in the catalog; nothing was added."
    )


def test_the_quota_message(make_user, settings):
    client = client_of(make_user("quota", role=Role.BUYER))
    settings.PLAN_FREE_MONTHLY_DOWNLOADS = 1
    ids = [stored_asset().pk for _ in range(3)]
    message = error_of(client.post("/api/v1/downloads/", {"asset_ids": ids[:2],
                                                          **TRAINING},
                                   format="json"))["message"]  # fmt: skip
    assert message.startswith("This needs 2 downloads but 1 of your 1 is left on the Free plan")
    client.post("/api/v1/downloads/", {"asset_ids": [ids[2]], **TRAINING},
                format="json")  # fmt: skip
    message = error_of(client.post("/api/v1/downloads/", {"asset_ids": [ids[0]],
                                                          **TRAINING},
                                   format="json"))["message"]  # fmt: skip
    assert message.startswith("This needs 1 download but 0 of your 1 are left")


def test_a_batch_upload_with_one_file_and_a_wrong_metadata_list(make_user):
    client = client_of(make_user("batch", role=Role.RIGHTS_HOLDER))
    response = client.post(WORKS, {"files": [image_file("a.jpg", gps_jpeg())], "metadata": "[]"},
                           format="multipart")  # fmt: skip
    assert error_of(response)["fields"]["metadata"] == ["A JSON list of 1 object."]


def test_more_fields_in_a_validation_message(make_user):
    client = client_of(make_user("fields", role=Role.BUYER))
    two = error_of(client.post("/api/v1/downloads/", {"purpose": "x", "asset_ids": ["y"]},
                               format="json"))["message"]  # fmt: skip
    assert two.endswith("(and 1 more field)")


def test_the_ledger_memo_of_one_paid_download(make_user):
    buyer = make_user("memo", role=Role.BUYER)
    work = opt_in_work(make_user("painter", role=Role.RIGHTS_HOLDER))
    fund(buyer, 1_000_000)
    client_of(buyer).post("/api/v1/downloads/", {"asset_ids": [work.asset_id],
                                                 **TRAINING}, format="json")  # fmt: skip
    statement = client_of(buyer).get("/api/v1/billing/statement/").json()["results"]
    assert statement[0]["description"] == "1 paid download"


def test_command_counts(make_user, capsys, settings):
    append(1)
    out = io.StringIO()
    call_command("verify_audit_log", "--seal", stdout=out)
    text = out.getvalue()
    assert "Sealed 1 event." in text
    assert "Audit log intact: 1 entry verified, 0 events not sealed yet." in text

    settings.PUBLIC_BASE_URL = "https://market.example.org"
    stored_asset()
    out = io.StringIO()
    call_command("build_release", "one", "--version", "1", stdout=out)
    assert "(id " in out.getvalue() and "): 1 asset; by source" in out.getvalue()

    buyer = make_user("drift", role=Role.BUYER)
    fund(buyer, 1_000_000)
    Account.objects.filter(pk=wallet_of(buyer).pk).update(balance_micros=999)
    with pytest.raises(SystemExit):
        call_command("reconcile", "--skip-stripe")
    assert "reconcile: 1 difference" in capsys.readouterr().err


def test_a_release_of_many_assets_counts_them(settings):
    settings.PUBLIC_BASE_URL = "https://market.example.org"
    stored_asset(), stored_asset()
    out = io.StringIO()
    call_command("build_release", "two", "--version", "1", stdout=out)
    assert "): 2 assets; by source" in out.getvalue()
    release = release_build(release_create(name="x", version="1").pk, actor="test")
    assert release.counts["total"] == 2
