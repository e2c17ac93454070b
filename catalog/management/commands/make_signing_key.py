from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.consent.signing import make_local_signing_files


class Command(BaseCommand):
    help = (
        "Make a local C2PA signing key and certificate (issued by a local authority) for the "
        "demo, under VAR_DIR/c2pa/. Production uses a certificate from a real authority."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--folder", type=Path, default=None, help="Where to write (default VAR_DIR/c2pa)."
        )
        parser.add_argument("--force", action="store_true", help="Replace existing files.")

    def handle(self, *args, folder: Path | None, force: bool, **options):
        folder = folder or Path(settings.VAR_DIR) / "c2pa"
        if (folder / "signing-key.pem").exists() and not force:
            raise CommandError(f"{folder} already holds a signing key; --force replaces it")
        files = make_local_signing_files(folder)
        self.stdout.write(
            self.style.SUCCESS(
                f"C2PA signing key: {files.key}\n"
                f"certificate chain: {files.chain}\n"
                f"local authority (a trust anchor for the demo): {files.authority}\n"
                f"Set C2PA_SIGNING_CERT={files.chain} C2PA_SIGNING_KEY={files.key} "
                f"C2PA_TRUST_ANCHORS={files.authority}"
            )
        )
