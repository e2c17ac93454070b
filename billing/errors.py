"""Billing's refusals: each says what the person can do about it."""

from common.errors import DomainError


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    status_code = 402


class WalletFrozen(DomainError):
    code = "wallet_frozen"
    status_code = 403


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    status_code = 409


class PaymentsUnavailable(DomainError):
    code = "payments_unavailable"
    status_code = 503


class NotOnboarded(DomainError):
    code = "not_onboarded"
    status_code = 409
