from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from common.progress import progress_bar
from marketplace.shard_expiry import shard_exports_due, shard_exports_expire


class Command(BaseCommand):
    help = (
        "Delete the shards and index of WebDataset shard exports asked for more than "
        "SHARD_EXPORT_DAYS days ago, and mark them expired (their buyers see them as such). "
        "Celery beat runs this daily; an export being built is left for the next run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, help="Older than this many days (default: SHARD_EXPORT_DAYS)."
        )

    def handle(self, *args, days, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        due = shard_exports_due(days=days).count()
        with progress_bar(total=due, unit="exports", description="expire") as bar:
            expired = shard_exports_expire(days=days, progress=bar.update)
        message = ngettext("%(n)d shard export expired", "%(n)d shard exports expired", expired)
        left = due - expired
        self.stdout.write(
            self.style.SUCCESS(
                message % {"n": expired}
                + (f"; {left} being built, left for the next run" if left > 0 else "")
            )
        )
