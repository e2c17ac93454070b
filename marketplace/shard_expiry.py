"""Retention of WebDataset shard exports: SHARD_EXPORT_DAYS after a buyer asked for one, its
shards and index are deleted from storage and it is marked expired. The row stays (without
its build plan and its samples): the buyer's list still shows what they exported and when
(each shard's name, size and number of samples), and the audit log's `download.sharded`
events, which name each asset and grant delivered, still point at it. The samples go: they
listed what the deleted files held, and only a built export's links need them. Run daily
by Celery beat, or by `manage.py expire_shard_exports` (marketplace.export_expiry holds what
manifests share)."""

import os
from collections.abc import Callable
from contextlib import suppress

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from marketplace.build_lock import BuildLock
from marketplace.export_expiry import exports_due, exports_expire
from marketplace.models import ShardExport, ShardSample
from marketplace.shards import BUILD_LOCK, shards_prefix


def shard_exports_due(*, days: int | None = None, now=None):
    """Exports asked for more than `days` (SHARD_EXPORT_DAYS) ago and not expired yet."""
    days = settings.SHARD_EXPORT_DAYS if days is None else days
    return exports_due(ShardExport, days=days, now=now)


def _stored_keys(export: ShardExport) -> set[str]:
    """Every file under the export's folder (what a failed or interrupted build left there
    too), and the keys it recorded."""
    prefix = shards_prefix(export)
    try:
        _, files = default_storage.listdir(prefix)
    except FileNotFoundError:  # local storage: nothing was ever written
        files = []
    keys = {f"{prefix}/{name}" for name in files}
    keys.update(entry["key"] for entry in export.shards)
    if export.index_key:
        keys.add(export.index_key)
    return keys


def shard_export_expire(export_id: int, *, now=None) -> bool:
    """Delete one export's files and mark it expired. False when it is being built right
    now (the next run expires it) or expired already."""
    with BuildLock(BUILD_LOCK, export_id) as held:  # no build writes a shard while deleting
        if not held:
            return False
        export = ShardExport.objects.get(pk=export_id)
        if export.state == ShardExport.State.EXPIRED:
            return False
        for key in sorted(_stored_keys(export)):
            default_storage.delete(key)  # a missing key is no error, locally or on S3
        _remove_folder(shards_prefix(export))
        with transaction.atomic():
            ShardSample.objects.filter(export=export_id).delete()
            ShardExport.objects.filter(pk=export_id).update(
                state=ShardExport.State.EXPIRED, expired_at=now or timezone.now(), index_key="",
                plan=[],
            )  # fmt: skip
    return True


def _remove_folder(prefix: str) -> None:
    """On local storage, the export's folder once empty (S3 has no folders)."""
    try:
        path = default_storage.path(prefix)
    except NotImplementedError:
        return
    with suppress(OSError):  # not empty (a file written since), or never made
        os.rmdir(path)


def shard_exports_expire(
    *, days: int | None = None, now=None, progress: Callable[[int], object] | None = None
) -> int:
    """Expire every export older than `days` (SHARD_EXPORT_DAYS); returns how many."""
    return exports_expire(
        shard_exports_due(days=days, now=now), shard_export_expire, now=now, progress=progress
    )
