"""Payouts: whole cents through Stripe Transfers, remainders carried, never paid twice."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.ledger import payable_of, platform
from billing.models import AccountKind, ConnectAccount, Payout
from billing.payouts import payouts_run
from billing.services import ChargeItem, charge_downloads
from tests.billing.conftest import fund
from tests.billing.stripe_fake import event, stripe_object

pytestmark = pytest.mark.django_db


@pytest.fixture
def onboarded(artist):
    ConnectAccount.objects.create(
        rights_holder=artist, stripe_account_id="acct_artist", payouts_enabled=True
    )
    return artist


def earn(buyer, artist, micros: int, *, key: str) -> None:
    """A paid download earning `micros` now."""
    fund(buyer, micros + 1000, key=f"fund-{key}")
    charge_downloads(buyer=buyer, items=[ChargeItem(f"asset:{key}", artist.pk, micros)],
                     idempotency_key=f"earn-{key}")  # fmt: skip


def run_at(days_later: int, **kwargs):
    """The ledger is append-only, so earnings are aged by running payouts in the future."""
    return payouts_run(now=timezone.now() + timedelta(days=days_later), **kwargs)


def test_earnings_past_the_hold_are_paid_in_whole_cents_and_the_rest_carried(
    fake_stripe, buyer, onboarded, settings
):
    settings.PAYOUT_HOLD_DAYS = 14
    earn(buyer, onboarded, 1_234_567, key="a")  # USD 1.234567
    [payout] = run_at(15, batch="2030-01-15")
    assert payout.state == Payout.State.SENT
    assert payout.amount_micros == 1_230_000
    [transfer] = fake_stripe.transfers_made()
    assert transfer["params"]["amount"] == "123"
    assert transfer["params"]["destination"] == "acct_artist"
    assert transfer["key"] == f"payout:2030-01-15:{onboarded.pk}"
    assert payable_of(onboarded).balance_micros == 4_567  # carried to the next payout
    assert platform(AccountKind.PAYOUTS_IN_TRANSIT).balance_micros == 0


def test_earnings_still_on_hold_or_under_the_minimum_wait(fake_stripe, buyer, onboarded, settings):
    settings.PAYOUT_HOLD_DAYS = 14
    settings.PAYOUT_MINIMUM_MICROS = 1_000_000
    earn(buyer, onboarded, 5_000_000, key="new")
    assert run_at(3, batch="early") == []  # still on hold
    assert run_at(15, batch="later")[0].amount_micros == 5_000_000
    earn(buyer, onboarded, 900_000, key="small")
    assert run_at(30, batch="small") == []  # under the minimum
    assert len(fake_stripe.transfers_made()) == 1


def test_running_a_batch_again_pays_nobody_twice(fake_stripe, buyer, onboarded):
    earn(buyer, onboarded, 2_000_000, key="x")
    run_at(20, batch="b1")
    run_at(20, batch="b1")
    call_command("run_payouts", "--batch", "b1")
    assert Payout.objects.count() == 1
    assert len(fake_stripe.transfers_made()) == 1
    assert payable_of(onboarded).balance_micros == 0


def test_a_network_failure_leaves_the_payout_pending_and_the_retry_reuses_its_key(
    fake_stripe, buyer, onboarded
):
    earn(buyer, onboarded, 2_000_000, key="net")
    fake_stripe.fail_transfers_with = (500, {"error": {"type": "api_error", "message": "down"}})
    [payout] = run_at(20, batch="b2")
    assert payout.state == Payout.State.PENDING
    assert platform(AccountKind.PAYOUTS_IN_TRANSIT).balance_micros == 2_000_000
    fake_stripe.fail_transfers_with = None
    [payout] = run_at(21, batch="b3")
    assert payout.state == Payout.State.SENT
    keys = {t["key"] for t in fake_stripe.transfers_made()}
    assert keys == {payout.idempotency_key}
    assert Payout.objects.count() == 1  # nothing left to add to batch b3


def test_a_refused_transfer_returns_the_amount_to_the_payable(fake_stripe, buyer, onboarded):
    earn(buyer, onboarded, 2_000_000, key="refused")
    fake_stripe.fail_transfers_with = (
        400,
        {"error": {"type": "invalid_request_error", "message": "Insufficient funds in balance"}},
    )
    [payout] = run_at(20, batch="b4")
    assert payout.state == Payout.State.FAILED
    assert "Insufficient funds" in payout.error
    assert payable_of(onboarded).balance_micros == 2_000_000
    assert platform(AccountKind.PAYOUTS_IN_TRANSIT).balance_micros == 0


def test_a_reversed_transfer_returns_to_the_payable_once(fake_stripe, buyer, onboarded, deliver):
    earn(buyer, onboarded, 3_000_000, key="rev")
    [payout] = run_at(20, batch="b5")
    transfer = stripe_object("transfer", id=payout.stripe_transfer_id, amount=300,
                             amount_reversed=100, reversed=False)  # fmt: skip
    deliver(event("transfer.reversed", transfer))
    deliver(event("transfer.reversed", transfer))
    assert payable_of(onboarded).balance_micros == 1_000_000
    full = {**transfer, "amount_reversed": 300, "reversed": True}
    deliver(event("transfer.reversed", full))
    payout.refresh_from_db()
    assert payout.state == Payout.State.REVERSED
    assert payable_of(onboarded).balance_micros == 3_000_000


def test_a_sent_payout_is_told_to_the_rights_holder_on_the_site_and_by_email(
    fake_stripe, buyer, onboarded, settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    from marketplace.models import Notification

    settings.PAYOUT_HOLD_DAYS = 14
    earn(buyer, onboarded, 2_500_000, key="told")
    with django_capture_on_commit_callbacks(execute=True):
        run_at(15, batch="2030-02-01")
    [notice] = Notification.objects.filter(user=onboarded)
    assert notice.kind == "payout_sent"
    assert "We sent you $2.50" in notice.message
    assert mail.outbox[-1].to == [onboarded.email]
    assert "payout of $2.50" in mail.outbox[-1].subject
