"""A manifest or shard export whose build meets a stored file that is gone or damaged fails
at once (no retries), its message names the works so the buyer can ask again without them,
and the moderators hear of it as they do from licensing: one `clone.failed` audit event,
reason `stored_file_unreadable`, per asset and day. Other errors fail the export with their
own words."""

import boto3
import pytest
from celery.exceptions import Retry
from django.core.files.storage import default_storage

from catalog.models import Asset
from marketplace import manifests as manifests_module
from marketplace import shards as shards_module
from marketplace.models import ManifestExport, OfferFile, Role, ShardExport
from marketplace.shards import StoredFileChanged
from marketplace.tasks import build_manifest, build_shards
from provenance.models import EventKind, ProvenanceEvent
from tests.auth import sign_in
from tests.billing.conftest import fund
from tests.marketplace.delivery_helpers import hashed_asset
from tests.marketplace.test_downloads import download
from tests.marketplace.test_served_terms import offered_work
from tests.marketplace.test_unreadable_originals import damage, reports

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(make_user):
    return make_user("mia", role=Role.BUYER)


@pytest.fixture
def artist(make_user):
    return make_user("ada", role=Role.RIGHTS_HOLDER)


def ask(client, captured, path: str, **body) -> dict:
    """Ask for an export (built at once, as a worker would) and read it back."""
    with captured(execute=True):
        created = client.post(path, body, format="json")
    assert created.status_code == 202, created.json()
    return client.get(f"{path}{created.json()['id']}/").json()


def licensed_then_lost(client, artist, fmt: str, seed: int):
    """An opt-in work licensed while its file was fine, whose copy with the terms is gone
    since (as for grants bought before copies were made) and must be made again from its
    original."""
    work = offered_work(artist, fmt, seed=seed)
    assert download(client, [work.asset_id]).status_code == 201
    for copy in OfferFile.objects.filter(offer__work=work):
        default_storage.delete(copy.key)
        copy.delete()
    return work


def all_reports() -> int:
    return ProvenanceEvent.objects.filter(kind=EventKind.CLONE_FAILED).count()


def test_a_manifest_meeting_unreadable_originals_fails_naming_them_and_tells_moderators(
    api_client, buyer, artist, django_capture_on_commit_callbacks
):
    fund(buyer, 1_000_000)
    sign_in(api_client, buyer)
    damaged = licensed_then_lost(api_client, artist, "JPEG", seed=41)
    gone = licensed_then_lost(api_client, artist, "PNG", seed=42)
    fine = hashed_asset()
    assert download(api_client, [fine.pk]).status_code == 201
    damage(damaged.asset.original_key)
    default_storage.delete(gone.asset.original_key)

    manifest = ask(api_client, django_capture_on_commit_callbacks, "/api/v1/manifests/")

    assert (manifest["state"], manifest["url"]) == ("failed", None)
    first, second = sorted([damaged.asset_id, gone.asset_id])
    assert manifest["error"] == (
        f"Assets {first}, {second} cannot be delivered right now: the stored file could not "
        "be read. Our moderators have been told. To export the rest now, ask again without "
        "them: take them out of the collection, or name your grants leaving out their grants."
    )
    for work in (damaged, gone):
        [event] = reports(work.asset_id)
        assert event.actor == "mia"
        assert event.data["detail"].startswith(f"manifest {manifest['id']}: ")
    assert not reports(fine.pk)
    assert not ManifestExport.objects.filter(file_key__gt="").exists()

    # Asked again the same day: it fails the same way, and the moderators are not told twice.
    again = ask(api_client, django_capture_on_commit_callbacks, "/api/v1/manifests/")
    assert (again["state"], again["error"]) == ("failed", manifest["error"])
    assert all_reports() == 2

    # Without them, the rest exports.
    grant = fine.grants.get().pk
    rest = ask(api_client, django_capture_on_commit_callbacks, "/api/v1/manifests/",
               grant_ids=[grant])  # fmt: skip
    assert (rest["state"], rest["rows"]) == ("done", 1)


