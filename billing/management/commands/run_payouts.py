from django.core.management.base import BaseCommand

from billing.models import Payout
from billing.payouts import payouts_run
from common.money import usd


class Command(BaseCommand):
    help = (
        "Pay every rights holder their available earnings (past the hold period, above the "
        "minimum, in whole cents) through Stripe Connect; retries earlier pending transfers. "
        "Running it twice for one batch pays nobody twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", help="Batch name (default: today's date, UTC).")

    def handle(self, *args, batch, **options):
        payouts = payouts_run(batch=batch)
        for payout in payouts:
            self.stdout.write(
                f"{payout.batch} {payout.rights_holder} USD {usd(payout.amount_micros)} "
                f"{payout.state} {payout.stripe_transfer_id or payout.error}"
            )
        sent = sum(p.state == Payout.State.SENT for p in payouts)
        self.stdout.write(self.style.SUCCESS(f"run_payouts: {sent} of {len(payouts)} sent"))
