from django.core.management.base import BaseCommand

from marketplace.services import offer_files_remake


class Command(BaseCommand):
    help = (
        "Make the files of the current offers again, with their terms as written now: run "
        "it after configuring or replacing the C2PA signing key (C2PA_SIGNING_CERT, "
        "C2PA_SIGNING_KEY) or changing PUBLIC_BASE_URL. Files of ended offers stay as "
        "their buyers got them."
    )

    def handle(self, *args, **options):
        made = offer_files_remake()
        self.stdout.write(self.style.SUCCESS(f"{made} offer files made again."))
