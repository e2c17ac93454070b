"""Dataset releases: what a release lists, its file and counts, takedowns, frozen builds,
refused filters, the command, the task, the API and the admin."""

import hashlib
import io
from collections import Counter

import pyarrow.parquet as pq
import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from catalog.models import AssetStatus, License
from catalog.releases import (
    InvalidReleaseFilters,
    NoSiteAddress,
    ReleaseFrozen,
    release_build,
    release_create,
    release_queue,
)
from catalog.services import asset_take_down
from common.errors import AlreadyExists
from provenance.models import DatasetRelease, EventKind, ProvenanceEvent
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db

PD12M = ["id", "url", "caption", "width", "height", "mime_type", "hash", "license", "source"]
State = DatasetRelease.State
SITE = "https://market.example.org"


@pytest.fixture(autouse=True)
def _public_address(settings):
    settings.PUBLIC_BASE_URL = SITE


def built(name="cc0-safe", version="1", filters=None, **options) -> DatasetRelease:
    release = release_create(name=name, version=version, filters=filters, created_by="test")
    return release_build(release.pk, actor="test", **options)


def rows(release: DatasetRelease) -> list[dict]:
    with default_storage.open(release.file_key, "rb") as file:
        return pq.read_table(io.BytesIO(file.read())).to_pylist()


def ids(release: DatasetRelease) -> list[int]:
    return [row["id"] for row in rows(release)]


def test_a_release_lists_exactly_the_published_assets_matching_its_filters():
    cleveland = stored_asset(nsfw_score=0.1, description="A pear.",
                             institution="Cleveland Museum of Art",
                             landing_url="https://clevelandart.org/art/1")  # fmt: skip
    nypl = stored_asset(source="nypl", nsfw_score=0.0, institution="NYPL")
    for left_out in (
        {"nsfw_score": 0.9},  # above the threshold
        {"nsfw_score": None},  # not scored yet: a threshold leaves it out
        {"license": License.PDM, "nsfw_score": 0.1},
        {"source": "europeana", "nsfw_score": 0.1},
        {"status": AssetStatus.EMBARGOED, "nsfw_score": 0.1},
        {"status": AssetStatus.WITHDRAWN, "nsfw_score": 0.1},
        {"status": AssetStatus.TAKEN_DOWN, "nsfw_score": 0.1},
        {"status": AssetStatus.HELD, "nsfw_score": 0.1},
    ):
        stored_asset(**left_out)

    release = built(filters={"license": "cc0-1.0", "source": "cleveland_museum,nypl",
                             "max_nsfw": "0.2"})  # fmt: skip

    assert release.state == State.DONE and release.built_at is not None
    assert release.filters == {"license": ["cc0-1.0"], "max_nsfw": 0.2,
                               "source": ["cleveland_museum", "nypl"]}  # fmt: skip
    listed = rows(release)
    assert list(listed[0]) == [*PD12M, "landing_url"]
    assert [row["id"] for row in listed] == [cleveland.pk, nypl.pk]
    assert listed[0] == {
        "id": cleveland.pk, "url": f"{SITE}/api/v1/assets/{cleveland.pk}/",
        "caption": f"{cleveland.title}. A pear.", "width": 32, "height": 24,
        "mime_type": "image/jpeg", "hash": cleveland.sha256, "license": "cc0-1.0",
        "source": "cleveland_museum", "landing_url": "https://clevelandart.org/art/1",
    }  # fmt: skip
    assert release.counts == {
        "total": 2,
        "by_source": {"cleveland_museum": 1, "nypl": 1},
        "by_license": {"cc0-1.0": 2},
        "institutions": {"cleveland_museum": ["Cleveland Museum of Art"], "nypl": ["NYPL"]},
    }
    with default_storage.open(release.file_key, "rb") as file:
        assert hashlib.sha256(file.read()).hexdigest() == release.sha256


def test_counts_are_exact_across_chunks_and_rows_come_in_id_order():
    plan = [("cleveland_museum", License.CC0)] * 4 + [("nypl", License.PDM)] * 3
    plan += [("europeana", License.CC0)] * 2 + [("opt_in", License.OPT_IN)] * 2
    assets = [stored_asset(source=source, license=code) for source, code in plan]

    release = built(filters={}, chunk_size=3)

    assert ids(release) == sorted(a.pk for a in assets)
    assert release.counts["total"] == len(plan) == 11
    assert release.counts["by_source"] == dict(Counter(s for s, _ in plan))
    assert release.counts["by_license"] == {"cc0-1.0": 6, "opt-in": 2, "pdm-1.0": 3}
    with default_storage.open(release.file_key, "rb") as file:
        parquet = pq.ParquetFile(io.BytesIO(file.read()))
    assert parquet.metadata.num_rows == 11
    assert parquet.metadata.num_row_groups == 4  # chunks of 3: streamed, not built whole


