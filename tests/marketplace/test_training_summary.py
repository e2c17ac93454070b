"""The EU AI Act training-content summary of a buyer's licensed data: the template's
sections filled from the grants, the feed and the audit log, reproducible for a day."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import License, OptOut
from catalog.releases import release_build, release_create
from catalog.services import asset_restore, asset_take_down
from marketplace.downloads import downloads_grant
from marketplace.models import DownloadGrant, Role, TokenScope
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append
from tests.auth import sign_in
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work, stored_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_user, settings):
    settings.PUBLIC_BASE_URL = "https://market.example.org"
    buyer = make_user("bob", role=Role.BUYER)
    in_release = stored_asset(license=License.CC0, original_url="https://upload.wikimedia.org/a.jpg",
                              source="wikimedia_commons")  # fmt: skip
    release = release_build(
        release_create(name="base", version="1", filters={}, created_by="test").pk, actor="test"
    )
    loose = stored_asset(license=License.PDM, original_url="https://openaccess-cdn.clevelandart.org/b.jpg",
                         institution="Cleveland Museum of Art")  # fmt: skip
    doomed = stored_asset(original_url="https://images.nasa.gov/c.jpg", source="nasa")
    work = opt_in_work(make_user("ada", role=Role.RIGHTS_HOLDER), price_micros=50_000)
    fund(buyer, 1_000_000)
    downloads_grant(buyer=buyer, asset_ids=[in_release.pk, loose.pk, doomed.pk, work.asset.pk],
                    purpose="commercial", use="ai_training")  # fmt: skip
    asset_take_down(asset_id=doomed.pk, actor="mod", reason="privacy")
    OptOut.objects.create(kind="domain", value="artist.example", note="asked")
    events_append([
        ProvenanceEvent(kind=EventKind.CLONE_REJECTED, reason="opt_out_tdmrep", actor="t"),
        ProvenanceEvent(kind=EventKind.CLONE_REJECTED, reason="opt_out_robots", actor="t"),
        ProvenanceEvent(kind=EventKind.CLONE_REJECTED, reason="opt_out_robots", actor="t"),
        ProvenanceEvent(kind=EventKind.INGEST_REJECTED, reason="opt_out", actor="t"),
        ProvenanceEvent(kind=EventKind.INGEST_REJECTED, reason="license_not_accepted", actor="t"),
    ])  # fmt: skip
    return buyer, release, in_release, loose, doomed, work


def test_the_summary_fills_the_templates_sections(api_client, setup):
    buyer, release, _, _, _, work = setup
    sign_in(api_client, buyer, scope=TokenScope.READ)
    response = api_client.get("/api/v1/training-summary/")
    assert response.status_code == 200, response.content
    summary = response.json()
    general = summary["1_general_information"]
    [images] = general["modalities"]
    assert images["modality"] == "image" and images["items"] == 3  # the takedown is left out
    assert images["size_category"] == "Less than 1 million images"
    today = timezone.now().date().isoformat()
    assert general["acquisition_period"] == {"first_license": today, "last_license": today}

    sources = summary["2_list_of_data_sources"]
    [public] = sources["2_1_publicly_available_datasets"]
    assert (public["name"], public["items_used"]) == ("base", 1)
    assert public["datasheet"] == (
        f"https://market.example.org/api/v1/releases/{release.pk}/datasheet/"
    )
    private = sources["2_2_private_datasets_from_third_parties"]
    licensed = private["2_2_1_licensed_from_rights_holders"]
    assert licensed["items"] == 1 and licensed["rights_holders"] == 1
    assert licensed["paid_to_rights_holders_usd"] == "0.050000"
    assert list(licensed["terms_versions"]) == [DownloadGrant.objects.get(
        asset=work.asset).terms.version]  # fmt: skip
    assert private["2_2_2_other_third_party_data"]["items"] == 1  # the loose PDM image
    assert private["2_2_2_other_third_party_data"]["licenses"] == {"pdm-1.0": 1}
    domains = {d["domain"]: d["share"] for d in sources["sources_and_domains_by_share"]["domains"]}
    assert domains["upload.wikimedia.org"] == "0.3333"
    assert "images.nasa.gov" not in domains

    rights = summary["3_data_processing"]["3_1_respect_of_reservations_of_rights"]
    assert rights["opt_outs_honoured"] == {"registry_entries": 1,
                                           "records_refused_by_the_registry": 1}  # fmt: skip
    tdm = {t["reason"]: t["records_refused"] for t in rights["tdm_reservations_honoured"]}
    assert tdm["opt_out_robots"] == 2 and tdm["opt_out_tdmrep"] == 1
    assert rights["licenses_verified"]["base_set_records_refused_for_their_license"] == 1
    removal = summary["3_data_processing"]["3_2_removal_of_illegal_content"]
    assert removal["takedowns_applied"]["taken_down"] == 1
    assert removal["takedowns_applied"]["by_reason_class"] == {"privacy": 1}
    assert removal["classifier_filtering"]["hold_threshold"] == 0.8


def test_the_same_day_gives_the_same_bytes_and_later_changes_stay_out(api_client, setup,
                                                                      make_user):  # fmt: skip
    buyer, _, _, loose, _, _ = setup
    sign_in(api_client, buyer, scope=TokenScope.READ)
    yesterday = (timezone.now() - timedelta(days=1)).date()
    # Everything above happened "yesterday" as far as the log is concerned.
    DownloadGrant.objects.filter(buyer=buyer).update(created_at=timezone.now() - timedelta(days=1))
    url = f"/api/v1/training-summary/?as_of={yesterday.isoformat()}"
    first = api_client.get(url).content
    # Today: another license and another takedown.
    extra = stored_asset()
    downloads_grant(buyer=buyer, asset_ids=[extra.pk], purpose="research", use="ai_training")
    asset_take_down(asset_id=loose.pk, actor="mod", reason="infringing")
    assert api_client.get(url).content == first
    summary = json.loads(first)
    assert summary["as_of"] == yesterday.isoformat()
    # Yesterday all four licenses held: both takedowns came today.
    assert summary["1_general_information"]["modalities"][0]["items"] == 4
    now = api_client.get("/api/v1/training-summary/").json()
    assert now["1_general_information"]["modalities"][0]["items"] == 3  # +1 new, -2 down

    markdown = api_client.get(url + "&format=markdown")
    assert markdown["Content-Type"] == "text/markdown; charset=utf-8"
    text = markdown.content.decode()
    assert text.startswith("# Training-content summary")
    for heading in ("## 1. General information", "### 2.1 Publicly available datasets",
                    "#### 2.2.1 Licensed from rights holders",
                    "### 3.1 Respect of reservations of rights",
                    "### 3.2 Removal of illegal and unwanted content"):  # fmt: skip
        assert heading in text
    assert api_client.get(url + "&format=markdown").content == markdown.content


def test_scopes_collection_and_release(api_client, setup, make_user):
    buyer, release, _, _, _, work = setup
    sign_in(api_client, buyer)
    collection = api_client.post("/api/v1/collections/", {"name": "train"}, format="json").json()
    api_client.post(f"/api/v1/collections/{collection['id']}/items/",
                    {"asset_ids": [work.asset.pk]}, format="json")  # fmt: skip
    mine = api_client.get(f"/api/v1/training-summary/?collection={collection['id']}").json()
    assert mine["scope"] == {"kind": "collection", "id": collection["id"], "name": "train"}
    assert mine["1_general_information"]["modalities"][0]["items"] == 1
    of_release = api_client.get(f"/api/v1/training-summary/?release={release.pk}").json()
    assert of_release["1_general_information"]["modalities"][0]["items"] == 1
    assert of_release["scope"]["name"] == "base 1"

    sign_in(api_client, make_user("eve", role=Role.BUYER))
    assert api_client.get(
        f"/api/v1/training-summary/?collection={collection['id']}"
    ).status_code == 404  # fmt: skip


@pytest.mark.parametrize(
    ("query", "field"),
    [("?as_of=2026-13-01", "as_of"), ("?as_of=2999-01-01", "as_of"), ("?format=pdf", "format"),
     ("?collection=x", "collection"), ("?collection=1&release=1", "collection")],
)  # fmt: skip
def test_bad_summary_requests_are_a_400_naming_the_field(api_client, make_user, query, field):
    sign_in(api_client, make_user("bob", role=Role.BUYER))
    response = api_client.get(f"/api/v1/training-summary/{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_the_command_prints_the_same_summary(setup, capsys):
    buyer = setup[0]
    day = timezone.now().date().isoformat()
    call_command("training_summary", "bob", "--as-of", day)
    first = capsys.readouterr().out
    call_command("training_summary", "bob", "--as-of", day)
    assert capsys.readouterr().out == first
    assert json.loads(first)["buyer_id"] == buyer.pk
    call_command("training_summary", "bob", "--as-of", day, "--format", "markdown")
    assert capsys.readouterr().out.startswith("# Training-content summary")


def test_the_commands_load_on_their_own(subprocess_env, settings):
    """Each command module imported first, as `manage.py` does (no import cycle)."""
    import subprocess
    import sys

    env = {**subprocess_env, "DATABASE_URL": settings.TEST_DATABASE_URL}
    for command in ("training_summary", "verify_receipt", "rotate_receipt_key"):
        done = subprocess.run([sys.executable, "manage.py", command, "--help"], env=env,
                              cwd=settings.BASE_DIR, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr


def test_a_work_restored_by_the_date_counts_as_used_again_until_taken_down_again(api_client, setup):
    buyer, _, _, loose, doomed, _ = setup
    sign_in(api_client, buyer, scope=TokenScope.READ)

    def counts() -> tuple[int, dict]:
        summary = api_client.get("/api/v1/training-summary/").json()
        removal = summary["3_data_processing"]["3_2_removal_of_illegal_content"]
        return summary["1_general_information"]["modalities"][0]["items"], removal[
            "takedowns_applied"
        ]

    assert asset_restore(asset_id=doomed.pk, actor="mod", note="consent shown")
    items, applied = counts()
    assert items == 4
    assert (applied["taken_down"], applied["by_reason_class"]) == (0, {})
    # Taken down again (and another one once): each counts once, by its latest takedown.
    asset_take_down(asset_id=doomed.pk, actor="mod", reason="legal")
    asset_take_down(asset_id=loose.pk, actor="mod", reason="privacy")
    items, applied = counts()
    assert items == 2
    assert (applied["taken_down"], applied["by_reason_class"]) == (2, {"legal": 1, "privacy": 1})
