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
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from billing.errors import IdempotencyConflict, InsufficientFunds
from billing.models import Account, AccountKind, LedgerTransaction
from common.money import usd_text


@dataclass(frozen=True)
class Line:
    """One posting to write: a signed amount on an account, with what it is for."""

    account: Account
    amount_micros: int
    reference: str = ""


class UnbalancedTransaction(ValueError):
    """A programming error: postings must sum to zero and none may be zero."""


ACCOUNTS_SQL = """
WITH people AS (
    SELECT a.* FROM billing_account a
    JOIN unnest(%s::text[], %s::bigint[]) AS wanted(kind, owner_id) USING (kind, owner_id)
    ORDER BY a.id {lock}
)
SELECT * FROM people
UNION ALL
SELECT * FROM billing_account WHERE owner_id IS NULL AND kind = ANY(%s::text[])
"""


def accounts_for(
    wanted: Iterable[tuple[str, int | None]], *, lock_people: bool = False
) -> dict[tuple[str, int | None], Account]:
    """The accounts of these (kind, owner id) pairs, opened on first use, in one query (plus
    two to open missing ones). With `lock_people`, people's accounts are locked in primary-key
    order as `accounts_lock` does, and can be passed to `transaction_post` as `locked`; the
    platform's are only read (they are updated last, see above)."""
    wanted = set(wanted)
    people = [(kind, owner_id) for kind, owner_id in wanted if owner_id]
    platform_kinds = [kind for kind, owner_id in wanted if not owner_id]
    sql = ACCOUNTS_SQL.format(lock="FOR UPDATE OF a" if lock_people else "")
    params = [[k for k, _ in people], [o for _, o in people], platform_kinds]

    def read() -> dict[tuple[str, int | None], Account]:
        return {(a.kind, a.owner_id): a for a in Account.objects.raw(sql, params)}

    found = read()
    if missing := wanted - found.keys():
        # ignore_conflicts: an account opened concurrently by another request is fine.
        Account.objects.bulk_create(
            [Account(kind=kind, owner_id=owner_id) for kind, owner_id in missing],
            ignore_conflicts=True,
        )
        found = read()
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
    locked: dict[int, Account] | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction, or return the one already written under this key.
    `locked`: people's accounts the caller already locked in this database transaction
    (`accounts_for(..., lock_people=True)`), by primary key; they are not read again.

    Raises `IdempotencyConflict` when the key was used for other postings and
    `InsufficientFunds` when a wallet would go below zero."""
    lines = list(lines)
    _check_balanced(lines)
    content_hash = _content_hash(kind, lines)
    deltas: dict[int, int] = defaultdict(int)
    for line in lines:
        deltas[line.account.pk] += line.amount_micros
    owned = {line.account.pk for line in lines if line.account.owner_id is not None}
    # Nothing is written until every check has passed, and a key written before is answered
    # by ON CONFLICT rather than by catching an error: no savepoint is needed.
    with in_transaction():
        if locked is None:
            locked = accounts_lock(owned)
        elif not (owned <= locked.keys() and connection.in_atomic_block):
            raise ValueError("every person's account must be locked, in this transaction")
        locked = {pk: locked[pk] for pk in owned}
        overdrawn = next(
            (account for pk, account in locked.items()
             if account.kind == AccountKind.WALLET and account.balance_micros + deltas[pk] < 0),
            None,
        )  # fmt: skip
        entry = None
        if overdrawn is None:
            entry = _entry_insert(LedgerTransaction(
                kind=kind, idempotency_key=idempotency_key, content_hash=content_hash,
                memo=memo[:300], reverses=reverses, created_at=timezone.now(),
            ), lines)  # fmt: skip
        if entry is not None:
            _balances_update(deltas, owned)
            entry.balances_after = {
                pk: account.balance_micros + deltas[pk] for pk, account in locked.items()
            }
            return entry
    # The key was written before (a retry, or a concurrent request that committed first):
    # that transaction is the answer, even when the wallet could not pay for it again.
    if found := _existing(idempotency_key, content_hash):
        return found
    if overdrawn is None:
        raise LookupError(f"ledger transaction {idempotency_key!r} conflicted but is missing")
    delta = deltas[overdrawn.pk]
    raise InsufficientFunds(
        f"The wallet holds {usd_text(overdrawn.balance_micros)}; this needs "
        f"{usd_text(-delta)}. Top up at least "
        f"{usd_text(-delta - overdrawn.balance_micros)} more.",
        fields={"needed_micros": [str(-delta - overdrawn.balance_micros)]},
    )


def in_transaction():
    """The caller's transaction, or a new one when there is none. Unlike a nested atomic
    block it adds no savepoint (two statements per posting), and unlike
    `atomic(savepoint=False)` a refusal raised inside leaves the caller's transaction usable:
    the ledger refuses before it writes anything."""
    return nullcontext() if connection.in_atomic_block else transaction.atomic()


ENTRY_COLUMNS = ("kind", "idempotency_key", "content_hash", "memo", "reverses_id", "created_at")
ENTRY_SQL = """
WITH entry AS (
    INSERT INTO billing_ledgertransaction
        (kind, idempotency_key, content_hash, memo, reverses_id, created_at)
    VALUES (%s, %s, %s, %s, %s, %s)
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
), postings AS (
    INSERT INTO billing_posting (transaction_id, account_id, amount_micros, reference)
    SELECT entry.id, line.account_id, line.amount_micros, line.reference
    FROM entry, unnest(%s::bigint[], %s::bigint[], %s::text[])
        AS line(account_id, amount_micros, reference)
)
SELECT id FROM entry
"""


def _entry_insert(entry: LedgerTransaction, lines: list[Line]) -> LedgerTransaction | None:
    """Insert the transaction row and its postings in one statement, unless the idempotency
    key exists (then nothing is written and this returns None). Waits for a concurrent
    insert of the same key to commit or roll back, as the unique index does."""
    with connection.cursor() as cursor:
        cursor.execute(
            ENTRY_SQL,
            [getattr(entry, name) for name in ENTRY_COLUMNS]
            + [[line.account.pk for line in lines], [line.amount_micros for line in lines],
               [line.reference for line in lines]],
        )  # fmt: skip
        row = cursor.fetchone()
    if row is None:
        return None
    entry.pk = entry.id = row[0]
    entry._state.adding, entry._state.db = False, "default"
    return entry


def _balances_update(deltas: dict[int, int], owned: set[int]) -> None:
    """People's accounts (already locked) in one statement, with the platform's account when
    there is one: this statement is where its row is locked, until the commit. Several
    platform accounts are updated one at a time in pk order, so two transactions never take
    them in different orders."""
    people = [pk for pk in deltas if pk in owned and deltas[pk]]
    platform = sorted(pk for pk in deltas if pk not in owned and deltas[pk])
    together, alone = (people + platform, []) if len(platform) <= 1 else (people, platform)
    with connection.cursor() as cursor:
        if together:
            cursor.execute(
                "UPDATE billing_account AS a SET balance_micros = a.balance_micros + d.delta "
                "FROM unnest(%s::bigint[], %s::bigint[]) AS d(id, delta) WHERE a.id = d.id",
                [together, [deltas[pk] for pk in together]],
            )
        for pk in alone:
            cursor.execute(
                "UPDATE billing_account SET balance_micros = balance_micros + %s::bigint "
                "WHERE id = %s",
                [deltas[pk], pk],
            )


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
