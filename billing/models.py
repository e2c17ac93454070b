"""The double-entry ledger and the Stripe objects it is reconciled with.

All amounts are integers in micro-USD (1 USD = 1,000,000). Billing knows accounts and
amounts, not assets: a posting's `reference` is whatever the caller passed to explain it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Mod
from django.db.models.lookups import Exact


class AccountKind(models.TextChoices):
    WALLET = "wallet", "Buyer wallet"
    PAYABLE = "payable", "Rights-holder payable"
    PLATFORM_REVENUE = "platform_revenue", "Platform fee revenue"
    STRIPE_CLEARING = "stripe_clearing", "Stripe clearing"
    PAYOUTS_IN_TRANSIT = "payouts_in_transit", "Payouts in transit"
    REFUNDS = "refunds", "Refunds and disputes"


OWNED_KINDS = (AccountKind.WALLET, AccountKind.PAYABLE)


class Account(models.Model):
    """A ledger account. Its balance is the sum of its postings; `balance_micros` caches that
    sum and is changed only in the transaction that inserts the postings."""

    kind = models.CharField(max_length=32, choices=AccountKind.choices, help_text="What it holds.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
        help_text="The buyer (wallet) or rights holder (payable); empty for platform accounts.",
    )
    balance_micros = models.BigIntegerField(
        default=0, help_text="Sum of the account's postings, in micro-USD."
    )
    frozen = models.BooleanField(
        default=False,
        help_text="A frozen wallet cannot pay for downloads or be topped up: set when a "
        "refund or dispute took more than the wallet held. Staff lift it by hand.",
    )
    frozen_reason = models.CharField(
        max_length=200, blank=True, help_text="Why the account was frozen."
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was opened.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "owner"], name="account_one_per_owner_kind",
                condition=Q(owner__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["kind"], name="account_one_platform_kind", condition=Q(owner__isnull=True)
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | ~Q(kind__in=OWNED_KINDS),
                name="account_owned_kinds_have_owner",
            ),
            models.CheckConstraint(
                condition=~Q(kind=AccountKind.WALLET) | Q(balance_micros__gte=0),
                name="account_wallet_never_negative",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.owner}" if self.owner_id else self.kind


class TransactionKind(models.TextChoices):
    TOP_UP = "top_up", "Wallet top-up"
    DOWNLOAD = "download", "Download charge"
    GRANT_REFUND = "grant_refund", "Download refund"
    CARD_REFUND = "card_refund", "Card refund"
    DISPUTE = "dispute", "Card dispute"
    PAYOUT = "payout", "Payout"
    PAYOUT_SENT = "payout_sent", "Payout sent"
    PAYOUT_REVERSAL = "payout_reversal", "Payout failed or reversed"


class LedgerTransaction(models.Model):
    """A balanced set of postings, written once under a unique idempotency key."""

    kind = models.CharField(
        max_length=32, choices=TransactionKind.choices, help_text="What moved the money."
    )
    idempotency_key = models.CharField(
        max_length=200,
        unique=True,
        help_text="Writing again with this key returns this transaction instead of a new one.",
    )
    content_hash = models.CharField(
        max_length=64,
        help_text="Hash of the postings: the same key with different postings is refused.",
    )
    memo = models.CharField(max_length=300, blank=True, help_text="Explanation for people.")
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        help_text="The transaction this one corrects, if it is a reversal.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="When.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Posting(models.Model):
    """One line of a transaction: a signed amount on one account. Inserted, never changed."""

    transaction = models.ForeignKey(
        LedgerTransaction,
        on_delete=models.PROTECT,
        related_name="postings",
        help_text="The transaction it belongs to.",
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="postings", help_text="Account moved."
    )
    amount_micros = models.BigIntegerField(
        help_text="Signed amount in micro-USD; a transaction's postings sum to zero."
    )
    reference = models.CharField(
        max_length=100,
        blank=True,
        db_index=True,
        help_text="What the caller said this line is for, e.g. `grant:42`, `asset:7`.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_micros=0), name="posting_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.amount_micros:+} on {self.account}"


class TopUp(models.Model):
    """A wallet top-up started through Checkout; the wallet is credited only when the payment
    is confirmed (the signed webhook, or the sandbox gateway in the demo)."""

    class State(models.TextChoices):
        OPEN = "open", "Waiting for payment"
        PAID = "paid", "Paid and credited"
        EXPIRED = "expired", "Expired unpaid"

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="top_ups",
        help_text="Whose wallet.",
    )
    amount_micros = models.BigIntegerField(help_text="Amount to credit, in micro-USD.")
    checkout_session_id = models.CharField(
        max_length=255, unique=True, help_text="Stripe Checkout Session id."
    )
    payment_intent_id = models.CharField(
        max_length=255,
        null=True,
        blank=True,
        unique=True,
        help_text="Stripe PaymentIntent id, known once paid: refunds and disputes name it.",
    )
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.OPEN, help_text="Where it stands."
    )
    sandbox = models.BooleanField(
        default=False, help_text="Made by the local sandbox gateway: no real money moved."
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was started.")
    paid_at = models.DateTimeField(null=True, blank=True, help_text="When it was credited.")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_micros__gt=0), name="top_up_positive"),
        ]

    def __str__(self) -> str:
        return f"top-up {self.checkout_session_id}"


class CardCharge(models.Model):
    """What Stripe says was taken back from one card payment: the refunded and disputed
    totals only ever grow, so events arriving twice or out of order give the same result."""

    payment_intent_id = models.CharField(
        max_length=255, unique=True, help_text="Stripe PaymentIntent id of the payment."
    )
    refunded_micros = models.BigIntegerField(
        default=0, help_text="Total refunded to the card so far, as Stripe reported it."
    )
    disputed_micros = models.BigIntegerField(
        default=0, help_text="Total under dispute, as Stripe reported it."
    )
    updated_at = models.DateTimeField(auto_now=True, help_text="Last change.")

    def __str__(self) -> str:
        return self.payment_intent_id


class Subscription(models.Model):
    """A buyer's Curation subscription as Stripe last described it."""

    buyer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="subscription",
        help_text="The subscriber.",
    )
    stripe_customer_id = models.CharField(
        max_length=255, unique=True, help_text="Stripe Customer id of the buyer."
    )
    stripe_subscription_id = models.CharField(
        max_length=255, blank=True, db_index=True, help_text="Stripe Subscription id, once made."
    )
    status = models.CharField(
        max_length=32,
        blank=True,
        help_text="Stripe's subscription status: the Curation plan applies while it is "
        "`active` or `trialing`.",
    )
    current_period_start = models.DateTimeField(
        null=True, blank=True, help_text="Start of the paid period: the quota period."
    )
    current_period_end = models.DateTimeField(
        null=True, blank=True, help_text="End of the paid period: when the quota resets."
    )
    cancel_at_period_end = models.BooleanField(
        default=False, help_text="Cancelled by the buyer; ends with the current period."
    )
    stripe_updated = models.BigIntegerField(
        default=0,
        help_text="Creation time of the newest Stripe event applied: older events are ignored.",
    )
    stripe_event_id = models.CharField(
        max_length=255, blank=True, help_text="Id of the newest Stripe event applied."
    )
    sandbox = models.BooleanField(
        default=False, help_text="Made by the local sandbox gateway: no real money moved."
    )

    def __str__(self) -> str:
        return f"subscription of {self.buyer}"