def test_an_empty_selection_gives_an_empty_file_with_the_columns():
    stored_asset()
    release = built(filters={"source": "nypl"})
    assert release.state == State.DONE and release.counts["total"] == 0
    with default_storage.open(release.file_key, "rb") as file:
        table = pq.read_table(io.BytesIO(file.read()))
    assert table.num_rows == 0 and table.column_names == [*PD12M, "landing_url"]


def test_a_takedown_is_in_the_release_built_before_and_out_of_the_next():
    kept, removed = stored_asset(), stored_asset()
    before = built(version="1")
    assert asset_take_down(asset_id=removed.pk, actor="moderator", reason="infringement")
    after = built(version="2")

    assert ids(after) == [kept.pk]
    before.refresh_from_db()
    assert ids(before) == [kept.pk, removed.pk]  # frozen: never rewritten
    assert before.counts["total"] == 2 and after.counts["total"] == 1


def test_release_rows_link_to_the_public_address_when_it_is_set(settings):
    settings.PUBLIC_BASE_URL = "https://api.example.org"
    asset = stored_asset()
    assert rows(built())[0]["url"] == f"https://api.example.org/api/v1/assets/{asset.pk}/"


def test_without_a_public_address_rows_link_to_where_the_build_was_asked_for(
    settings, admin_client, django_capture_on_commit_callbacks
):
    settings.PUBLIC_BASE_URL = ""
    asset = stored_asset()
    form = {"name": "adm", "version": "1", "description": "", "filters": "{}"}
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/provenance/datasetrelease/add/", form)
    release = DatasetRelease.objects.get(name="adm")
    assert rows(release)[0]["url"] == f"http://testserver/api/v1/assets/{asset.pk}/"


def test_with_no_address_at_all_a_build_fails_saying_so(settings):
    settings.PUBLIC_BASE_URL = ""
    stored_asset()
    release = release_create(name="nowhere", version="1")
    with pytest.raises(NoSiteAddress):
        release_build(release.pk, actor="test")
    release.refresh_from_db()
    assert release.state == State.FAILED and "PUBLIC_BASE_URL" in release.error
    with pytest.raises(CommandError, match=r"set PUBLIC_BASE_URL \(or pass --base-url"):
        call_command("build_release", "nowhere", "--version", "1", stdout=io.StringIO())
    call_command("build_release", "nowhere", "--version", "1", "--base-url",
                 "http://127.0.0.1:8000/", stdout=io.StringIO())  # fmt: skip
    release.refresh_from_db()
    assert rows(release)[0]["url"].startswith("http://127.0.0.1:8000/api/v1/assets/")


def test_a_row_not_stored_yet_has_no_hash_rather_than_an_empty_one():
    stored, unstored = stored_asset(), stored_asset(original_key="", sha256="")
    listed = {row["id"]: row["hash"] for row in rows(built())}
    assert listed == {stored.pk: stored.sha256, unstored.pk: None}


def test_a_built_release_is_in_the_audit_log_once_with_its_file():
    stored_asset(nsfw_score=0.0)
    stored_asset(nsfw_score=0.0)
    release = built(filters={"max_nsfw": 0.2})
    release_build(release.pk, actor="test again")  # frozen: no second entry

    event = ProvenanceEvent.objects.get(kind=EventKind.RELEASE_BUILT)
    assert event.asset_id is None and event.actor == "test"
    assert event.data == {
        "release_id": release.pk, "name": "cc0-safe", "version": "1",
        "filters": {"max_nsfw": 0.2}, "total": 2, "file_key": release.file_key,
        "sha256": release.sha256, "requested_by": "test",
    }  # fmt: skip


def test_a_failed_build_is_not_in_the_audit_log():
    broken = DatasetRelease.objects.create(name="broken", version="1", filters={"max_nsfw": 5})
    with pytest.raises(InvalidReleaseFilters):
        release_build(broken.pk, actor="test")
    assert not ProvenanceEvent.objects.filter(kind=EventKind.RELEASE_BUILT).exists()


