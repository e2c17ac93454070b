"""Reading the ledger: wallets, statements and earnings."""

from datetime import datetime

from django.db.models import Count, QuerySet, Sum

from billing.ledger import payable_of, wallet_of
from billing.models import Payout, Posting, TransactionKind


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
