from django.core.management.base import BaseCommand

from catalog.embargo import release_embargoed


class Command(BaseCommand):
    help = (
        "Re-check embargoed assets whose embargo has ended at their source: publish-ready "
        "ones go on to cloning, changed licenses and deletion requests are rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, help="Re-check at most this many.")

    def handle(self, *args, limit, **options):
        report = release_embargoed(limit=limit)
        self.stdout.write(self.style.SUCCESS(f"release_embargoed: {report.summary()}"))
