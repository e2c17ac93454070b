"""The ledger's one write path: balanced postings under a unique idempotency key.

Every money movement goes through `transaction_post`. It locks the people's accounts it
moves (wallets, payables) in primary-key order, refuses a wallet overdraft, and keeps each
account's cached balance equal to the sum of its postings in the same database transaction.
The platform's own accounts (revenue, clearing ...) are shared by every transaction, so they
are updated last, in primary-key order: always after the people's accounts, which keeps the
lock order the same everywhere (no deadlocks) and holds these busy rows for the shortest
time. Callers post as late as they can in their own transaction for the same reason."""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Case, F, Q, Value, When
from django.db.models.functions import Cast

from billing.errors import IdempotencyConflict, InsufficientFunds
from billing.models import Account, AccountKind, LedgerTransaction, Posting
from billing.money import usd


@dataclass(frozen=True)
class Line:
    """One posting to write: a signed amount on an account, with what it is for."""

    account: Account
    amount_micros: int
    reference: str = ""


class UnbalancedTransaction(ValueError):
    """A programming error: postings must sum to zero and none may be zero."""


def accounts_for(wanted: Iterable[tuple[str, int | None]]) -> dict[tuple[str, int | None], Account]:
    """The accounts of these (kind, owner id) pairs, opened on first use, in two queries at
    most (plus one to open missing ones). Not locked: `transaction_post` locks."""
    wanted = set(wanted)
    match = Q(pk__in=[])
    for kind, owner_id in wanted:
        match |= Q(kind=kind, owner_id=owner_id) if owner_id else Q(kind=kind, owner__isnull=True)
    found = {(a.kind, a.owner_id): a for a in Account.objects.filter(match)}
    if missing := wanted - found.keys():
        # ignore_conflicts: an account opened concurrently by another request is fine.
        Account.objects.bulk_create(
            [Account(kind=kind, owner_id=owner_id) for kind, owner_id in missing],
            ignore_conflicts=True,
        )
        found = {(a.kind, a.owner_id): a for a in Account.objects.filter(match)}
    return found


def account_for(kind: str, owner=None) -> Account:
    """The account of this kind (for this owner), opened on first use."""
    key = (kind, owner.pk if owner is not None else None)
    return accounts_for([key])[key]


def wallet_of(buyer) -> Account:
    return account_for(AccountKind.WALLET, buyer)


def payable_of(rights_holder) -> Account:
    return account_for(AccountKind.PAYABLE, rights_holder)


def platform(kind: str) -> Account:
    return account_for(kind)


def _content_hash(kind: str, lines: list[Line]) -> str:
    content = sorted((line.account.pk, line.amount_micros, line.reference) for line in lines)
    return hashlib.sha256(json.dumps([kind, content]).encode()).hexdigest()


def _check_balanced(lines: list[Line]) -> None:
    if not lines:
        raise UnbalancedTransaction("a transaction needs postings")
    if any(line.amount_micros == 0 for line in lines):
        raise UnbalancedTransaction("a posting of zero explains nothing")
    if sum(line.amount_micros for line in lines) != 0:
        raise UnbalancedTransaction("postings must sum to zero")


def _existing(idempotency_key: str, content_hash: str) -> LedgerTransaction | None:
    found = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if found and found.content_hash != content_hash:
        raise IdempotencyConflict(
            f"The key {idempotency_key!r} was already used for a different transaction; "
            "use a new key for a new request.",
            fields={"idempotency_key": ["Already used for different content."]},
        )
    return found


def accounts_lock(account_ids: Iterable[int]) -> dict[int, Account]:
    """Lock people's accounts in primary-key order, the one order every writer uses. (Never
    lock a platform account this way: they are updated last, see above.)"""
    locked = Account.objects.filter(pk__in=set(account_ids)).order_by("pk").select_for_update()
    return {account.pk: account for account in locked}


def transaction_post(
    *,
    kind: str,
    idempotency_key: str,
    lines: Iterable[Line],
    memo: str = "",
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction, or return the one already written under this key.

    Raises `IdempotencyConflict` when the key was used for other postings and
    `InsufficientFunds` when a wallet would go below zero."""
    lines = list(lines)
    _check_balanced(lines)
    content_hash = _content_hash(kind, lines)
    deltas: dict[int, int] = defaultdict(int)
    for line in lines:
        deltas[line.account.pk] += line.amount_micros
    try:
        with transaction.atomic():
            owned = {line.account.pk for line in lines if line.account.owner_id is not None}
            locked = accounts_lock(owned)
            for account_id, account in locked.items():
                delta = deltas[account_id]
                if account.kind == AccountKind.WALLET and account.balance_micros + delta < 0:
                    # Not refused yet if this key was already written: that is a retry.
                    if found := _existing(idempotency_key, content_hash):
                        return found
                    raise InsufficientFunds(
                        f"The wallet holds USD {usd(account.balance_micros)}; this needs "
                        f"USD {usd(-delta)}. Top up at least "
                        f"USD {usd(-delta - account.balance_micros)} more.",
                        fields={"needed_micros": [str(-delta - account.balance_micros)]},
                    )
            # A key written before fails this insert and is answered below.
            entry = LedgerTransaction.objects.create(
                kind=kind,
                idempotency_key=idempotency_key,
                content_hash=content_hash,
                memo=memo[:300],
                reverses=reverses,
            )
            Posting.objects.bulk_create(
                Posting(
                    transaction=entry,
                    account_id=line.account.pk,
                    amount_micros=line.amount_micros,
                    reference=line.reference,
                )
                for line in lines
            )
            _balances_update(deltas, owned)
            entry.balances_after = {
                pk: account.balance_micros + deltas[pk] for pk, account in locked.items()
            }
            return entry
    except IntegrityError:
        # The key was written before (a retry), or concurrently and committed meanwhile.
        if found := _existing(idempotency_key, content_hash):
            return found
        raise


def _balances_update(deltas: dict[int, int], owned: set[int]) -> None:
    """People's accounts (already locked) in one statement; then the platform's, one at a
    time in pk order, each row locked only from here to the commit."""
    people = {pk: delta for pk, delta in deltas.items() if pk in owned and delta}
    if people:
        Account.objects.filter(pk__in=people).update(
            balance_micros=F("balance_micros")
            + Case(
                *(When(pk=pk, then=Cast(Value(d), BigIntegerField())) for pk, d in people.items()),
                default=Value(0),
                output_field=BigIntegerField(),
            )
        )
    for pk in sorted(set(deltas) - owned):
        if deltas[pk]:
            Account.objects.filter(pk=pk).update(balance_micros=F("balance_micros") + deltas[pk])


def transaction_reverse(
    original: LedgerTransaction, *, kind: str, idempotency_key: str, memo: str = ""
) -> LedgerTransaction:
    """Post the exact opposite of `original`: the ledger's only way to correct itself."""
    lines = [
        Line(posting.account, -posting.amount_micros, posting.reference)
        for posting in original.postings.select_related("account")
    ]
    return transaction_post(
        kind=kind, idempotency_key=idempotency_key, lines=lines, memo=memo, reverses=original
    )
