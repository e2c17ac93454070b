from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from catalog.optouts import optouts_import_csv


class Command(BaseCommand):
    help = (
        "Import opt-outs from a CSV file with rows `kind,value[,note]`, where kind is url, "
        "domain, sha256 or creator. Matching items never publish."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file (UTF-8).")

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with file.open(encoding="utf-8", newline="") as handle:
            result = optouts_import_csv(lines=handle)
        for problem in result.invalid:
            self.stderr.write(f"skipped {problem}")
        self.stdout.write(
            self.style.SUCCESS(
                f"opt-outs: {result.added} added, {result.already_present} already registered, "
                + ngettext(
                    "%(n)d invalid row skipped", "%(n)d invalid rows skipped", len(result.invalid)
                )
                % {"n": len(result.invalid)}
            )
        )
