import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from billing.errors import IdempotencyConflict, InsufficientFunds, WalletFrozen
from billing.ledger import (
    Line,
    UnbalancedTransaction,
    payable_of,
    platform,
    transaction_post,
    wallet_of,
)
from billing.models import Account, AccountKind, LedgerTransaction, Posting, TransactionKind
from billing.services import ChargeItem, charge_downloads, quote_download, refund_grant
from tests.billing.conftest import fund

pytestmark = pytest.mark.django_db


def balances(*users_or_kinds):
    return [
        (wallet_of(x) if not isinstance(x, str) else platform(x)).balance_micros
        for x in users_or_kinds
    ]


def ledger_sum() -> int:
    return sum(Posting.objects.values_list("amount_micros", flat=True))


def test_a_paid_download_credits_the_artist_the_price_and_the_platform_the_fee(buyer, artist):
    fund(buyer, 5_000_000)
    quote = quote_download(buyer=buyer, items=[ChargeItem("asset:1", artist.pk, 250_000)])
    assert (quote.price_micros, quote.fee_micros, quote.total_micros) == (250_000, 1000, 251_000)
    charge_downloads(
        buyer=buyer, items=[ChargeItem("asset:1", artist.pk, 250_000)], idempotency_key="dl-1"
    )
    assert wallet_of(buyer).balance_micros == 5_000_000 - 251_000
    assert payable_of(artist).balance_micros == 250_000
    assert platform(AccountKind.PLATFORM_REVENUE).balance_micros == 1000
    assert ledger_sum() == 0


def test_a_free_opt_in_work_still_costs_the_platform_fee(buyer, artist):
    fund(buyer, 10_000)
    charge_downloads(buyer=buyer, items=[ChargeItem("asset:2", artist.pk, 0)], idempotency_key="k")
    assert wallet_of(buyer).balance_micros == 9_000
    assert payable_of(artist).balance_micros == 0


def test_a_wallet_that_cannot_cover_the_charge_is_refused_with_the_amount_needed(buyer, artist):
    fund(buyer, 100_000)
    items = [ChargeItem("asset:1", artist.pk, 150_000)]
    with pytest.raises(InsufficientFunds) as refused:
        charge_downloads(buyer=buyer, items=items, idempotency_key="too-much")
    assert refused.value.fields["needed_micros"] == ["51000"]
    assert "Top up at least $0.051 more" in refused.value.message
    assert wallet_of(buyer).balance_micros == 100_000
    assert not LedgerTransaction.objects.filter(idempotency_key="too-much").exists()


def test_the_same_key_returns_the_original_and_a_different_charge_under_it_is_refused(
    buyer, artist
):
    fund(buyer, 1_000_000)
    items = [ChargeItem("asset:1", artist.pk, 10_000)]
    first = charge_downloads(buyer=buyer, items=items, idempotency_key="same")
    again = charge_downloads(buyer=buyer, items=items, idempotency_key="same")
    assert again.pk == first.pk
    assert wallet_of(buyer).balance_micros == 1_000_000 - 11_000
    with pytest.raises(IdempotencyConflict):
        charge_downloads(
            buyer=buyer, items=[ChargeItem("asset:1", artist.pk, 20_000)], idempotency_key="same"
        )
    assert wallet_of(buyer).balance_micros == 1_000_000 - 11_000


def test_refunding_a_grant_reverses_exactly_what_it_cost(buyer, artist):
    fund(buyer, 1_000_000)
    item = ChargeItem("asset:9", artist.pk, 40_000)
    charge_downloads(buyer=buyer, items=[item], idempotency_key="buy")
    refund_grant(buyer=buyer, item=item, fee_micros=1000, idempotency_key="refund", reason="dup")
    refund_grant(buyer=buyer, item=item, fee_micros=1000, idempotency_key="refund", reason="dup")
    assert wallet_of(buyer).balance_micros == 1_000_000
    assert payable_of(artist).balance_micros == 0
    assert platform(AccountKind.PLATFORM_REVENUE).balance_micros == 0