class ConnectAccount(models.Model):
    """A rights holder's Stripe Connect account, where payouts are sent."""

    rights_holder = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="connect_account",
        help_text="The rights holder paid through it.",
    )
    stripe_account_id = models.CharField(
        max_length=255, unique=True, help_text="Stripe connected account id."
    )
    payouts_enabled = models.BooleanField(
        default=False, help_text="Stripe accepts transfers to it (onboarding complete)."
    )
    details_submitted = models.BooleanField(
        default=False, help_text="The rights holder finished Stripe's onboarding form."
    )
    stripe_updated = models.BigIntegerField(
        default=0, help_text="Creation time of the newest Stripe event applied."
    )
    stripe_event_id = models.CharField(
        max_length=255, blank=True, help_text="Id of the newest Stripe event applied."
    )

    def __str__(self) -> str:
        return self.stripe_account_id


class Payout(models.Model):
    """One rights holder's share of a payout batch, sent as one Stripe Transfer."""

    class State(models.TextChoices):
        PENDING = "pending", "Posted, transfer not yet confirmed"
        SENT = "sent", "Transfer made"
        FAILED = "failed", "Transfer refused; amount returned to the payable"
        REVERSED = "reversed", "Transfer reversed; amount returned to the payable"

    rights_holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payouts",
        help_text="Who is paid.",
    )
    batch = models.CharField(max_length=64, help_text="The payout run, e.g. `2026-11-21`.")
    amount_micros = models.BigIntegerField(help_text="Amount sent, whole cents in micro-USD.")
    idempotency_key = models.CharField(
        max_length=200, unique=True, help_text="Sent to Stripe with the transfer."
    )
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING, help_text="Where it stands."
    )
    stripe_transfer_id = models.CharField(
        max_length=255, blank=True, db_index=True, help_text="Stripe Transfer id, once made."
    )
    reversed_micros = models.BigIntegerField(
        default=0, help_text="Amount Stripe reported reversed so far."
    )
    error = models.CharField(max_length=500, blank=True, help_text="Why the transfer failed.")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was posted.")
    updated_at = models.DateTimeField(auto_now=True, help_text="Last change.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "rights_holder"], name="payout_one_per_batch_and_holder"
            ),
            models.CheckConstraint(condition=Q(amount_micros__gt=0), name="payout_positive"),
            models.CheckConstraint(
                condition=Exact(Mod("amount_micros", 10_000), 0), name="payout_whole_cents"
            ),
        ]

    def __str__(self) -> str:
        return f"payout {self.batch} to {self.rights_holder}"


class StripeEvent(models.Model):
    """A webhook event, stored once by its Stripe id and processed asynchronously."""

    event_id = models.CharField(max_length=255, unique=True, help_text="Stripe event id.")
    type = models.CharField(max_length=100, db_index=True, help_text="Stripe event type.")
    created = models.BigIntegerField(help_text="When Stripe created it (Unix time).")
    payload = models.JSONField(help_text="The event as received.")
    received_at = models.DateTimeField(auto_now_add=True, help_text="When it arrived.")
    processed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was applied; empty while pending."
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Processing attempts so far.")
    error = models.TextField(blank=True, help_text="The last processing error, if any.")

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class QuotaUsage(models.Model):
    """Downloads a buyer has used in one quota period (a calendar month, or a paid period
    of the Curation plan). Counted under a row lock, so concurrent downloads cannot pass the
    quota together."""

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="quota_usage",
        help_text="The buyer.",
    )
    period_start = models.DateTimeField(help_text="Start of the quota period.")
    period_end = models.DateTimeField(help_text="When the quota resets.")
    used = models.PositiveIntegerField(default=0, help_text="Downloads counted so far.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "period_start"], name="quota_usage_one_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.buyer}: {self.used} since {self.period_start:%Y-%m-%d}"
