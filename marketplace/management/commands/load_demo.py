from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketplace.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo users and base-set records (demo only: refuses when DEBUG is off)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="Where the demo is served."
        )

    def handle(self, *args, base_url: str, **options):
        if not settings.DEBUG:
            raise CommandError(
                "load_demo creates users with known passwords and only runs with DEBUG on."
            )
        result = demo_load()
        out = self.stdout
        out.write(
            self.style.SUCCESS(
                f"Demo base set: {result.assets_created} assets added, "
                f"{result.assets_updated} already there."
            )
        )
        out.write("Demo accounts (username / password):")
        for user in result.users:
            out.write(f"  {user.role.label:<14} {user.username} / {user.password}")
        out.write(f"API docs:  {base_url}/api/docs/")
        out.write(f"Admin:     {base_url}/admin/  (sign in as demo-moderator)")
        out.write(f"Assets:    {base_url}/api/v1/assets/")
