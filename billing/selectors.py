"""Billing's public reads: wallets, statements, earnings and payouts from the ledger,
plans, quotas and fees. Some are defined here; the others in the billing module named
beside them. Other apps use these (and billing's services and models), never billing's
other modules (enforced in `make lint`)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from billing.gateway import sandbox_enabled
from billing.ledger import payable_of, wallet_of
from billing.models import ConnectAccount, Payout, Posting, Subscription, TopUp, TransactionKind
from billing.payouts import available_micros
from billing.plans import Plan, curation_plan, free_plan, plan_for
from billing.quota import QuotaStatus, quota_status

__all__ = [
    "HeldEarning", "PayoutOverview", "Plan", "QuotaStatus", "WalletState",
    "available_micros", "buyer_quota", "earnings_by_work", "has_subscription",
    "payable_balance", "payable_of", "payments_sandboxed", "payout_overview", "payouts_of",
    "plan_choices", "plan_for", "platform_fee_micros", "quota_status", "sandbox_enabled",
    "top_up_amounts", "top_ups_recent", "wallet_balance", "wallet_of", "wallet_state",
    "wallet_statement",
]  # fmt: skip


def wallet_balance(buyer) -> int:
    return wallet_of(buyer).balance_micros


def _window(postings: QuerySet, since: datetime | None, until: datetime | None) -> QuerySet:
    if since:
        postings = postings.filter(transaction__created_at__gte=since)
    if until:
        postings = postings.filter(transaction__created_at__lt=until)
    return postings


def wallet_statement(buyer, *, since=None, until=None) -> QuerySet:
    """Every movement of the buyer's wallet, newest first: top-ups, downloads, refunds."""
    postings = Posting.objects.filter(account=wallet_of(buyer)).select_related("transaction")
    return _window(postings, since, until).order_by("-transaction__created_at", "-id")


def earnings_by_work(rights_holder, *, since=None, until=None) -> list[dict]:
    """Per work (the reference the marketplace charged under): paid downloads, refunds and
    the net earned."""
    postings = Posting.objects.filter(
        account=payable_of(rights_holder),
        transaction__kind__in=(TransactionKind.DOWNLOAD, TransactionKind.GRANT_REFUND),
    )
    rows = (
        _window(postings, since, until)
        .values("reference")
        .annotate(net_micros=Sum("amount_micros"), postings=Count("id"))
        .order_by("reference")
    )
    return list(rows)


def payouts_of(rights_holder, *, since=None, until=None) -> QuerySet:
    payouts = Payout.objects.filter(rights_holder=rights_holder)
    if since:
        payouts = payouts.filter(created_at__gte=since)
    if until:
        payouts = payouts.filter(created_at__lt=until)
    return payouts.order_by("-created_at", "-id")


def payable_balance(rights_holder) -> int:
    return payable_of(rights_holder).balance_micros


@dataclass(frozen=True)
class HeldEarning:
    release_on: date  # goes into the first payout run on or after this day
    micros: int


@dataclass(frozen=True)
class PayoutOverview:
    payouts_enabled: bool
    onboarding_started: bool
    balance_micros: int  # earned and not yet paid out
    available_micros: int  # past the hold period: goes out in the next payout
    held: list[HeldEarning]  # the rest, by the day it is released
    minimum_micros: int
    payouts: list[Payout]


def payout_overview(rights_holder, *, now=None, recent: int = 20) -> PayoutOverview:
    """What a rights holder's payouts page shows: readiness, balance, what is held and
    until when, and the latest payouts."""
    now = now or timezone.now()
    account = ConnectAccount.objects.filter(rights_holder=rights_holder).first()
    held_rows = (
        Posting.objects.filter(
            account=payable_of(rights_holder),
            amount_micros__gt=0,
            transaction__kind=TransactionKind.DOWNLOAD,
            transaction__created_at__gt=now - timedelta(days=settings.PAYOUT_HOLD_DAYS),
        )
        .annotate(day=TruncDate("transaction__created_at"))
        .values("day")
        .annotate(micros=Sum("amount_micros"))
        .order_by("day")
    )
    hold = timedelta(days=settings.PAYOUT_HOLD_DAYS)
    return PayoutOverview(
        payouts_enabled=bool(account and account.payouts_enabled),
        onboarding_started=account is not None,
        balance_micros=payable_balance(rights_holder),
        available_micros=max(0, available_micros(rights_holder, now=now)),
        held=[HeldEarning(row["day"] + hold, row["micros"]) for row in held_rows],
        minimum_micros=settings.PAYOUT_MINIMUM_MICROS,
        payouts=list(payouts_of(rights_holder)[:recent]),
    )


def platform_fee_micros() -> int:
    """The platform's fee on each paid download."""
    return settings.PLATFORM_FEE_MICROS


# --- a buyer's wallet, plan and quota, as their pages show them ---------------------------


@dataclass(frozen=True)
class WalletState:
    balance_micros: int
    frozen: bool
    frozen_reason: str


def wallet_state(buyer) -> WalletState:
    wallet = wallet_of(buyer)
    return WalletState(wallet.balance_micros, wallet.frozen, wallet.frozen_reason)


def buyer_quota(buyer) -> QuotaStatus:
    """The plan the buyer is on now, its quota period and the downloads counted in it."""
    return quota_status(buyer)


def plan_choices() -> tuple[Plan, Plan]:
    """The plans a buyer can be on: Free and Curation."""
    return free_plan(), curation_plan()


def has_subscription(buyer) -> bool:
    """Whether the buyer has a Stripe customer for the Curation plan (the portal needs one)."""
    return Subscription.objects.filter(buyer=buyer).exclude(status="").exists()


def top_ups_recent(buyer, *, limit: int = 5) -> list[TopUp]:
    return list(TopUp.objects.filter(buyer=buyer).order_by("-created_at", "-id")[:limit])


def top_up_amounts() -> list[int]:
    """The top-up amounts offered (micro-USD); empty: any whole-cent amount in range."""
    return list(settings.TOP_UP_AMOUNTS_MICROS)


def payments_sandboxed() -> bool:
    """Payments go to the local sandbox gateway (the demo), not Stripe."""
    return sandbox_enabled()