def test_shards_meeting_a_missing_and_a_damaged_file_fail_naming_both(
    api_client, buyer, django_capture_on_commit_callbacks
):
    gone, fine, damaged = hashed_asset(), hashed_asset(), hashed_asset()
    sign_in(api_client, buyer)
    assert download(api_client, [gone.pk, fine.pk, damaged.pk]).status_code == 201
    default_storage.delete(gone.original_key)
    damage(damaged.original_key, b"not the bytes that were cloned")

    export = ask(api_client, django_capture_on_commit_callbacks, "/api/v1/shard-exports/")

    assert (export["state"], export["shards"], export["index_url"]) == ("failed", [], None)
    assert export["error"].startswith(
        f"Assets {gone.pk}, {damaged.pk} cannot be delivered right now: the stored file could "
        "not be read. Our moderators have been told."
    )
    [missing] = reports(gone.pk)
    assert missing.data["detail"] == f"shard export {export['id']}: {gone.original_key}: missing"
    [changed] = reports(damaged.pk)
    assert "no longer match its SHA-256" in changed.data["detail"] and changed.actor == "mia"
    assert not reports(fine.pk)
    assert not ProvenanceEvent.objects.filter(kind=EventKind.DOWNLOAD_SHARDED).exists()
    assert not default_storage.exists(f"shards/{buyer.pk}/{export['id']}/shard-000000.tar")

    again = ask(api_client, django_capture_on_commit_callbacks, "/api/v1/shard-exports/")
    assert (again["state"], again["error"]) == ("failed", export["error"])
    assert all_reports() == 2


def test_a_lost_file_whose_size_was_never_recorded_fails_the_plan_naming_it_at_once(
    api_client, buyer, django_capture_on_commit_callbacks
):
    """Planning asks the storage for a size nobody recorded: a file lost there is named, as
    when the shard is written, instead of being retried as a storage error."""
    gone, fine = hashed_asset(), hashed_asset()
    sign_in(api_client, buyer)
    assert download(api_client, [gone.pk, fine.pk]).status_code == 201
    Asset.objects.filter(pk=gone.pk).update(byte_size=None)
    default_storage.delete(gone.original_key)

    export = ask(api_client, django_capture_on_commit_callbacks, "/api/v1/shard-exports/")

    assert export["state"] == "failed"
    assert export["error"].startswith(f"Asset {gone.pk} cannot be delivered right now")
    [missing] = reports(gone.pk)
    assert missing.data["detail"] == f"shard export {export['id']}: {gone.original_key}: missing"
    assert not reports(fine.pk)


def test_shards_of_a_work_whose_copy_cannot_be_made_fail_naming_it(
    api_client, buyer, artist, django_capture_on_commit_callbacks
):
    fund(buyer, 1_000_000)
    sign_in(api_client, buyer)
    work = licensed_then_lost(api_client, artist, "JPEG", seed=43)
    damage(work.asset.original_key)

    export = ask(api_client, django_capture_on_commit_callbacks, "/api/v1/shard-exports/")

    assert export["state"] == "failed"
    assert export["error"] == (
        f"Asset {work.asset_id} cannot be delivered right now: the stored file could not be "
        "read. Our moderators have been told. To export the rest now, ask again without it: "
        "take it out of the collection, or name your grants leaving out its grant."
    )
    [event] = reports(work.asset_id)
    assert "UnsupportedImage" in event.data["detail"]
    ask(api_client, django_capture_on_commit_callbacks, "/api/v1/shard-exports/")
    assert len(reports(work.asset_id)) == 1


def test_shards_on_s3_meeting_a_missing_object_fail_and_tell_moderators_once(
    s3_storage, api_client, buyer, django_capture_on_commit_callbacks
):
    bucket, endpoint = s3_storage
    gone, fine = hashed_asset(), hashed_asset()
    sign_in(api_client, buyer)
    assert download(api_client, [gone.pk, fine.pk]).status_code == 201
    boto3.client("s3", endpoint_url=endpoint).delete_object(Bucket=bucket, Key=gone.original_key)

    export = ask(api_client, django_capture_on_commit_callbacks, "/api/v1/shard-exports/")

    assert export["state"] == "failed"
    assert export["error"].startswith(f"Asset {gone.pk} cannot be delivered right now")
    assert len(reports(gone.pk)) == 1 and not reports(fine.pk)
    again = ask(api_client, django_capture_on_commit_callbacks, "/api/v1/shard-exports/")
    assert again["state"] == "failed" and len(reports(gone.pk)) == 1


