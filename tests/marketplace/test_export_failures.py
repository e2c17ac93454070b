"""A manifest or shard export whose build fails fails with the error's own words (cut to
fit), and the task raises it."""

import pytest

from marketplace import manifests as manifests_module
from marketplace.models import ManifestExport, Role, ShardExport
from marketplace.shards import StoredFileChanged
from marketplace.tasks import build_manifest, build_shards
from tests.auth import sign_in
from tests.marketplace.delivery_helpers import hashed_asset
from tests.marketplace.test_downloads import download

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(make_user):
    return make_user("mia", role=Role.BUYER)


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
