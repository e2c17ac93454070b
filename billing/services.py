"""Billing's public writes: what other apps may ask billing to do. Defined here: pricing
and paying for downloads (billing knows who pays, who is paid, how much and why, not what
an asset is: the marketplace passes each paid grant as a `ChargeItem` of plain values);
the others in the billing module named beside them. Other apps use these (and billing's
selectors and models), never billing's other modules (enforced in `make lint`)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import ngettext

from billing.connect import connect_onboarding_url
from billing.errors import InsufficientFunds, WalletFrozen
from billing.ledger import (
    Line,
    accounts_for,
    in_transaction,
    platform,
    transaction_post,
    wallet_of,
)
from billing.models import Account, AccountKind, LedgerTransaction, TransactionKind
from billing.quota import QuotaExceeded, QuotaStatus, quota_consume, quota_lock
from billing.sandbox import checkout_complete, sandbox_page, sandbox_page_complete
from billing.selectors import platform_fee_micros
from billing.subscriptions import portal_url, subscription_start
from billing.topups import top_up_start
from billing.webhooks import event_receive
from common.money import usd_text
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

__all__ = [
    "ChargeItem",
    "InsufficientFunds",
    "QuotaExceeded",
    "QuotaStatus",
    "Quote",
    "WalletFrozen",
    "accounts_unfreeze",
    "charge_downloads",
    "checkout_complete",
    "connect_onboarding_url",
    "event_receive",
    "portal_url",
    "quota_consume",
    "quota_lock",
    "quote_download",
    "refund_grant",
    "sandbox_page",
    "sandbox_page_complete",
    "subscription_start",
    "top_up_start",
]  # fmt: skip


@dataclass(frozen=True)
class ChargeItem:
    """One paid download: `reference` names it (e.g. `grant:42`), `payee_id` is the rights
    holder (user id) credited `price_micros`; the platform fee comes on top."""

    reference: str
    payee_id: int
    price_micros: int


@dataclass(frozen=True)
class Quote:
    price_micros: int
    fee_micros: int
    total_micros: int
    wallet_micros: int

    @property
    def shortfall_micros(self) -> int:
        return max(0, self.total_micros - self.wallet_micros)


def quote_download(*, buyer, items: list[ChargeItem]) -> Quote:
    """What these paid downloads would cost the buyer, beside what the wallet holds."""
    price = sum(item.price_micros for item in items)
    fee = platform_fee_micros() * len(items)
    return Quote(price, fee, price + fee, wallet_of(buyer).balance_micros)


def _charge_lines(wallet, accounts, items: list[ChargeItem], fee_each: int) -> list[Line]:
    total = sum(item.price_micros for item in items) + fee_each * len(items)
    lines = [Line(wallet, -total)]
    lines += [
        Line(accounts[(AccountKind.PAYABLE, item.payee_id)], item.price_micros, item.reference)
        for item in items
        if item.price_micros
    ]
    if fee_each:
        revenue = accounts[(AccountKind.PLATFORM_REVENUE, None)]
        lines.append(Line(revenue, fee_each * len(items)))
    return lines


def charge_downloads(
    *, buyer, items: list[ChargeItem], idempotency_key: str
) -> LedgerTransaction | None:
    """Debit the buyer's wallet for these downloads, crediting each artist their price and
    the platform its fee, in one transaction. Call inside the caller's transaction so the
    grants and the charge commit together. Returns None when there is nothing to pay;
    otherwise the transaction, with `wallet_micros`: the wallet's balance after it."""
    for item in items:
        if item.price_micros < 0:
            raise ValueError(f"{item.reference}: a price cannot be negative")
    fee_each = platform_fee_micros()
    if not items or (fee_each == 0 and not any(item.price_micros for item in items)):
        return None
    with in_transaction():  # the locks must last until the postings
        accounts = accounts_for(
            [(AccountKind.WALLET, buyer.pk), (AccountKind.PLATFORM_REVENUE, None)]
            + [(AccountKind.PAYABLE, item.payee_id) for item in items if item.price_micros],
            lock_people=True,  # transaction_post need not read them again
        )
        wallet = accounts[(AccountKind.WALLET, buyer.pk)]
        if wallet.frozen:
            raise WalletFrozen(
                "This wallet is frozen after a card refund or dispute; contact support to "
                f"lift it. ({wallet.frozen_reason})"
            )
        count = len(items)
        entry = transaction_post(
            kind=TransactionKind.DOWNLOAD,
            idempotency_key=idempotency_key,
            lines=_charge_lines(wallet, accounts, items, fee_each),
            memo=ngettext("%(n)d paid download", "%(n)d paid downloads", count) % {"n": count},
            locked={a.pk: a for a in accounts.values() if a.owner_id is not None},
        )
    # Saves the caller a query; None when the key was written before (a replay).
    entry.wallet_micros = getattr(entry, "balances_after", {}).get(wallet.pk)
    return entry


