from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from catalog.optout_formats import FORMATS, InvalidImport, detect_format
from catalog.optouts import optouts_import


class Command(BaseCommand):
    help = (
        "Import opt-outs; matching items never publish. Formats: csv (rows kind,value[,note], "
        "kind url, domain, sha256 or creator), list (one URL or domain a line, # comments), "
        "dnt (a Do Not Train-style CSV with url and/or domain columns), ai.txt (the Spawning "
        "format, for --domain). Without --format it is told from the file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The file (UTF-8).")
        parser.add_argument("--format", choices=FORMATS, default=None, dest="fmt")
        parser.add_argument("--domain", default="", help="The site an ai.txt file belongs to.")
        parser.add_argument("--note", default="", help="Who asked, and how (kept on entries).")

    def handle(self, *args, file: Path, fmt: str | None, domain: str, note: str, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with file.open(encoding="utf-8", newline="") as handle:
            fmt = fmt or detect_format(file.name, handle.readline())
            handle.seek(0)
            try:
                result = optouts_import(lines=handle, fmt=fmt, domain=domain, note=note)
            except InvalidImport as exc:
                raise CommandError(str(exc)) from exc
        for problem in result.invalid:
            self.stderr.write(f"skipped {problem}")
        self.stdout.write(
            self.style.SUCCESS(
                f"opt-outs ({fmt}): {result.added} added, "
                f"{result.already_present} already registered, "
                + ngettext(
                    "%(n)d invalid row skipped", "%(n)d invalid rows skipped", len(result.invalid)
                )
                % {"n": len(result.invalid)}
            )
        )
