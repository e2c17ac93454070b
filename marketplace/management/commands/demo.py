import os
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Run the demo: migrate, load the demo data and serve the site (`make demo`). "
        "Demo only: refuses when DEBUG is off."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to serve on.")
        parser.add_argument("--port", default="8000", help="Port to serve on.")

    def handle(self, *args, host: str, port: str, **options):
        if not settings.DEBUG:
            raise CommandError("The demo only runs with DEBUG on.")
        # The autoreloader runs this command again in a child process (RUN_MAIN): the data
        # is in by then, only the server starts there.
        if os.environ.get("RUN_MAIN") != "true":
            self.stdout.write("Preparing the database ...")
            call_command("migrate", interactive=False, verbosity=0)
            self._signing_key()
            call_command("load_demo", base_url=f"http://{host}:{port}", stdout=self.stdout)
            self.stdout.write("\nCtrl-C stops the demo (and its database).\n")
        call_command("runserver", f"{host}:{port}")

    def _signing_key(self) -> None:
        """The demo signs the files it serves (C2PA) with a local key, made once."""
        folder = Path(settings.VAR_DIR) / "c2pa"
        demo_key = folder / "signing-key.pem"
        if Path(settings.C2PA_SIGNING_KEY or "/") == demo_key and not demo_key.exists():
            call_command("make_signing_key", folder=folder, stdout=self.stdout)