def test_a_frozen_wallet_cannot_pay(buyer, artist):
    fund(buyer, 1_000_000)
    Account.objects.filter(pk=wallet_of(buyer).pk).update(frozen=True, frozen_reason="dispute")
    with pytest.raises(WalletFrozen):
        charge_downloads(buyer=buyer, items=[ChargeItem("a", artist.pk, 1)], idempotency_key="f")


def test_unbalanced_or_zero_postings_are_refused_before_writing(buyer):
    wallet = wallet_of(buyer)
    clearing = platform(AccountKind.STRIPE_CLEARING)
    for lines in ([Line(wallet, 5), Line(clearing, -4)], [Line(wallet, 0)], []):
        with pytest.raises(UnbalancedTransaction):
            transaction_post(kind=TransactionKind.TOP_UP, idempotency_key="x", lines=lines)
    assert LedgerTransaction.objects.count() == 0


def test_the_database_refuses_an_unbalanced_transaction_written_around_the_services(buyer):
    entry = LedgerTransaction.objects.create(kind="top_up", idempotency_key="raw", content_hash="")
    with pytest.raises(Exception, match="does not balance"), transaction.atomic():
        Posting.objects.bulk_create(
            [
                Posting(transaction=entry, account=wallet_of(buyer), amount_micros=500),
                Posting(
                    transaction=entry,
                    account=platform(AccountKind.STRIPE_CLEARING),
                    amount_micros=-400,
                ),
            ]
        )


def test_postings_and_transactions_cannot_be_changed_or_deleted(buyer):
    fund(buyer, 1_000)
    posting = Posting.objects.first()
    for statement, row in (
        ("UPDATE billing_posting SET amount_micros = 1 WHERE id = %s", posting.pk),
        ("DELETE FROM billing_posting WHERE id = %s", posting.pk),
        ("UPDATE billing_ledgertransaction SET memo = 'x' WHERE id = %s", posting.transaction_id),
    ):
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [row])
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Posting.objects.filter(pk=posting.pk).delete()
    assert Posting.objects.get(pk=posting.pk).amount_micros == posting.amount_micros


def test_the_database_keeps_wallets_from_going_negative(buyer):
    wallet = wallet_of(buyer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=wallet.pk).update(balance_micros=-1)


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    operations=st.lists(
        st.tuples(
            st.sampled_from(["top_up", "charge", "refund"]),
            st.integers(min_value=0, max_value=3_000_000),
        ),
        max_size=25,
    )
)
def test_any_sequence_of_operations_keeps_the_ledger_exact(buyer, artist, operations):
    """Whatever happens, postings sum to zero, every cached balance equals its postings and
    no wallet goes below zero."""
    bought = []
    run = uuid.uuid4().hex
    for step, (operation, amount) in enumerate(operations):
        key = f"prop-{run}-{step}"
        if operation == "top_up" and amount:
            fund(buyer, amount, key=key)
        elif operation == "charge":
            item = ChargeItem(f"asset:{step}", artist.pk, amount)
            try:
                charge_downloads(buyer=buyer, items=[item], idempotency_key=key)
                bought.append(item)
            except InsufficientFunds:
                pass
        elif operation == "refund" and bought:
            refund_grant(buyer=buyer, item=bought.pop(), fee_micros=1000, idempotency_key=key,
                         reason="test")  # fmt: skip
    assert ledger_sum() == 0
    for account in Account.objects.all():
        posted = sum(account.postings.values_list("amount_micros", flat=True))
        assert account.balance_micros == posted
        if account.kind == AccountKind.WALLET:
            assert account.balance_micros >= 0
    assert (
        wallet_of(buyer).balance_micros
        + payable_of(artist).balance_micros
        + platform(AccountKind.PLATFORM_REVENUE).balance_micros
        == -platform(AccountKind.STRIPE_CLEARING).balance_micros
    )
