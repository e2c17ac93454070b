"""Races between real transactions on PostgreSQL: many downloads paid from one wallet."""

import pytest
from django.db.models import Sum

from billing.errors import InsufficientFunds
from billing.ledger import payable_of, platform, wallet_of
from billing.models import AccountKind, LedgerTransaction, Posting, TransactionKind
from billing.services import ChargeItem, charge_downloads
from marketplace.models import Role
from tests.billing.conftest import fund
from tests.threads import in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_concurrent_charges_succeed_exactly_as_far_as_the_wallet_covers(make_user):
    buyer = make_user("racer")
    artists = [make_user(f"artist{n}", role=Role.RIGHTS_HOLDER) for n in range(3)]
    price, fee = 99_000, 1_000
    fund(buyer, 17 * (price + fee) + 500)  # covers 17 downloads, with change

    def buy(i):
        # Several artists per charge, so each transaction locks several accounts.
        item = ChargeItem(f"asset:{i}", artists[i % 3].pk, price)
        return charge_downloads(buyer=buyer, items=[item], idempotency_key=f"race-{i}")

    results = in_threads(50, buy)
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, InsufficientFunds)
    ]
    assert not unexpected, unexpected
    succeeded = [r for r in results if isinstance(r, LedgerTransaction)]
    assert len(succeeded) == 17
    assert wallet_of(buyer).balance_micros == 500
    assert sum(payable_of(a).balance_micros for a in artists) == 17 * price
    assert platform(AccountKind.PLATFORM_REVENUE).balance_micros == 17 * fee
    assert LedgerTransaction.objects.filter(kind=TransactionKind.DOWNLOAD).count() == 17
    assert Posting.objects.aggregate(total=Sum("amount_micros"))["total"] == 0


def test_the_same_charge_sent_concurrently_is_written_once(make_user):
    buyer, artist = make_user("twice"), make_user("paid", role=Role.RIGHTS_HOLDER)
    fund(buyer, 1_000_000)
    item = ChargeItem("asset:1", artist.pk, 10_000)

    results = in_threads(
        8, lambda i: charge_downloads(buyer=buyer, items=[item], idempotency_key="one-click")
    )
    assert len({r.pk for r in results}) == 1, results
    assert wallet_of(buyer).balance_micros == 1_000_000 - 11_000