def test_a_long_list_of_works_is_cut_to_fit_the_message(
    api_client, buyer, django_capture_on_commit_callbacks
):
    assets = [hashed_asset() for _ in range(14)]
    sign_in(api_client, buyer)
    assert download(api_client, [a.pk for a in assets]).status_code == 201
    for asset in assets:
        default_storage.delete(asset.original_key)

    export = ask(api_client, django_capture_on_commit_callbacks, "/api/v1/shard-exports/")

    named = ", ".join(str(a.pk) for a in assets[:10])
    assert export["error"].startswith(f"Assets {named} and 4 more cannot be delivered")
    assert export["error"].endswith("leaving out their grants.")
    assert all_reports() == 14


# --- other errors: the export fails with their words, and the task raises ---------------


def test_a_task_failing_otherwise_marks_the_export_failed_with_the_error(
    api_client, buyer, monkeypatch, django_capture_on_commit_callbacks
):
    asset = hashed_asset()
    sign_in(api_client, buyer)
    download(api_client, [asset.pk])
    asset.original_key = "../outside.jpg"  # a key that leaves the media folder
    asset.save(update_fields=["original_key"])
    with django_capture_on_commit_callbacks(execute=False):
        api_client.post("/api/v1/shard-exports/", {}, format="json")
    export = ShardExport.objects.get()
    with pytest.raises(StoredFileChanged):
        build_shards.apply(args=[export.pk])
    export.refresh_from_db()
    assert (export.state, export.error) == (
        "failed", "A stored file's key leaves the media folder: ../outside.jpg",
    )  # fmt: skip

    def broken_store(*args, **kwargs):
        raise RuntimeError("x" * 600)

    monkeypatch.setattr(manifests_module, "_store", broken_store)
    with django_capture_on_commit_callbacks(execute=False):
        api_client.post("/api/v1/manifests/", {}, format="json")
    manifest = ManifestExport.objects.get()
    with pytest.raises(RuntimeError):
        build_manifest.apply(args=[manifest.pk])
    manifest.refresh_from_db()
    assert (manifest.state, manifest.error) == ("failed", "x" * 500)
    assert all_reports() == 0


def test_storage_failing_on_every_try_fails_the_export_in_words_after_the_last_retry(
    api_client, buyer, monkeypatch, django_capture_on_commit_callbacks
):
    """A storage error is retried; once the tries run out the export no longer waits as
    queued for ever, and its page says what to do without showing the server's paths."""
    tries = []

    def disk_full(export_id):
        tries.append(export_id)
        raise OSError(28, "No space left on device", "/srv/media/shards/1/1/shard-000000.tar")

    monkeypatch.setattr(shards_module, "shard_export_build", disk_full)
    monkeypatch.setattr(manifests_module, "manifest_build", disk_full)
    asset = hashed_asset()
    sign_in(api_client, buyer)
    download(api_client, [asset.pk])
    for url, model, task in (("/api/v1/shard-exports/", ShardExport, build_shards),
                             ("/api/v1/manifests/", ManifestExport, build_manifest)):  # fmt: skip
        tries.clear()
        with django_capture_on_commit_callbacks(execute=False):
            created = api_client.post(url, {}, format="json").json()
        with pytest.raises(Retry):
            task.apply(args=[created["id"]], retries=task.max_retries - 1)
        assert model.objects.get(pk=created["id"]).state == "queued"  # one more try to come
        with pytest.raises(OSError, match="No space left"):
            task.apply(args=[created["id"]], retries=task.max_retries)  # the last
        body = api_client.get(f"{url}{created['id']}/").json()
        assert body["state"] == "failed"
        assert body["error"] == (
            "The files could not be written to storage after 4 tries. Nothing was charged; "
            "ask for the export again later."
        )
        assert tries == [created["id"]] * 2
