from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common.progress import progress_bar
from marketplace.webhook_log import purgeable_deliveries, webhook_deliveries_purge


class Command(BaseCommand):
    help = (
        "Delete finished webhook deliveries (delivered, or given up) and their tries older "
        "than WEBHOOK_DELIVERY_DAYS days; pending ones are kept. Beat runs it daily; run it "
        "by hand after lowering the setting. Safe to interrupt and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000,
                            help="Deliveries deleted per transaction.")  # fmt: skip

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        total = purgeable_deliveries().count()
        with progress_bar(total=total, unit="deliveries", description="purge") as bar:
            purged = webhook_deliveries_purge(batch_size=batch_size, progress=bar.update)
        self.stdout.write(
            self.style.SUCCESS(
                f"purge: deleted {purged} finished webhook deliveries older than "
                f"{settings.WEBHOOK_DELIVERY_DAYS} days"
            )
        )
