from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from common.progress import progress_bar
from provenance.selectors import (
    audit_checkpoint_latest,
    audit_log_length,
    audit_log_verify,
    events_unsealed_count,
)
from provenance.services import audit_checkpoint_record, events_seal


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain from its first link (or, with --incremental, from "
        "the last link a verification found intact): recompute every link from its event's "
        "current content and stop at the first broken one (an edited or deleted event, a "
        "deleted or edited seal), exiting with status 1. An intact chain's head is recorded "
        "as the next incremental verification's starting point."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seal", action="store_true", help="Seal the events not sealed yet first."
        )
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="Recompute only the links after the last verified one (after checking that "
            "its seal is unchanged); without a recorded verification, start from the first.",
        )

    def handle(self, *args, seal: bool, incremental: bool, **options):
        if seal:
            unsealed = events_unsealed_count()
            with progress_bar(total=unsealed, unit="events", description="seal") as bar:
                sealed = events_seal(progress=bar.update)
            self.stdout.write(f"Sealed {_count(sealed, 'event', 'events')}.")
        start = audit_checkpoint_latest() if incremental else None
        if start is not None:
            self.stdout.write(
                f"Starting after seq {start.seq:,}, verified on "
                f"{start.verified_at:%Y-%m-%d %H:%M} UTC."
            )
        total = audit_log_length() - (start.seq if start else 0)
        with progress_bar(total=max(total, 0), unit="entries", description="verify") as bar:
            check = audit_log_verify(progress=bar.update, start=start)
        if not check.intact:
            raise CommandError(
                f"Audit log broken at {check.broken}. "
                f"Entries verified before it: {check.verified:,}."
            )
        audit_checkpoint_record(
            seq=check.head_seq,
            hash=check.head_hash,
            verified=check.verified,
            incremental=start is not None,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit log intact: {_count(check.verified, 'entry', 'entries')} verified, "
                f"{_count(check.unsealed, 'event', 'events')} not sealed yet."
            )
        )
        self.stdout.write(f"Head: seq {check.head_seq}, hash {check.head_hash}")


def _count(n: int, singular: str, plural: str) -> str:
    """`1 entry`, `48,210 entries`."""
    return f"{n:,} {ngettext(singular, plural, n)}"
