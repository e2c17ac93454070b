"""Datasheets of releases and of buyers' collections, as JSON and as Markdown: exact counts,
the filters, the license checks, and who may see a collection's."""

import pytest
from rest_framework import serializers

from catalog.connectors import CONNECTORS
from catalog.models import AssetStatus, License
from catalog.releases import release_build, release_create
from catalog.services import asset_take_down
from marketplace.api.datasheets import DatasheetSerializer
from marketplace.collections import collection_create, items_add
from marketplace.models import Collection, Role
from provenance.datasheets import LICENSE_CHECKS, UNKNOWN_SOURCE_CHECK
from provenance.services import events_seal
from tests.auth import sign_in
from tests.marketplace.factories import opt_in_work, stored_asset
from tests.provenance.conftest import append

pytestmark = pytest.mark.django_db

CC0_URL = "https://creativecommons.org/publicdomain/zero/1.0/"
PDM_URL = "https://creativecommons.org/publicdomain/mark/1.0/"


def signed_in(api_client, user):
    sign_in(api_client, user)
    return api_client


@pytest.fixture
def release():
    for _ in range(3):
        stored_asset(institution="Cleveland Museum of Art", nsfw_score=0.05)
    stored_asset(source="nypl", license=License.PDM, institution="NYPL", nsfw_score=0.1)
    stored_asset(source="nypl", license=License.PDM, nsfw_score=0.1)  # no institution named
    stored_asset(nsfw_score=0.7)  # above the threshold
    stored_asset(source="europeana", nsfw_score=0.0)  # another source
    append(2)
    events_seal()
    created = release_create(
        name="museums | safe", version="2026.11", description="Paintings, low nudity.",
        filters={"source": "cleveland_museum,nypl", "max_nsfw": 0.2},
    )  # fmt: skip
    return release_build(created.pk, actor="test", base_url="https://market.example.org")


def test_a_release_datasheet_in_json_carries_the_exact_counts_and_filters(api_client, release):
    response = api_client.get(f"/api/v1/releases/{release.pk}/datasheet/")
    assert response.status_code == 200
    sheet = response.json()
    assert (sheet["kind"], sheet["name"], sheet["version"]) == (
        "release", "museums | safe", "2026.11",
    )  # fmt: skip
    assert sheet["title"] == "Datasheet: museums | safe 2026.11"
    assert sheet["built_at"] == release.built_at.isoformat()
    assert sheet["counts"] == {
        "total": 5,
        "by_status": None,
        "by_source": [
            {"source": "cleveland_museum", "count": 3, "institutions": ["Cleveland Museum of Art"]},
            {"source": "nypl", "count": 2, "institutions": ["NYPL"]},
        ],
        "by_license": [
            {"code": "cc0-1.0", "name": "CC0 1.0 Universal", "url": CC0_URL, "count": 3},
            {"code": "pdm-1.0", "name": "Public Domain Mark 1.0", "url": PDM_URL, "count": 2},
        ],
    }
    assert sheet["selection"]["method"] == "search filters"
    assert sheet["selection"]["filters"] == {"max_nsfw": 0.2,
                                             "source": ["cleveland_museum", "nypl"]}  # fmt: skip
    [threshold] = sheet["selection"]["classifier_thresholds"]
    assert threshold["filter"] == "max_nsfw" and threshold["value"] == 0.2
    assert "nudity score is at most" in threshold["meaning"]
    checks = {c["source"]: c["how"] for c in sheet["license_verification"]["sources"]}
    assert checks == {"cleveland_museum": LICENSE_CHECKS["cleveland_museum"],
                      "nypl": LICENSE_CHECKS["nypl"]}  # fmt: skip
    assert sheet["file"] == {"format": "Parquet (PD12M layout)", "sha256": release.sha256,
                             "columns": ["id", "url", "caption", "width", "height",
                                         "mime_type", "hash", "license", "source",
                                         "landing_url"]}  # fmt: skip
    assert "hash chain" in sheet["provenance"]["note"]
    assert sheet["provenance"]["verify_command"] == "python manage.py verify_audit_log"
    assert sheet["provenance"]["audit_log_sealed_entries"] == 2


