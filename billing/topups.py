"""Wallet top-ups through Checkout, and what card refunds and disputes take back.

The wallet is credited only when Stripe confirms the payment. Refunds and disputes are kept
as running totals per payment (`CardCharge`), and the ledger is brought up to those totals:
the same events in any order, or twice, post the same amounts."""

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing.errors import WalletFrozen
from billing.gateway import Redirect, gateway
from billing.ledger import Line, accounts_lock, platform, transaction_post, wallet_of
from billing.models import AccountKind, CardCharge, Posting, TopUp, TransactionKind
from common.errors import DomainError
from common.money import MICROS_PER_CENT, micros_from_cents, usd, usd_text

log = logging.getLogger(__name__)


class InvalidAmount(DomainError):
    code = "invalid_amount"


def top_up_amount_check(amount_micros: int) -> None:
    allowed = settings.TOP_UP_AMOUNTS_MICROS
    low, high = settings.TOP_UP_MIN_MICROS, settings.TOP_UP_MAX_MICROS
    if allowed and amount_micros not in allowed:
        choices = ", ".join(usd(a) for a in allowed)
        raise InvalidAmount(
            f"Top-ups come in fixed amounts: USD {choices}.",
            fields={"amount_usd": [f"Choose one of: {choices}."]},
        )
    if amount_micros % MICROS_PER_CENT or not low <= amount_micros <= high:
        message = f"A top-up is whole cents between USD {usd(low)} and USD {usd(high)}."
        raise InvalidAmount(message, fields={"amount_usd": [message]})


def top_up_start(
    *, buyer, amount_micros: int, return_url: str = "", cancel_url: str = ""
) -> tuple[TopUp, Redirect]:
    """Open a Checkout page for a wallet top-up; nothing is credited until it is paid. The
    page sends the buyer back to `return_url` when paid and to `cancel_url` when left (the
    settings' addresses when not given)."""
    top_up_amount_check(amount_micros)
    if wallet_of(buyer).frozen:
        raise WalletFrozen("This wallet is frozen; contact support before topping it up.")
    payments = gateway()
    redirect = payments.checkout_top_up(
        user_id=buyer.pk,
        email=buyer.email,
        cents=amount_micros // MICROS_PER_CENT,
        success_url=return_url or settings.BILLING_SUCCESS_URL,
        cancel_url=cancel_url or return_url or settings.BILLING_CANCEL_URL,
    )
    top_up = TopUp.objects.create(
        buyer=buyer,
        amount_micros=amount_micros,
        checkout_session_id=redirect.id,
        sandbox=payments.sandbox,
    )
    return top_up, redirect


def top_up_paid(session: dict) -> None:
    """Credit the wallet for a paid Checkout Session (once, whatever the retries)."""
    if session.get("payment_status") != "paid":
        return
    with transaction.atomic():
        top_up = (
            TopUp.objects.select_for_update()
            .filter(checkout_session_id=session["id"])
            .select_related("buyer")
            .first()
        )
        if top_up is None:
            log.warning("Paid Checkout Session %s is not a top-up we started", session["id"])
            return
        if top_up.state != TopUp.State.PAID:
            # What Stripe collected is what the buyer paid, whatever we asked for.
            if session.get("amount_total") is not None:
                top_up.amount_micros = micros_from_cents(session["amount_total"])
            top_up.state = TopUp.State.PAID
            top_up.payment_intent_id = session.get("payment_intent") or None
            top_up.paid_at = timezone.now()
            top_up.save()
        transaction_post(
            kind=TransactionKind.TOP_UP,
            idempotency_key=f"top-up:{top_up.checkout_session_id}",
            lines=[
                Line(platform(AccountKind.STRIPE_CLEARING), -top_up.amount_micros),
                Line(wallet_of(top_up.buyer), top_up.amount_micros, top_up.checkout_session_id),
            ],
            memo=f"Wallet top-up of {usd_text(top_up.amount_micros)}",
        )
        if top_up.payment_intent_id:
            _charge_sync(top_up.payment_intent_id)


def top_up_expired(session: dict) -> None:
    TopUp.objects.filter(checkout_session_id=session["id"], state=TopUp.State.OPEN).update(
        state=TopUp.State.EXPIRED
    )


def card_charge_update(
    *, payment_intent_id: str, refunded_cents: int | None = None, disputed_cents: int | None = None
) -> None:
    """Record Stripe's latest totals for a payment and post whatever they add."""
    if not payment_intent_id:
        return
    with transaction.atomic():
        CardCharge.objects.get_or_create(payment_intent_id=payment_intent_id)
        charge = CardCharge.objects.select_for_update().get(payment_intent_id=payment_intent_id)
        if refunded_cents is not None:
            charge.refunded_micros = max(charge.refunded_micros, micros_from_cents(refunded_cents))
        if disputed_cents is not None:
            charge.disputed_micros = max(charge.disputed_micros, micros_from_cents(disputed_cents))
        charge.save()
        _charge_sync(payment_intent_id)


def _charge_sync(payment_intent_id: str) -> None:
    """Bring the ledger up to the recorded refund and dispute totals of a paid top-up."""
    top_up = (
        TopUp.objects.filter(payment_intent_id=payment_intent_id, state=TopUp.State.PAID)
        .select_related("buyer")
        .first()
    )
    charge = CardCharge.objects.filter(payment_intent_id=payment_intent_id).first()
    if top_up is None or charge is None:
        return  # the other half has not arrived yet; it will sync when it does
    clearing = platform(AccountKind.STRIPE_CLEARING)
    for kind, total in (
        (TransactionKind.CARD_REFUND, charge.refunded_micros),
        (TransactionKind.DISPUTE, charge.disputed_micros),
    ):
        posted = (
            Posting.objects.filter(
                account=clearing, reference=payment_intent_id, transaction__kind=kind
            ).aggregate(total=Sum("amount_micros"))["total"]
            or 0
        )
        if total > posted:
            _take_back(top_up, kind, total, total - posted)


def _take_back(top_up: TopUp, kind: str, total: int, amount: int) -> None:
    """Debit the wallet for money returned to the card. What the wallet no longer holds (it
    was spent on downloads) is the platform's loss, and the wallet is frozen."""
    wallet = wallet_of(top_up.buyer)
    wallet = accounts_lock([wallet.pk])[wallet.pk]
    from_wallet = min(amount, wallet.balance_micros)
    shortfall = amount - from_wallet
    what = "refund" if kind == TransactionKind.CARD_REFUND else "dispute"
    pi = top_up.payment_intent_id
    lines = [Line(platform(AccountKind.STRIPE_CLEARING), amount, pi)]
    if from_wallet:
        lines.append(Line(wallet, -from_wallet, pi))
    if shortfall:
        lines.append(Line(platform(AccountKind.REFUNDS), -shortfall, pi))
    transaction_post(
        kind=kind,
        idempotency_key=f"{kind}:{pi}:{total}",
        lines=lines,
        memo=f"Card {what} of {usd_text(amount)} on top-up {top_up.checkout_session_id}"
        + (f"; USD {usd(shortfall)} was already spent" if shortfall else ""),
    )
    if shortfall and not wallet.frozen:
        wallet.frozen = True
        wallet.frozen_reason = (
            f"A card {what} of USD {usd(amount)} exceeded the wallet by USD {usd(shortfall)} "
            f"on {datetime.now(UTC):%Y-%m-%d}."
        )
        wallet.save(update_fields=["frozen", "frozen_reason"])
