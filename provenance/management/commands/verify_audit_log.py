import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext
from tqdm import tqdm

from provenance.selectors import audit_log_length, audit_log_verify, events_unsealed_count
from provenance.services import events_seal


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain from its first link: recompute every link from "
        "its event's current content and stop at the first broken one (an edited or "
        "deleted event, a deleted or edited seal), exiting with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seal", action="store_true", help="Seal the events not sealed yet first."
        )

    def handle(self, *args, seal: bool, **options):
        if seal:
            with _progress_bar(total=events_unsealed_count(), description="seal") as bar:
                sealed = events_seal(progress=bar.update)
            self.stdout.write(f"Sealed {_count(sealed, 'event', 'events')}.")
        with _progress_bar(total=audit_log_length(), description="verify") as bar:
            check = audit_log_verify(progress=bar.update)
        if not check.intact:
            raise CommandError(
                f"Audit log broken at {check.broken}. "
                f"Entries verified before it: {check.verified:,}."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit log intact: {_count(check.verified, 'entry', 'entries')} verified, "
                f"{_count(check.unsealed, 'event', 'events')} not sealed yet."
            )
        )
        self.stdout.write(f"Head: seq {check.head_seq}, hash {check.head_hash}")


def _progress_bar(*, total: int, description: str):
    """As catalog's progress bars (provenance depends on no other app): on stderr, and
    only on a terminal."""
    return tqdm(
        total=total,
        unit="entries",
        desc=description,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        dynamic_ncols=True,
    )


def _count(n: int, singular: str, plural: str) -> str:
    """`1 entry`, `48,210 entries`."""
    return f"{n:,} {ngettext(singular, plural, n)}"