def test_a_release_datasheet_in_markdown_is_a_download_with_the_same_facts(api_client, release):
    response = api_client.get(f"/api/v1/releases/{release.pk}/datasheet/", {"format": "md"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="release-museums-safe-2026.11-datasheet.md"'
    )
    text = response.content.decode()
    assert text.startswith("# Datasheet: museums | safe 2026.11\n")
    assert "| Release | museums \\| safe |" in text  # a pipe cannot break the table
    assert "| Assets | 5 |" in text
    assert "| `cleveland_museum` | Cleveland Museum of Art | 3 |" in text
    assert "| `nypl` | NYPL | 2 |" in text
    assert f"| [CC0 1.0 Universal]({CC0_URL}) | `cc0-1.0` | 3 |" in text
    assert f"| [Public Domain Mark 1.0]({PDM_URL}) | `pdm-1.0` | 2 |" in text
    assert "- `max_nsfw` = `0.2`" in text
    assert "- `source` = `cleveland_museum`, `nypl`" in text
    assert "### Classifier thresholds" in text
    assert f"- `nypl`: {LICENSE_CHECKS['nypl']}" in text
    assert f"- SHA-256: `{release.sha256}`" in text
    assert "verify_audit_log" in text and "2 sealed entries" in text
    assert "europeana" not in text


def test_an_unbuilt_release_has_no_datasheet(api_client):
    queued = release_create(name="later", version="1")
    assert api_client.get(f"/api/v1/releases/{queued.pk}/datasheet/").status_code == 404


def test_a_collection_datasheet_counts_removed_items_apart(api_client, make_user):
    buyer = make_user("mia", role=Role.BUYER)
    kept = [stored_asset(institution="Cleveland Museum of Art") for _ in range(2)]
    pdm = stored_asset(source="nypl", license=License.PDM)
    taken_down, withdrawn = stored_asset(source="europeana"), stored_asset(source="europeana")
    collection = collection_create(owner=buyer, name="harbors")
    items_add(owner=buyer, collection_id=collection.pk,
              asset_ids=[a.pk for a in (*kept, pdm, taken_down, withdrawn)])  # fmt: skip
    asset_take_down(asset_id=taken_down.pk, actor="moderator", reason="infringement")
    withdrawn.status = AssetStatus.WITHDRAWN
    withdrawn.save()

    sheet = signed_in(api_client, buyer).get(f"/api/v1/collections/{collection.pk}/datasheet/")
    assert sheet.status_code == 200
    body = sheet.json()
    assert (body["kind"], body["collection_id"], body["version"]) == (
        "collection", collection.pk, None,
    )  # fmt: skip
    assert body["counts"]["total"] == 3
    assert body["counts"]["by_status"] == {"available": 3, "removed": 2}
    # The removed europeana items are counted, never described.
    assert [(s["source"], s["count"]) for s in body["counts"]["by_source"]] == [
        ("cleveland_museum", 2), ("nypl", 1),
    ]  # fmt: skip
    assert [(lic["code"], lic["count"]) for lic in body["counts"]["by_license"]] == [
        ("cc0-1.0", 2), ("pdm-1.0", 1),
    ]  # fmt: skip
    assert body["selection"] == {"method": "hand-picked by the owner", "filters": None,
                                 "classifier_thresholds": []}  # fmt: skip
    assert body["file"] is None and body["built_at"] is None

    markdown = api_client.get(f"/api/v1/collections/{collection.pk}/datasheet/?format=md")
    text = markdown.content.decode()
    assert markdown["Content-Disposition"] == (
        f'attachment; filename="collection-{collection.pk}-datasheet.md"'
    )
    assert "| available | 3 |" in text and "| removed | 2 |" in text
    assert "Hand-picked" in text and "europeana" not in text


def test_the_opt_in_license_links_to_its_terms_by_an_absolute_address(
    api_client, make_user, settings
):
    buyer = make_user("ona", role=Role.BUYER)
    work = opt_in_work(make_user("painter", role=Role.RIGHTS_HOLDER))
    collection = collection_create(owner=buyer, name="opted in")
    items_add(owner=buyer, collection_id=collection.pk, asset_ids=[work.asset_id])
    path = f"/api/v1/collections/{collection.pk}/datasheet/"
    [opt_in] = api_client.get(path).json()["counts"]["by_license"]
    assert opt_in["url"] == "http://testserver/api/v1/terms/current/"
    settings.PUBLIC_BASE_URL = "https://market.example.org"
    [opt_in] = api_client.get(path).json()["counts"]["by_license"]
    assert opt_in["url"] == "https://market.example.org/api/v1/terms/current/"
    markdown = api_client.get(path, {"format": "md"}).content.decode()
    assert "(https://market.example.org/api/v1/terms/current/)" in markdown


def test_a_private_collection_datasheet_is_404_to_anyone_but_its_owner(api_client, make_user):
    owner, other = make_user("owner", role=Role.BUYER), make_user("other", role=Role.BUYER)
    private = Collection.objects.create(owner=owner, name="secret", private=True)
    shared = collection_create(owner=owner, name="shared")
    url = f"/api/v1/collections/{private.pk}/datasheet/"

    anonymous = api_client.get(url, {"format": "md"})
    assert anonymous.status_code == 404
    assert anonymous.json()["error"]["code"] == "not_found"
    assert signed_in(api_client, other).get(url).status_code == 404
    assert signed_in(api_client, other).get(url, {"format": "md"}).status_code == 404
    assert signed_in(api_client, owner).get(url).status_code == 200
    api_client.credentials()
    assert api_client.get(f"/api/v1/collections/{shared.pk}/datasheet/").status_code == 200


@pytest.mark.parametrize("path", ["releases", "collections"])
def test_an_unknown_format_is_a_400_naming_format(api_client, make_user, release, path):
    owner = make_user("owner", role=Role.BUYER)
    target = release.pk if path == "releases" else collection_create(owner=owner, name="c").pk
    response = api_client.get(f"/api/v1/{path}/{target}/datasheet/", {"format": "xml"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == ["format"]
    assert error["message"].startswith("format: ")


def test_every_source_has_a_line_on_how_its_licenses_were_checked():
    assert set(CONNECTORS) | {"pd12m", "opt_in"} <= set(LICENSE_CHECKS)
    assert all(LICENSE_CHECKS.values())
    assert "provenance" in UNKNOWN_SOURCE_CHECK


def test_the_json_datasheet_has_exactly_its_documented_shape(api_client, release, make_user):
    def keys(serializer: serializers.Serializer) -> dict:
        return {
            name: keys(field.child if isinstance(field, serializers.ListSerializer) else field)
            if isinstance(field, serializers.Serializer | serializers.ListSerializer) else None
            for name, field in serializer.fields.items()
        }  # fmt: skip

    def shape(value) -> dict | None:
        if isinstance(value, list):
            return shape(value[0]) if value and isinstance(value[0], dict) else None
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        return None

    documented = keys(DatasheetSerializer())
    served = shape(api_client.get(f"/api/v1/releases/{release.pk}/datasheet/").json())
    # Free-form maps (filters, by_status) have no fixed keys.
    for sheet in (documented, served):
        sheet["selection"]["filters"] = sheet["counts"]["by_status"] = None
    assert served == documented
