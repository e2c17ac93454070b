"""Retention of shard exports: SHARD_EXPORT_DAYS after they were asked for, their shards and
index are deleted from storage (local or S3) and they are marked expired; one being built
is left alone, and a late retry of its build writes nothing."""

import io
import os
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

from marketplace.models import Role, ShardExport, ShardSample
from marketplace.services import shard_export_build
from marketplace.shard_expiry import shard_exports_expire
from marketplace.shards import BUILD_LOCK, shards_prefix
from marketplace.tasks import expire_shard_exports
from tests.auth import sign_in
from tests.marketplace.delivery_helpers import hashed_asset
from tests.marketplace.test_downloads import download
from tests.marketplace.test_shards import export

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(make_user):
    return make_user("mia", role=Role.BUYER)


def _built(api_client, buyer, captured, n: int = 4) -> ShardExport:
    assets = [hashed_asset() for _ in range(n)]
    sign_in(api_client, buyer)
    download(api_client, [a.pk for a in assets])
    return ShardExport.objects.get(pk=export(api_client, captured)["id"])


def _age(export: ShardExport, days: float) -> None:
    ShardExport.objects.filter(pk=export.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def _keys(export: ShardExport) -> list[str]:
    return [*(s["key"] for s in export.shards), export.index_key]


def test_old_exports_lose_their_files_and_say_so(
    api_client, buyer, settings, django_capture_on_commit_callbacks
):
    settings.SHARD_MAX_BYTES = 10240
    old = _built(api_client, buyer, django_capture_on_commit_callbacks)
    fresh = _built(api_client, buyer, django_capture_on_commit_callbacks, n=1)
    failed = ShardExport.objects.create(buyer=buyer, max_shard_bytes=10240, state="failed")
    # What a crashed build left behind: a shard written but never recorded.
    leftover = default_storage.save(f"{shards_prefix(failed)}/shard-000000.tar",
                                    ContentFile(b"half"))  # fmt: skip
    old_keys, fresh_keys = _keys(old), _keys(fresh)
    assert len(old_keys) == 3 and all(default_storage.exists(k) for k in old_keys)
    _age(old, 31)
    _age(failed, 40)
    _age(fresh, 29)

    out = io.StringIO()
    call_command("expire_shard_exports", stdout=out)

    assert "2 shard exports expired" in out.getvalue()
    assert not any(default_storage.exists(k) for k in [*old_keys, leftover])
    assert not os.path.exists(default_storage.path(shards_prefix(old)))
    assert all(default_storage.exists(k) for k in fresh_keys)
    old.refresh_from_db()
    assert (old.state, old.index_key, old.plan, old.assets) == ("expired", "", [], 4)
    # Its samples go with its files; the list still says what each shard held.
    assert not ShardSample.objects.filter(export=old).exists()
    assert [entry["sample_count"] for entry in old.shards] == [3, 1]
    assert ShardSample.objects.filter(export=fresh).count() == fresh.assets == 5  # kept
    assert old.expired_at is not None
    assert ShardExport.objects.get(pk=failed.pk).state == "expired"
    assert ShardExport.objects.get(pk=fresh.pk).state == "done"
    # The API says so too: no links, no index.
    body = api_client.get(f"/api/v1/shard-exports/{old.pk}/").json()
    assert (body["state"], body["shards"], body["index_url"]) == ("expired", [], None)
    # Run again: nothing more to do.
    out = io.StringIO()
    call_command("expire_shard_exports", stdout=out)
    assert "0 shard exports expired" in out.getvalue()


def test_the_days_are_a_setting_and_an_option(
    api_client, buyer, settings, django_capture_on_commit_callbacks
):
    made = _built(api_client, buyer, django_capture_on_commit_callbacks, n=1)
    _age(made, 8)
    assert expire_shard_exports.delay().get() == 0  # the daily task, with 30 days
    settings.SHARD_EXPORT_DAYS = 7
    assert expire_shard_exports.delay().get() == 1
    assert "expire-shard-exports" in django_settings.CELERY_BEAT_SCHEDULE
    with pytest.raises(Exception, match="--days must be at least 1"):
        call_command("expire_shard_exports", days=0)


def test_an_export_being_built_is_left_for_the_next_run_and_a_late_build_writes_nothing(
    api_client, buyer, settings, django_capture_on_commit_callbacks
):
    settings.SHARD_MAX_BYTES = 10240
    assets = [hashed_asset() for _ in range(2)]
    sign_in(api_client, buyer)
    download(api_client, [a.pk for a in assets])
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not run yet
        created = api_client.post("/api/v1/shard-exports/", {}, format="json").json()
    queued = ShardExport.objects.get(pk=created["id"])
    _age(queued, 31)
    # Another process holds the build lock: a worker writing it right now.
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"},
                         autocommit=True) as worker:  # fmt: skip
        worker.execute("SELECT pg_advisory_lock(%s, %s)", [BUILD_LOCK, queued.pk])
        assert shard_exports_expire() == 0
        assert ShardExport.objects.get(pk=queued.pk).state == "queued"
    assert shard_exports_expire() == 1
    # The task's retry, after expiry, writes nothing.
    assert shard_export_build(queued.pk).state == "expired"
    _, files = (
        default_storage.listdir(shards_prefix(queued))
        if os.path.exists(default_storage.path(shards_prefix(queued)))
        else ([], [])
    )
    assert files == []


def test_expired_shards_are_deleted_from_s3(
    s3_storage, api_client, buyer, settings, django_capture_on_commit_callbacks
):
    bucket, endpoint = s3_storage
    settings.SHARD_MAX_BYTES = 10240
    old = _built(api_client, buyer, django_capture_on_commit_callbacks)
    kept = _built(api_client, buyer, django_capture_on_commit_callbacks, n=1)
    _age(old, 31)
    s3 = boto3.client("s3", endpoint_url=endpoint)

    def stored(made):
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{shards_prefix(made)}/")
        return sorted(o["Key"].rsplit("/", 1)[1] for o in listed.get("Contents", []))

    assert stored(old) == ["index.json", "shard-000000.tar", "shard-000001.tar"]
    kept_files = stored(kept)
    assert "index.json" in kept_files
    assert shard_exports_expire() == 1
    assert stored(old) == []
    assert stored(kept) == kept_files
    assert ShardExport.objects.get(pk=old.pk).state == "expired"
