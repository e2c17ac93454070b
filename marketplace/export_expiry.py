"""What the retention of buyers' exports (manifests, WebDataset shard exports) shares: which
exports are due, expiring them one by one with progress, and the management command that
runs it. Each kind says how one export's files are deleted (marketplace.manifest_expiry,
marketplace.shard_expiry); its row stays, marked expired."""

from collections.abc import Callable
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Model, QuerySet
from django.utils import timezone

from common.progress import progress_bar


def exports_due(model: type[Model], *, days: int, now=None) -> QuerySet:
    """Exports asked for more than `days` ago and not expired yet."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return model.objects.filter(created_at__lt=cutoff).exclude(state=model.State.EXPIRED)


def exports_expire(
    due: QuerySet,
    expire: Callable[..., bool],
    *,
    now=None,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Call `expire(pk, now=now)` on each export `due`, oldest first; returns how many it
    expired (it skips one being built, left for the next run)."""
    expired = 0
    for export_id in due.order_by("pk").values_list("pk", flat=True):
        expired += expire(export_id, now=now)
        if progress:
            progress(1)
    return expired


class ExpireCommand(BaseCommand):
    """`manage.py expire_…`: expire a kind of export older than its setting's days, with
    a progress bar. A subclass names the kind and its two functions."""

    setting = ""  # e.g. "SHARD_EXPORT_DAYS"
    noun = ("", "")  # singular and plural, e.g. ("shard export", "shard exports")

    def due(self, *, days: int | None) -> QuerySet:
        raise NotImplementedError

    def expire(self, *, days: int | None, progress: Callable[[int], object]) -> int:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, help=f"Older than this many days (default: {self.setting})."
        )

    def handle(self, *args, days, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        due = self.due(days=days).count()
        with progress_bar(total=due, unit=self.noun[1].split()[-1], description="expire") as bar:
            expired = self.expire(days=days, progress=bar.update)
        noun = self.noun[0] if expired == 1 else self.noun[1]
        left = due - expired
        self.stdout.write(
            self.style.SUCCESS(
                f"{expired} {noun} expired"
                + (f"; {left} being built, left for the next run" if left > 0 else "")
            )
        )