def test_building_a_done_release_again_is_a_no_op_and_queueing_it_is_refused():
    stored_asset()
    release = built()
    with default_storage.open(release.file_key, "rb") as file:
        content = file.read()
    stored_asset()  # published since: not in this release

    again = release_build(release.pk, actor="test")

    assert (again.built_at, again.sha256, again.counts) == (
        release.built_at, release.sha256, release.counts,
    )  # fmt: skip
    with default_storage.open(release.file_key, "rb") as file:
        assert file.read() == content
    with pytest.raises(ReleaseFrozen) as refused:
        release_queue(release_id=release.pk)
    assert refused.value.status_code == 409


def test_the_database_refuses_to_change_a_built_release():
    stored_asset()
    release = built()
    with pytest.raises(IntegrityError, match="frozen"), transaction.atomic():
        DatasetRelease.objects.filter(pk=release.pk).update(description="rewritten")
    queued = release_create(name="other", version="1")
    DatasetRelease.objects.filter(pk=queued.pk).update(description="fine until built")


@pytest.mark.parametrize(
    ("filters", "named"),
    [
        ({"max_nsfw": "2"}, "max_nsfw"),
        ({"license": "cc-by-4.0"}, "license"),
        ({"colour": "red"}, "colour"),
        ({"cursor": "abc"}, "cursor"),  # pages a search, does not choose assets
        ({"use_saved_thresholds": "false"}, "use_saved_thresholds"),  # a buyer's, not ours
        ({"year_from": 1900, "year_to": 1800}, "year_from"),
        ({"added_after": "yesterday"}, "added_after"),
        (["license=cc0-1.0"], "filters"),
    ],
)
def test_bad_filters_are_refused_naming_the_filter(filters, named):
    with pytest.raises(InvalidReleaseFilters) as refused:
        release_create(name="bad", version="1", filters=filters)
    assert refused.value.status_code == 400
    assert list(refused.value.fields) == [named]
    assert refused.value.message.startswith(f"Filter {named}: ")
    assert not DatasetRelease.objects.exists()


def test_name_and_version_are_unique_together():
    release_create(name="base", version="1")
    release_create(name="base", version="2")
    with pytest.raises(AlreadyExists):
        release_create(name="base", version="1")


def test_the_task_builds_a_queued_release_and_a_failed_build_says_why(
    django_capture_on_commit_callbacks,
):
    asset = stored_asset()
    release = release_create(name="queued", version="1")
    with django_capture_on_commit_callbacks(execute=True):
        release_queue(release_id=release.pk)
    release.refresh_from_db()
    assert release.state == State.DONE and ids(release) == [asset.pk]

    # Filters stored before a rule changed: the build fails, naming the filter, and can be
    # queued again once fixed.
    broken = DatasetRelease.objects.create(name="broken", version="1", filters={"max_nsfw": 5})
    with pytest.raises(InvalidReleaseFilters):
        release_build(broken.pk, actor="test")
    broken.refresh_from_db()
    assert broken.state == State.FAILED and "max_nsfw" in broken.error
    assert not broken.file_key


def test_the_command_builds_with_a_progress_bar_and_prints_a_summary():
    stored_asset(source="cleveland_museum")
    stored_asset(source="nypl")
    stored_asset(source="nypl", license=License.PDM)
    out = io.StringIO()
    call_command("build_release", "nypl-cc0", "--version", "2026.11", "--filter", "source=nypl",
                 "--filter", "license=cc0-1.0", "--filter", "license=pdm-1.0",
                 "--description", "NYPL only", stdout=out)  # fmt: skip

    release = DatasetRelease.objects.get(name="nypl-cc0", version="2026.11")
    assert release.filters == {"license": ["cc0-1.0", "pdm-1.0"], "source": ["nypl"]}
    assert release.description == "NYPL only" and release.created_by == "command build_release"
    summary = out.getvalue()
    assert f"Release nypl-cc0 2026.11 (id {release.pk}): 2 assets" in summary
    assert "by source: nypl 2; by license: cc0-1.0 1, pdm-1.0 1." in summary
    assert release.sha256 in summary


def test_the_command_refuses_bad_filters_and_built_releases():
    stored_asset()
    with pytest.raises(CommandError, match="Filter max_nsfw: "):
        call_command("build_release", "x", "--version", "1", "--filter", "max_nsfw=high")
    with pytest.raises(CommandError, match="KEY=VALUE"):
        call_command("build_release", "x", "--version", "1", "--filter", "license")
    call_command("build_release", "x", "--version", "1", stdout=io.StringIO())
    with pytest.raises(CommandError, match="frozen"):
        call_command("build_release", "x", "--version", "1", stdout=io.StringIO())


