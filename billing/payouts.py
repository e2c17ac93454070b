"""Payouts to rights holders: batched Stripe Transfers in whole cents.

A payout is posted to the ledger (payable -> payouts in transit) and committed before the
transfer is asked for, under an idempotency key fixed by the batch and the rights holder:
a crash or retry anywhere sends the same transfer again, which Stripe answers with the one
it already made. The sub-cent remainder and earnings still on hold stay in the payable."""

import logging
from datetime import timedelta

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing.gateway import gateway
from billing.ledger import Line, accounts_lock, payable_of, platform, transaction_post
from billing.models import AccountKind, ConnectAccount, Payout, Posting, TransactionKind
from billing.signals import payout_sent
from common.money import MICROS_PER_CENT, cents_from_micros, micros_from_cents, usd_text

log = logging.getLogger(__name__)


def available_micros(rights_holder, *, now=None) -> int:
    """The payable balance less earnings younger than the hold period."""
    now = now or timezone.now()
    payable = payable_of(rights_holder)
    on_hold = (
        Posting.objects.filter(
            account=payable,
            amount_micros__gt=0,
            transaction__kind=TransactionKind.DOWNLOAD,
            transaction__created_at__gt=now - timedelta(days=settings.PAYOUT_HOLD_DAYS),
        ).aggregate(total=Sum("amount_micros"))["total"]
        or 0
    )
    return payable.balance_micros - on_hold


def payout_prepare(*, rights_holder, batch: str, now=None) -> Payout | None:
    """Post this batch's payout for one rights holder, if their available earnings reach
    the minimum. Returns the existing payout when the batch already has one."""
    with transaction.atomic():
        payable = payable_of(rights_holder)
        accounts_lock([payable.pk])
        existing = Payout.objects.filter(batch=batch, rights_holder=rights_holder).first()
        if existing:
            return existing
        amount = available_micros(rights_holder, now=now)
        amount -= amount % MICROS_PER_CENT  # whole cents; the rest is carried forward
        if amount < settings.PAYOUT_MINIMUM_MICROS:
            return None
        payout = Payout.objects.create(
            rights_holder=rights_holder,
            batch=batch,
            amount_micros=amount,
            idempotency_key=f"payout:{batch}:{rights_holder.pk}",
        )
        transaction_post(
            kind=TransactionKind.PAYOUT,
            idempotency_key=payout.idempotency_key,
            lines=[
                Line(payable, -amount, f"payout:{payout.pk}"),
                Line(platform(AccountKind.PAYOUTS_IN_TRANSIT), amount, f"payout:{payout.pk}"),
            ],
            memo=f"Payout {batch} of {usd_text(amount)}",
        )
        return payout


def payout_send(payout: Payout) -> Payout:
    """Ask Stripe for the transfer. A refusal returns the amount to the payable; a network
    failure leaves the payout pending for the next run, which retries with the same key."""
    if payout.state != Payout.State.PENDING:
        return payout
    account = ConnectAccount.objects.get(rights_holder_id=payout.rights_holder_id)
    try:
        transfer_id = gateway().transfer(
            cents=cents_from_micros(payout.amount_micros),
            destination=account.stripe_account_id,
            idempotency_key=payout.idempotency_key,
            metadata={"batch": payout.batch, "payout": str(payout.pk)},
        )
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
        log.warning("Payout %s left pending: %s", payout.pk, error)
        return payout
    except stripe.StripeError as error:
        return _payout_failed(payout, error.user_message or str(error))
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.state == Payout.State.PENDING:
            payout.state, payout.stripe_transfer_id = Payout.State.SENT, transfer_id
            payout.save()
            transaction_post(
                kind=TransactionKind.PAYOUT_SENT,
                idempotency_key=f"{payout.idempotency_key}:sent",
                lines=[
                    Line(platform(AccountKind.PAYOUTS_IN_TRANSIT), -payout.amount_micros),
                    Line(platform(AccountKind.STRIPE_CLEARING), payout.amount_micros),
                ],
                memo=f"Transfer {transfer_id} sent",
            )
            sent = payout
            transaction.on_commit(
                lambda: payout_sent.send(
                    sender=Payout,
                    payout_id=sent.pk,
                    rights_holder_id=sent.rights_holder_id,
                    amount_micros=sent.amount_micros,
                    batch=sent.batch,
                )
            )
    return payout


def _payout_failed(payout: Payout, error: str) -> Payout:
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.state != Payout.State.PENDING:
            return payout
        payout.state, payout.error = Payout.State.FAILED, error[:500]
        payout.save()
        transaction_post(
            kind=TransactionKind.PAYOUT_REVERSAL,
            idempotency_key=f"{payout.idempotency_key}:failed",
            lines=[
                Line(platform(AccountKind.PAYOUTS_IN_TRANSIT), -payout.amount_micros),
                Line(payable_of(payout.rights_holder), payout.amount_micros, f"payout:{payout.pk}"),
            ],
            memo=f"Payout {payout.batch} refused by Stripe: {error}",
        )
        return payout


@transaction.atomic
def transfer_reversed(event: dict) -> None:
    """transfer.reversed: money that came back from the artist's account returns to their
    payable, up to Stripe's running total of reversals."""
    transfer = event["data"]["object"]
    payout = Payout.objects.select_for_update().filter(stripe_transfer_id=transfer["id"]).first()
    if payout is None:
        log.warning("Reversed transfer %s is not one of our payouts", transfer["id"])
        return
    total = min(micros_from_cents(transfer.get("amount_reversed") or 0), payout.amount_micros)
    if total <= payout.reversed_micros:
        return
    transaction_post(
        kind=TransactionKind.PAYOUT_REVERSAL,
        idempotency_key=f"{payout.idempotency_key}:reversed:{total}",
        lines=[
            Line(platform(AccountKind.STRIPE_CLEARING), -(total - payout.reversed_micros)),
            Line(
                payable_of(payout.rights_holder),
                total - payout.reversed_micros,
                f"payout:{payout.pk}",
            ),
        ],
        memo=f"Transfer {transfer['id']} reversed: {usd_text(total)} in all",
    )
    payout.reversed_micros = total
    if total == payout.amount_micros:
        payout.state = Payout.State.REVERSED
    payout.save()


def payouts_run(*, batch: str | None = None, now=None) -> list[Payout]:
    """Post and send this batch's payouts to every rights holder Stripe can pay, and retry
    the transfers of earlier batches still pending."""
    now = now or timezone.now()
    batch = batch or now.strftime("%Y-%m-%d")
    holders = ConnectAccount.objects.filter(payouts_enabled=True).select_related("rights_holder")
    for account in holders:
        payout_prepare(rights_holder=account.rights_holder, batch=batch, now=now)
    pending = Payout.objects.filter(
        state=Payout.State.PENDING, rights_holder__connect_account__payouts_enabled=True
    ).order_by("pk")
    return [payout_send(payout) for payout in pending]
