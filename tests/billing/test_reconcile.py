"""The reconcile command: the ledger's own rules, and agreement with Stripe."""

import pytest
from django.core.management import call_command
from django.db import connection

from billing.ledger import wallet_of
from billing.models import Account, ConnectAccount, TopUp
from billing.topups import top_up_start
from tests.billing.conftest import fund
from tests.billing.stripe_fake import event, stripe_object

pytestmark = pytest.mark.django_db


def reconcile(capsys, *args) -> tuple[int, str]:
    try:
        call_command("reconcile", *args)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_consistent_ledger_reconciles(fake_stripe, buyer, deliver, capsys):
    top_up, _ = top_up_start(buyer=buyer, amount_micros=25_000_000)
    session = fake_stripe.objects[top_up.checkout_session_id]
    session.update(payment_status="paid", amount_total=2500, payment_intent="pi_9")
    deliver(event("checkout.session.completed", session))
    code, output = reconcile(capsys)
    assert code == 0, output
    assert "no differences" in output


def test_a_drifted_cached_balance_is_reported(sandbox, buyer, capsys):
    fund(buyer, 1_000_000)
    Account.objects.filter(pk=wallet_of(buyer).pk).update(balance_micros=999)
    code, output = reconcile(capsys)
    assert code == 1
    assert "cached balance 999 but postings sum to 1000000" in output


def test_a_tampered_posting_is_reported(sandbox, buyer, capsys):
    fund(buyer, 1_000_000)
    with connection.cursor() as cursor:  # bypass the append-only trigger, as an attacker would
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE billing_posting SET amount_micros = 5 WHERE amount_micros > 0")
        cursor.execute("SET session_replication_role = origin")
    code, output = reconcile(capsys)
    assert code == 1
    assert "postings sum to -999995 over 2 lines, not zero" in output


def test_differences_with_stripe_are_printed(fake_stripe, buyer, artist, capsys):
    top_up, _ = top_up_start(buyer=buyer, amount_micros=25_000_000)
    fake_stripe.objects[top_up.checkout_session_id]["payment_status"] = "paid"
    account = stripe_object("account", id="acct_x", payouts_enabled=True)
    fake_stripe.objects["acct_x"] = account
    ConnectAccount.objects.create(rights_holder=artist, stripe_account_id="acct_x")
    code, output = reconcile(capsys)
    assert code == 1
    assert f"top-up {top_up.checkout_session_id}: Stripe says payment_status=paid" in output
    assert "connect account acct_x: Stripe says payouts_enabled=True" in output
    assert TopUp.objects.get().state == "open"  # reconcile reports; it changes nothing
