"""Checks that the ledger holds together, and that it agrees with Stripe."""

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import ngettext

from billing.gateway import stripe_client
from billing.models import (
    Account,
    AccountKind,
    ConnectAccount,
    LedgerTransaction,
    Payout,
    TopUp,
    TransactionKind,
)
from common.money import micros_from_cents, usd


def ledger_differences() -> Iterator[str]:
    """Every way the ledger breaks its own rules, one line each."""
    unbalanced = LedgerTransaction.objects.annotate(
        total=Sum("postings__amount_micros"), lines=Count("postings")
    ).filter(~Q(total=0) | Q(lines=0))
    for entry in unbalanced:
        yield (
            f"transaction {entry.pk} ({entry.idempotency_key}): postings sum to "
            f"{entry.total or 0} over "
            + ngettext("%(n)d line", "%(n)d lines", entry.lines) % {"n": entry.lines}
            + ", not zero"
        )
    drifted = Account.objects.annotate(posted=Sum("postings__amount_micros")).exclude(
        balance_micros=F("posted")
    )
    for account in drifted:
        if (account.posted or 0) != account.balance_micros:
            yield (
                f"account {account.pk} ({account}): cached balance {account.balance_micros} "
                f"but postings sum to {account.posted or 0}"
            )
    for account in Account.objects.filter(kind=AccountKind.WALLET, balance_micros__lt=0):
        yield f"account {account.pk} ({account}): wallet below zero"
    credited = set(
        LedgerTransaction.objects.filter(kind=TransactionKind.TOP_UP).values_list(
            "idempotency_key", flat=True
        )
    )
    for top_up in TopUp.objects.filter(state=TopUp.State.PAID):
        if f"top-up:{top_up.checkout_session_id}" not in credited:
            yield f"top-up {top_up.checkout_session_id}: paid but never credited"
    keys = set(
        LedgerTransaction.objects.filter(idempotency_key__startswith="payout:").values_list(
            "idempotency_key", flat=True
        )
    )
    expected = {
        Payout.State.PENDING: [""],
        Payout.State.SENT: ["", ":sent"],
        Payout.State.FAILED: ["", ":failed"],
        Payout.State.REVERSED: ["", ":sent"],
    }
    for payout in Payout.objects.all():
        for suffix in expected[payout.state]:
            if payout.idempotency_key + suffix not in keys:
                yield f"payout {payout.pk} ({payout.state}): no `{suffix or 'payout'}` posting"


def stripe_differences(*, days: int) -> Iterator[str]:
    """Compare recent top-ups, payouts and Connect accounts with what Stripe holds."""
    client = stripe_client()
    since = timezone.now() - timedelta(days=days)
    for top_up in TopUp.objects.filter(created_at__gte=since, sandbox=False):
        session = client.v1.checkout.sessions.retrieve(top_up.checkout_session_id)
        paid = session.payment_status == "paid"
        if paid != (top_up.state == TopUp.State.PAID):
            yield (
                f"top-up {top_up.checkout_session_id}: Stripe says payment_status="
                f"{session.payment_status}, we say {top_up.state}"
            )
        elif paid and micros_from_cents(session.amount_total) != top_up.amount_micros:
            yield (
                f"top-up {top_up.checkout_session_id}: Stripe collected USD "
                f"{usd(micros_from_cents(session.amount_total))}, we credited USD "
                f"{usd(top_up.amount_micros)}"
            )
    for payout in Payout.objects.filter(created_at__gte=since).exclude(stripe_transfer_id=""):
        transfer = client.v1.transfers.retrieve(payout.stripe_transfer_id)
        if micros_from_cents(transfer.amount) != payout.amount_micros:
            yield (
                f"payout {payout.pk}: transfer {transfer.id} is USD "
                f"{usd(micros_from_cents(transfer.amount))}, we posted USD "
                f"{usd(payout.amount_micros)}"
            )
        if micros_from_cents(transfer.amount_reversed or 0) != payout.reversed_micros:
            yield (
                f"payout {payout.pk}: Stripe reversed USD "
                f"{usd(micros_from_cents(transfer.amount_reversed or 0))}, we recorded USD "
                f"{usd(payout.reversed_micros)}"
            )
    for account in ConnectAccount.objects.all():
        remote = client.v1.accounts.retrieve(account.stripe_account_id)
        if bool(remote.payouts_enabled) != account.payouts_enabled:
            yield (
                f"connect account {account.stripe_account_id}: Stripe says payouts_enabled="
                f"{remote.payouts_enabled}, we say {account.payouts_enabled}"
            )
