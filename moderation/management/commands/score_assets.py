from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from catalog.selectors import asset_scoring_backlog_count
from common.progress import progress_bar
from moderation.services import backlog_queue, backlog_score

MAX_BATCH = 500  # images held in memory at once: about 0.5 MB each


class Command(BaseCommand):
    help = (
        "Score stored assets with the classifiers (nudity, faces, personal data in text) and "
        "record the scores that search filters on. By default only assets not yet scored."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=settings.MODERATION_BATCH_SIZE,
            help=f"Assets per batch (default MODERATION_BATCH_SIZE, at most {MAX_BATCH}).",
        )
        parser.add_argument("--limit", type=int, help="Stop after this many assets.")
        parser.add_argument(
            "--rescore",
            action="store_true",
            help="Score every scorable asset again, not only unscored ones (after a model "
            "upgrade: each model version keeps its own scores).",
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue the assets for the Celery workers (moderation.score_assets tasks of "
            "MODERATION_BATCH_SIZE) instead of scoring them in this process.",
        )

    def handle(self, *args, batch_size, limit, rescore, queue, **options):
        if not 1 <= batch_size <= MAX_BATCH:
            raise CommandError(f"--batch-size must be between 1 and {MAX_BATCH}.")
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        waiting = asset_scoring_backlog_count(rescore=rescore)
        total = min(waiting, limit) if limit else waiting
        if queue:
            with progress_bar(total=total, unit="assets", description="queue") as bar:
                queued = backlog_queue(
                    batch_size=batch_size, limit=limit, rescore=rescore, progress=bar.update
                )
            assets = ngettext("%(n)d asset", "%(n)d assets", queued) % {"n": queued}
            self.stdout.write(self.style.SUCCESS(f"score: queued {assets}"))
            return
        with progress_bar(total=total, unit="assets", description="score") as bar:
            outcome = backlog_score(
                batch_size=batch_size, limit=limit, rescore=rescore, progress=bar.update
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"score: scored {len(outcome.scored)}, published {len(outcome.published)}, "
                f"held for review {len(outcome.held)} "
                f"(nudity at or above {settings.MODERATION_HOLD_NSFW:g}), "
                f"image unreadable {len(outcome.unreadable)}, skipped {len(outcome.skipped)}"
            )
        )
        for pk, reason in sorted(outcome.unreadable.items())[:10]:
            self.stderr.write(f"asset {pk}: {reason}")
