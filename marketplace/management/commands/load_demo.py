from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketplace.demo import demo_load


class Command(BaseCommand):
    help = (
        "Load the demo: users, the sample base set (cloned, scored and published through "
        "the real pipeline) and the demo marketplace. Demo only: refuses when DEBUG is off."
    )

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
        if result.ingest is None:
            out.write(f"Demo base set: already in, {result.published} images published.")
        else:
            rejected = sum(result.ingest.rejected.values())
            out.write(
                f"Demo base set: {result.ingest.seen} sample records; "
                f"{result.clone.accepted} images cloned and {result.published} published, "
                f"{rejected} records rejected by the license policy."
            )
        out.write("")
        out.write("Demo accounts (username / password):")
        for user in result.users:
            role = "Administrator" if user.superuser else user.role.label
            out.write(f"  {role:<14} {user.username} / {user.password}")
        out.write("")
        out.write(f"Home:      {base_url}/")
        out.write(f"API docs:  {base_url}/api/docs/")
        out.write(f"Admin:     {base_url}/admin/  (demo-moderator; demo-admin also sees billing)")
        out.write(
            f"Search:    {base_url}/search/?q=portrait&license=pdm-1.0 (the same through "
            f"the API: {base_url}/api/v1/assets/?q=portrait&license=pdm-1.0)"
        )
