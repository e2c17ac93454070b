from django.core.management.base import BaseCommand, CommandError

from catalog.cloning import clone_pending
from catalog.models import Asset, AssetStatus, CloneState
from common.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Copy accepted originals into storage (once each) and dedupe them; the classifiers "
        "score the stored ones next and publish those under the hold threshold. "
        "Resumable: run it again after a crash and it continues where it stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, help="Stop after this many assets.")

    def handle(self, *args, limit, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        waiting = (
            Asset.objects.filter(status=AssetStatus.CANDIDATE)
            .exclude(clone_state__in=[CloneState.DONE, CloneState.GAVE_UP])
            .count()
        )
        total = min(waiting, limit) if limit else waiting
        with progress_bar(total=total, unit="images", description="clone") as bar:
            report = clone_pending(limit=limit, progress=bar.update)
        self.stdout.write(
            self.style.SUCCESS(
                f"clone: tried {report.seen}, stored {report.accepted} (published once scored), "
                f"duplicates {report.duplicates}, "
                f"rejected {sum(report.rejected.values())}{_reasons(report.rejected)}, "
                f"failed (will retry) {report.errors}"
            )
        )


def _reasons(rejected: dict[str, int]) -> str:
    return f" ({', '.join(f'{k} {v}' for k, v in sorted(rejected.items()))})" if rejected else ""
