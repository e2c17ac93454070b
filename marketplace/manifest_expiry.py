"""Retention of manifests: MANIFEST_EXPORT_DAYS after a buyer asked for one, its file is
deleted from storage and it is marked expired. The row stays: the buyer's list still shows
what they exported and when. A manifest being built is left for the next run, and one
whose links are being signed again is expired once that is done. Run daily by Celery beat,
or by `manage.py expire_manifests` (marketplace.export_expiry holds what shard exports
share)."""

from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from marketplace.build_lock import BuildLock
from marketplace.export_expiry import exports_due, exports_expire
from marketplace.manifests import BUILD_LOCK, manifest_folder
from marketplace.models import ManifestExport


def manifests_due(*, days: int | None = None, now=None):
    """Manifests asked for more than `days` (MANIFEST_EXPORT_DAYS) ago and not expired yet."""
    days = settings.MANIFEST_EXPORT_DAYS if days is None else days
    return exports_due(ManifestExport, days=days, now=now)


def _stored_keys(manifest: ManifestExport) -> set[str]:
    """Its file, and any other file of it in the buyer's folder: one a renewal replaced but
    could not delete, or one a crashed build left."""
    folder = manifest_folder(manifest)
    try:
        _, files = default_storage.listdir(folder)
    except FileNotFoundError:  # local storage: nothing was ever written
        files = []
    # `<id>.<format>` when built, `<id>-<time>.<format>` when renewed; storage may add
    # `_<random>` to a name already taken.
    mine = tuple(f"{manifest.pk}{sep}" for sep in ".-_")
    keys = {f"{folder}/{name}" for name in files if name.startswith(mine)}
    if manifest.file_key:
        keys.add(manifest.file_key)
    return keys


def manifest_expire(manifest_id: int, *, now=None) -> bool:
    """Delete one manifest's file and mark it expired. False when it is being built right
    now (the next run expires it) or expired already."""
    with BuildLock(BUILD_LOCK, manifest_id) as held:  # no build writes it while it is deleted
        if not held:
            return False
        with transaction.atomic():
            # Locked as a renewal locks it: one signing its links again finishes first.
            manifest = ManifestExport.objects.select_for_update().get(pk=manifest_id)
            if manifest.state == ManifestExport.State.EXPIRED:
                return False
            for key in sorted(_stored_keys(manifest)):
                default_storage.delete(key)  # a missing key is no error, locally or on S3
            ManifestExport.objects.filter(pk=manifest_id).update(
                state=ManifestExport.State.EXPIRED, expired_at=now or timezone.now(), file_key=""
            )
    return True


def manifests_expire(
    *, days: int | None = None, now=None, progress: Callable[[int], object] | None = None
) -> int:
    """Expire every manifest older than `days` (MANIFEST_EXPORT_DAYS); returns how many."""
    return exports_expire(
        manifests_due(days=days, now=now), manifest_expire, now=now, progress=progress
    )