@transaction.atomic
def accounts_unfreeze(*, account_ids: list[int], staff, note: str = "") -> list[int]:
    """Lift the freeze on these wallets (staff, once a refund or dispute is settled), each
    an audit-log event naming the staff member, the reason it was frozen and their note.
    Returns the ones that were frozen; the others are left as they are."""
    frozen = list(
        Account.objects.select_for_update().filter(pk__in=account_ids, frozen=True).order_by("pk")
    )
    Account.objects.filter(pk__in=[a.pk for a in frozen]).update(frozen=False, frozen_reason="")
    events_append(
        ProvenanceEvent(
            kind=EventKind.STAFF_WALLET_UNFROZEN, actor=staff.get_username(),
            data={"account_id": a.pk, "owner_id": a.owner_id, "was_frozen_for": a.frozen_reason,
                  "note": note.strip()},
        )
        for a in frozen
    )  # fmt: skip
    return [a.pk for a in frozen]


@transaction.atomic
def refund_grant(
    *, buyer, item: ChargeItem, fee_micros: int, idempotency_key: str, reason: str
) -> LedgerTransaction:
    """Give the buyer back what one download cost: the artist's price and the fee return to
    the wallet. `fee_micros` is the fee recorded when it was bought."""
    lines = [Line(wallet_of(buyer), item.price_micros + fee_micros, item.reference)]
    if item.price_micros:
        key = (AccountKind.PAYABLE, item.payee_id)
        lines.append(Line(accounts_for([key])[key], -item.price_micros, item.reference))
    if fee_micros:
        lines.append(Line(platform(AccountKind.PLATFORM_REVENUE), -fee_micros, item.reference))
    return transaction_post(
        kind=TransactionKind.GRANT_REFUND,
        idempotency_key=idempotency_key,
        lines=lines,
        memo=f"Refund of {item.reference} ({usd_text(item.price_micros + fee_micros)}): {reason}",
    )


# --- what the buyers' pages start on Stripe's (or the sandbox's) hosted pages -------------


def wallet_top_up_start(*, buyer, amount_micros: int, return_url: str, cancel_url: str = ""):
    """A Checkout page for a wallet top-up that brings the buyer back to `return_url`.
    Returns (top_up, redirect); the wallet is credited once the payment is confirmed."""
    return top_up_start(
        buyer=buyer, amount_micros=amount_micros, return_url=return_url, cancel_url=cancel_url
    )


def curation_checkout_start(*, buyer, return_url: str, cancel_url: str = ""):
    """A Checkout page for the Curation plan that brings the buyer back to `return_url`."""
    return subscription_start(buyer=buyer, return_url=return_url, cancel_url=cancel_url)


def curation_portal_url(*, buyer, return_url: str) -> str:
    """The customer portal (card, cancellation), coming back to `return_url`."""
    return portal_url(buyer=buyer, return_url=return_url)
