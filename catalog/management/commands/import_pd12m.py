import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from catalog.pd12m import Pd12mFileError, count_rows, file_format, import_pd12m
from common.progress import progress_bar

ERRORS_SHOWN = 10


class Command(BaseCommand):
    help = (
        "Import a published dataset in the PD12M metadata layout (a .parquet, .jsonl/.ndjson "
        "or .csv file with the columns id, url, caption, width, height, mime_type, hash, "
        "license, source): accepted rows become candidates waiting to be cloned, the others "
        "are kept as rejected with their reason. Running it again on the same file changes "
        "nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The dataset file.")
        parser.add_argument(
            "--batch-size", type=int, default=100_000,
            help="Rows read and written per transaction (default 100000).",
        )  # fmt: skip
        parser.add_argument(
            "--json", action="store_true", help="Print the run's report as JSON on stdout."
        )

    def handle(self, *args, file: Path, batch_size: int, json: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            file_format(file)
        except Pd12mFileError as exc:
            raise CommandError(str(exc)) from exc
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with progress_bar(total=count_rows(file), unit="rows", description=file.name) as bar:
            report = import_pd12m(
                path=file, actor="import_pd12m", progress=bar.update, batch_size=batch_size
            )
        if json:
            self.stdout.write(_json_dumps(report.as_json()))
            return
        for message in report.error_samples[:ERRORS_SHOWN]:
            self.stderr.write(f"error: {message}")
        if report.errors > ERRORS_SHOWN:
            more = report.errors - ERRORS_SHOWN
            self.stderr.write(
                ngettext("... %(n)d more error (see the report)",
                         "... %(n)d more errors (see the report)", more) % {"n": more}
            )  # fmt: skip
        self.stdout.write(self.style.SUCCESS(f"{file.name}: {report.summary()}"))
        self.stdout.write(f"Report stored as ingest run {report.run.pk} (see the admin).")


def _json_dumps(value) -> str:
    return json.dumps(value, indent=2, default=str)
