"""Idempotency keys: a request sent again with the same `Idempotency-Key` gets the first
answer again, without running again (no second charge, no second use of the quota).

The key is claimed by inserting its row in the same transaction as the work it guards, so
a retry that arrives while the first request is still running waits for it: PostgreSQL
holds a second insert of the same unique key until the first transaction ends, then the
retry replays the committed answer, or runs itself if the first one failed. Only answers
that changed something are kept: a refused request leaves nothing, and its retry runs
again."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from common.errors import DomainError
from marketplace.models import IdempotentRequest

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255
# How long an answer is kept for retries (the hourly clean-up deletes older ones).
KEPT_FOR = timedelta(hours=24)


class IdempotencyKeyInvalid(DomainError):
    code = "invalid"


class IdempotencyKeyReused(DomainError):
    """The key was used for another request: a new request needs a new key."""

    code = "idempotency_key_reused"
    status_code = 422


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    replayed: bool = False


def idempotency_key_check(key: str) -> str:
    if not key or len(key) > KEY_MAX_LENGTH or not key.isascii() or not key.isprintable():
        message = f"1 to {KEY_MAX_LENGTH} printable ASCII characters, e.g. a UUID."
        raise IdempotencyKeyInvalid(f"{HEADER}: {message}", fields={HEADER: [message]})
    return key


def request_fingerprint(*, method: str, path: str, data) -> str:
    """What makes two requests the same: method, path and the body's content (key order and
    spacing aside)."""
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{body}".encode()).hexdigest()


def idempotent_call(*, user, key: str, fingerprint: str, run: Callable[[], Answer]) -> Answer:
    """Run `run` once per key: the first time, or again after a refusal; otherwise the
    answer it gave first, marked `replayed`. The same key with another request is refused."""
    idempotency_key_check(key)
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = IdempotentRequest.objects.create(
                    user=user, key=key, fingerprint=fingerprint, status_code=0, response={}
                )
        except IntegrityError:
            return _replay(user=user, key=key, fingerprint=fingerprint)
        answer = run()  # a refusal raises: the claim goes with the rest of the work
        claim.status_code, claim.response = answer.status, answer.body
        claim.save(update_fields=["status_code", "response"])
    return answer


def _replay(*, user, key: str, fingerprint: str) -> Answer:
    first = IdempotentRequest.objects.get(user=user, key=key)
    if first.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"The {HEADER} {key!r} was already used for a different request; send a new key "
            "with a new request.",
            fields={HEADER: ["Already used for a different request."]},
        )
    return Answer(first.status_code, first.response, replayed=True)


def idempotent_requests_clear(*, now=None) -> int:
    """Forget answers older than KEPT_FOR; returns how many."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
