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
from django.db.models import F

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


def account_for(kind: str, owner=None) -> Account:
    """The account of this kind (for this owner), opened on first use."""
    lookup = {"kind": kind, "owner": owner} if owner is not None else {"kind": kind}
    account = Account.objects.filter(**lookup, owner__isnull=owner is None).first()
    if account:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(kind=kind, owner=owner)
    except IntegrityError:  # opened concurrently by another request
        return Account.objects.get(**lookup, owner__isnull=owner is None)


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
            # Checked after the lock: a concurrent writer of the same key has committed.
            if found := _existing(idempotency_key, content_hash):
                return found
            for account_id, account in locked.items():
                delta = deltas[account_id]
                if account.kind == AccountKind.WALLET and account.balance_micros + delta < 0:
                    raise InsufficientFunds(
                        f"The wallet holds USD {usd(account.balance_micros)}; this needs "
                        f"USD {usd(-delta)}. Top up at least "
                        f"USD {usd(-delta - account.balance_micros)} more.",
                        fields={"needed_micros": [str(-delta - account.balance_micros)]},
                    )
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
            # People's accounts first (already locked), then the platform's, in pk order.
            for account_id in sorted(deltas, key=lambda pk: (pk not in owned, pk)):
                if delta := deltas[account_id]:
                    Account.objects.filter(pk=account_id).update(
                        balance_micros=F("balance_micros") + delta
                    )
            return entry
    except IntegrityError:
        # The key was taken by a transaction on other accounts that committed meanwhile.
        if found := _existing(idempotency_key, content_hash):
            return found
        raise


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
