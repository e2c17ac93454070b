"""Retention of manifests: MANIFEST_EXPORT_DAYS after they were asked for, their file is
deleted from storage (local or S3) and they are marked expired; the API says so, one being
built is left alone, and a late retry of its build writes nothing."""

import io
from datetime import timedelta

import boto3
import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from marketplace.manifest_expiry import manifests_expire
from marketplace.manifests import BUILD_LOCK, manifest_build, manifest_folder
from marketplace.models import ManifestExport, Role
from marketplace.tasks import expire_manifests
from tests.marketplace.delivery_helpers import hashed_asset
from tests.marketplace.test_downloads import client_for, download
from tests.marketplace.test_manifests import export

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(make_user):
    return make_user("mia", role=Role.BUYER)


def _built(client, captured, n: int = 2, **body) -> ManifestExport:
    download(client, [hashed_asset().pk for _ in range(n)])
    made = export(client, captured, **{"format": "jsonl", **body})
    assert made["state"] == "done"
    return ManifestExport.objects.get(pk=made["id"])


def _age(manifest: ManifestExport, days: float) -> None:
    ManifestExport.objects.filter(pk=manifest.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def test_old_manifests_lose_their_file_and_the_api_says_so(
    api_client, buyer, django_capture_on_commit_callbacks
):
    client = client_for(api_client, buyer)
    old = _built(client, django_capture_on_commit_callbacks)
    renewed = _built(client, django_capture_on_commit_callbacks, format="parquet")
    assert client.post(f"/api/v1/manifests/{renewed.pk}/renew/", {}).status_code == 200
    renewed.refresh_from_db()
    fresh = _built(client, django_capture_on_commit_callbacks, n=1)
    failed = ManifestExport.objects.create(buyer=buyer, format="jsonl", link_seconds=60,
                                           state="failed")  # fmt: skip
    # What a renewal that could not delete the file it replaced left behind.
    leftover = default_storage.save(f"{manifest_folder(renewed)}/{renewed.pk}-20260101.parquet",
                                    ContentFile(b"old"))  # fmt: skip
    old_key, renewed_key, fresh_key = old.file_key, renewed.file_key, fresh.file_key
    assert renewed_key != f"{manifest_folder(renewed)}/{renewed.pk}.parquet"  # renamed
    for made, days in ((old, 31), (renewed, 45), (failed, 40), (fresh, 29)):
        _age(made, days)

    out = io.StringIO()
    call_command("expire_manifests", stdout=out)

    assert "3 manifests expired" in out.getvalue()
    assert not any(default_storage.exists(k) for k in (old_key, renewed_key, leftover))
    assert default_storage.exists(fresh_key)
    old.refresh_from_db()
    assert (old.state, old.file_key, old.rows) == ("expired", "", 2)
    assert old.expired_at is not None
    assert ManifestExport.objects.get(pk=failed.pk).state == "expired"
    assert ManifestExport.objects.get(pk=fresh.pk).state == "done"

    body = client.get(f"/api/v1/manifests/{old.pk}/").json()
    assert (body["state"], body["url"], body["rows"]) == ("expired", None, 2)
    assert body["expired_at"]
    listed = client.get(f"/api/v1/manifests/{fresh.pk}/").json()
    assert listed["url"] and listed["expired_at"] is None
    again = client.post(f"/api/v1/manifests/{old.pk}/renew/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "expired"
    assert "Build a new one" in again.json()["error"]["message"]

    out = io.StringIO()
    call_command("expire_manifests", stdout=out)  # run again: nothing more to do
    assert "0 manifests expired" in out.getvalue()


def test_the_days_are_a_setting_and_an_option_and_run_daily(
    api_client, buyer, settings, django_capture_on_commit_callbacks
):
    made = _built(client_for(api_client, buyer), django_capture_on_commit_callbacks, n=1)
    _age(made, 8)
    assert expire_manifests.delay().get() == 0  # the daily task, with 30 days
    settings.MANIFEST_EXPORT_DAYS = 7
    assert expire_manifests.delay().get() == 1
    entry = django_settings.CELERY_BEAT_SCHEDULE["expire-manifests"]
    assert entry["task"] == "marketplace.expire_manifests"
    with pytest.raises(Exception, match="--days must be at least 1"):
        call_command("expire_manifests", days=0)
    fresh = _built(client_for(api_client, buyer), django_capture_on_commit_callbacks, n=1)
    _age(fresh, 3)
    out = io.StringIO()
    call_command("expire_manifests", days=2, stdout=out)
    assert "1 manifest expired" in out.getvalue()


def test_a_manifest_being_built_is_left_for_the_next_run_and_a_late_build_writes_nothing(
    api_client, buyer, django_capture_on_commit_callbacks
):
    client = client_for(api_client, buyer)
    download(client, [hashed_asset().pk])
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not run yet
        created = client.post("/api/v1/manifests/", {"format": "jsonl"}, format="json").json()
    queued = ManifestExport.objects.get(pk=created["id"])
    _age(queued, 31)
    # Another process holds the build lock: a worker writing it right now.
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"},
                         autocommit=True) as worker:  # fmt: skip
        worker.execute("SELECT pg_advisory_lock(%s, %s)", [BUILD_LOCK, queued.pk])
        out = io.StringIO()
        call_command("expire_manifests", stdout=out)
        assert "0 manifests expired; 1 being built, left for the next run" in out.getvalue()
        assert ManifestExport.objects.get(pk=queued.pk).state == "queued"
        # And a second worker does not build it alongside the first.
        assert manifest_build(queued.pk).state == "queued"
    assert manifests_expire() == 1
    # The task's retry, after expiry, writes nothing.
    assert manifest_build(queued.pk).state == "expired"
    assert ManifestExport.objects.get(pk=queued.pk).file_key == ""
    assert not default_storage.exists(f"{manifest_folder(queued)}/{queued.pk}.jsonl")


def test_expired_manifests_are_deleted_from_s3(
    s3_storage, api_client, buyer, django_capture_on_commit_callbacks
):
    bucket, endpoint = s3_storage
    client = client_for(api_client, buyer)
    old = _built(client, django_capture_on_commit_callbacks)
    kept = _built(client, django_capture_on_commit_callbacks, format="parquet")
    _age(old, 31)
    s3 = boto3.client("s3", endpoint_url=endpoint)

    def stored() -> list[str]:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{manifest_folder(old)}/")
        return sorted(o["Key"].rsplit("/", 1)[1] for o in listed.get("Contents", []))

    assert stored() == [f"{old.pk}.jsonl", f"{kept.pk}.parquet"]
    assert manifests_expire() == 1
    assert stored() == [f"{kept.pk}.parquet"]
    assert ManifestExport.objects.get(pk=old.pk).state == "expired"
    assert client.get(f"/api/v1/manifests/{kept.pk}/").json()["url"]


def test_the_schema_says_a_manifest_can_expire():
    from tests.marketplace.api.schema_helpers import served_schema

    schema = served_schema()
    manifest = schema["components"]["schemas"]["Manifest"]["properties"]
    state = manifest["state"]["allOf"][0]["$ref"].rsplit("/", 1)[1]
    assert "expired" in schema["components"]["schemas"][state]["enum"]
    assert manifest["expired_at"]["nullable"] and manifest["url"]["nullable"]
    renew = schema["paths"]["/api/v1/manifests/{id}/renew/"]["post"]["responses"]["409"]
    assert "`expired`" in renew["description"]
