import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.connectors import CONNECTORS
from catalog.connectors.base import MalformedPayload
from catalog.ingest import ingest_source
from common.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Ingest base-set records from a source's API (or from saved API responses with "
        "--from-file), keeping only Public Domain Mark and CC0 items, and print the report."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", choices=sorted(CONNECTORS), help="The source to read.")
        parser.add_argument(
            "--since", type=date.fromisoformat, help="Only records changed since YYYY-MM-DD."
        )
        parser.add_argument("--limit", type=int, help="Stop after this many records.")
        parser.add_argument(
            "--from-file", nargs="+", type=Path, metavar="PATH",
            help="Read saved API responses (JSON files, one page each) instead of the API.",
        )  # fmt: skip
        parser.add_argument(
            "--json", action="store_true", help="Print the run's report as JSON on stdout."
        )

    def handle(self, *args, source, since, limit, from_file, json: bool, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        payloads = None
        if from_file:
            missing = [str(path) for path in from_file if not path.is_file()]
            if missing:
                raise CommandError(f"No such file: {', '.join(missing)}")
            payloads = self._read_files(from_file)
        with progress_bar(total=limit, unit="records", description=source) as bar:
            report = ingest_source(
                source=source, since=since, limit=limit, payloads=payloads,
                actor=f"ingest {source}", progress=bar.update,
            )  # fmt: skip
        if json:
            self.stdout.write(_json_dumps(report.as_json()))
        else:
            self.stdout.write(self.style.SUCCESS(f"{source}: {report.summary()}"))
            self.stdout.write(f"Report stored as ingest run {report.run.pk} (see the admin).")

    def _read_files(self, paths: list[Path]):
        for path in paths:
            try:
                yield json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                # An unreadable file is a page that failed: the others still load.
                yield MalformedPayload(f"{path}: not JSON ({exc})")


def _json_dumps(value) -> str:
    return json.dumps(value, indent=2, sort_keys=False, default=str)