def test_the_command_builds_a_failed_release_again_with_its_own_filters():
    asset = stored_asset()
    failed = DatasetRelease.objects.create(
        name="retry", version="1", filters={"license": ["cc0-1.0"]}, state=State.FAILED,
        error="OSError: storage unreachable",
    )  # fmt: skip
    with pytest.raises(CommandError, match="other filters"):
        call_command("build_release", "retry", "--version", "1", "--filter", "source=nypl")
    call_command("build_release", "retry", "--version", "1", stdout=io.StringIO())
    failed.refresh_from_db()
    assert (failed.state, failed.error, ids(failed)) == (State.DONE, "", [asset.pk])


def test_anyone_lists_built_releases_and_fetches_a_release_file(api_client):
    asset = stored_asset()
    release = built(name="public", version="1")
    queued = release_create(name="public", version="2")

    listing = api_client.get("/api/v1/releases/")
    assert listing.status_code == 200
    body = listing.json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == release.pk and body["results"][0]["total"] == 1
    assert body["results"][0]["datasheet_url"].endswith(f"/api/v1/releases/{release.pk}/datasheet/")
    assert api_client.get(f"/api/v1/releases/{queued.pk}/").status_code == 404

    detail = api_client.get(f"/api/v1/releases/{release.pk}/").json()
    assert detail["counts"]["by_source"] == {"cleveland_museum": 1}
    assert detail["file"]["sha256"] == release.sha256
    assert detail["file"]["columns"] == [*PD12M, "landing_url"]
    downloaded = b"".join(api_client.get(detail["file"]["url"]).streaming_content)
    assert hashlib.sha256(downloaded).hexdigest() == release.sha256
    assert pq.read_table(io.BytesIO(downloaded)).column("id").to_pylist() == [asset.pk]


def test_release_pages_use_the_project_pagination(api_client):
    stored_asset()
    for version in ("1", "2", "3"):
        built(name="paged", version=version)
    page = api_client.get("/api/v1/releases/", {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert [r["version"] for r in page["results"]] == ["3", "2"]  # newest first
    refused = api_client.get("/api/v1/releases/", {"page_size": 0})
    assert refused.status_code == 400 and "page_size" in refused.json()["error"]["fields"]


def test_the_admin_queues_a_build_and_keeps_built_releases_read_only(
    admin_client, django_capture_on_commit_callbacks
):
    stored_asset()
    form = {"name": "adm", "version": "1", "description": "", "filters": '{"max_nsfw": 3}'}
    refused = admin_client.post("/admin/provenance/datasetrelease/add/", form)
    assert refused.status_code == 200  # the form again, with the error
    assert "max_nsfw: Ensure this value is less than or equal to 1." in refused.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        form["filters"] = '{"license": "cc0-1.0"}'
        added = admin_client.post("/admin/provenance/datasetrelease/add/", form)
    assert added.status_code == 302
    release = DatasetRelease.objects.get(name="adm")
    assert release.state == State.DONE and release.created_by == "admin"
    assert release.filters == {"license": ["cc0-1.0"]}

    listing = admin_client.get("/admin/provenance/datasetrelease/").content.decode()
    assert "adm" in listing and "Done" in listing
    page = admin_client.get(f"/admin/provenance/datasetrelease/{release.pk}/change/")
    assert page.status_code == 200 and release.sha256 in page.content.decode()
    changed = admin_client.post(f"/admin/provenance/datasetrelease/{release.pk}/change/",
                                {"name": "renamed", "version": "1", "filters": "{}"})  # fmt: skip
    assert changed.status_code == 403
    action = admin_client.post("/admin/provenance/datasetrelease/", {
        "action": "build", "_selected_action": [release.pk]}, follow=True)  # fmt: skip
    assert "frozen" in action.content.decode()
    release.refresh_from_db()
    assert release.name == "adm" and release.state == State.DONE


def test_the_admin_action_builds_a_failed_release_again(
    admin_client, django_capture_on_commit_callbacks
):
    stored_asset()
    failed = DatasetRelease.objects.create(name="f", version="1", state=State.FAILED, error="x")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/provenance/datasetrelease/", {
            "action": "build", "_selected_action": [failed.pk]}, follow=True)  # fmt: skip
    assert "Build queued: f 1." in response.content.decode()
    failed.refresh_from_db()
    assert failed.state == State.DONE and failed.counts["total"] == 1
