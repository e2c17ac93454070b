import sys

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext
from tqdm import tqdm

from billing.gateway import sandbox_enabled
from billing.reconcile import ledger_differences, stripe_differences


class Command(BaseCommand):
    help = (
        "Check the ledger's invariants (balanced transactions, cached balances, no negative "
        "wallet, every paid top-up and payout posted) and compare recent top-ups, payouts "
        "and Connect accounts with Stripe. Prints each difference; exits 1 if there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=35, help="How far back to compare with Stripe."
        )
        parser.add_argument(
            "--skip-stripe", action="store_true", help="Check the ledger only, offline."
        )

    def handle(self, *args, days, skip_stripe, **options):
        checks = [("ledger", ledger_differences())]
        if not skip_stripe and not sandbox_enabled():
            checks.append(("stripe", stripe_differences(days=days)))
        found = 0
        for name, differences in checks:
            bar = tqdm(differences, desc=name, unit=" differences", file=sys.stderr,
                       disable=not sys.stderr.isatty())  # fmt: skip
            for difference in bar:
                found += 1
                self.stdout.write(f"{name}: {difference}")
        if found:
            differences = ngettext("%(n)d difference", "%(n)d differences", found) % {"n": found}
            self.stderr.write(self.style.ERROR(f"reconcile: {differences}"))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("reconcile: the ledger balances; no differences"))
