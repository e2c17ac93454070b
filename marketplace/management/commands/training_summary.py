from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from marketplace.models import User
from marketplace.training_summary import (
    summary_scope,
    training_summary,
    training_summary_json,
    training_summary_markdown,
)


class Command(BaseCommand):
    help = (
        "Print the EU AI Act training-content summary of a buyer's licensed data: one of "
        "their collections, a release, or all their grants, as it stood at the end of a day."
    )

    def add_arguments(self, parser):
        parser.add_argument("buyer", help="The buyer's username.")
        parser.add_argument("--collection", type=int, help="One of the buyer's collections.")
        parser.add_argument("--release", type=int, help="A dataset release.")
        parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                            help="The day (UTC), YYYY-MM-DD; default today.")  # fmt: skip
        parser.add_argument("--format", choices=["json", "markdown"], default="json")

    def handle(self, *args, buyer, collection, release, as_of, format, **options):
        from django.utils import timezone

        user = User.objects.filter(username=buyer).first()
        if user is None:
            raise CommandError(f"No user {buyer!r}.")
        try:
            scope = summary_scope(buyer=user, collection_id=collection, release_id=release)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        summary = training_summary(
            buyer=user,
            scope=scope,
            as_of=as_of or timezone.now().date(),
            base_url=settings.PUBLIC_BASE_URL.rstrip("/"),
        )
        render = training_summary_json if format == "json" else training_summary_markdown
        self.stdout.write(render(summary), ending="")
