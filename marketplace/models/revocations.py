"""What reaches a buyer after a license: the revocations feed (assets they licensed later
taken down, withdrawn or whose license was rejected, and takedowns undone), the webhook
endpoints it is pushed to with each delivery's log, and the signed receipts of their
downloads with the keys that sign them."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class RevocationKind(models.TextChoices):
    TAKEN_DOWN = "taken_down", "Taken down"
    WITHDRAWN = "withdrawn", "Withdrawn by its rights holder (grants stay valid)"
    LICENSE_REJECTED = "license_rejected", "Base-set license rejected"
    RESTORED = "restored", "Restored by a moderator (grants hold again)"


# The kinds after which the buyer's grants hold: they may keep (or fetch again) the file.
STILL_VALID_KINDS = (RevocationKind.WITHDRAWN, RevocationKind.RESTORED)


class Revocation(models.Model):
    """One entry of a buyer's revocations feed: an asset they hold grants for that was
    taken down, withdrawn or whose license was rejected, or restored after a takedown (the
    latest entry of an asset says where it stands). Entries are only added, in id
    order of commit (written under a transaction-level advisory lock, so a reader paging
    by id never skips one that commits later with a smaller id)."""

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="revocations",
        help_text="The buyer whose feed it is in.",
    )
    asset = models.ForeignKey(
        "catalog.Asset",
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The licensed asset concerned.",
    )
    grant_ids = ArrayField(
        models.BigIntegerField(), help_text="The buyer's grants on the asset at that time."
    )
    kind = models.CharField(
        max_length=16, choices=RevocationKind.choices, help_text="What happened to it."
    )
    reason_class = models.CharField(
        max_length=16,
        blank=True,
        help_text="Class of the takedown's reason (rights, privacy, nudity, objectionable, "
        "legal, other); empty for withdrawals and restores. Never who asked.",
    )
    still_valid = models.BooleanField(
        help_text="True when the buyer's grant still holds (a withdrawn work, a restored asset)."
    )
    occurred_at = models.DateTimeField(help_text="When it happened (set at commit order).")

    class Meta:
        indexes = [models.Index(fields=["buyer", "id"], name="revocation_buyer_id")]
        constraints = [
            models.CheckConstraint(
                condition=Q(still_valid=True, kind__in=STILL_VALID_KINDS)
                | Q(Q(still_valid=False), ~Q(kind__in=STILL_VALID_KINDS)),
                name="revocation_still_valid_by_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of asset {self.asset_id} for {self.buyer_id}"

    @property
    def event_id(self) -> str:
        """The id webhook receivers deduplicate on (the same for every endpoint)."""
        return f"evt_revocation_{self.pk}"


class WebhookEndpoint(models.Model):
    """A buyer's HTTPS address that receives their revocation events, signed with the
    endpoint's own secret (shown once, when it is created)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text="The buyer it delivers to.",
    )
    url = models.URLField(max_length=500, help_text="Where events are POSTed.")
    description = models.CharField(max_length=200, blank=True, help_text="The owner's note.")
    secret = models.CharField(
        max_length=100,
        help_text="The HMAC-SHA256 signing secret (`whsec_...`), kept to sign deliveries.",
    )
    active = models.BooleanField(default=True, help_text="Inactive endpoints get nothing.")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was registered.")

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event to one endpoint, retried with backoff until the receiver answers 2xx or
    the retry window ends. Each try is a WebhookAttempt."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for its next try"
        DELIVERED = "delivered", "Delivered (2xx)"
        FAILED = "failed", "Gave up after the retry window"

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        help_text="Where it goes.",
    )
    revocation = models.ForeignKey(
        Revocation, on_delete=models.CASCADE, related_name="+", help_text="The event's entry."
    )
    event_id = models.CharField(max_length=64, help_text="Sent as `id`: receivers dedupe on it.")
    payload = models.JSONField(help_text="The event body sent (the same on every try).")
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING, help_text="Progress."
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Tries so far.")
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When it is tried next; empty once finished."
    )
    last_status_code = models.PositiveIntegerField(
        null=True, blank=True, help_text="The receiver's last HTTP status, if it answered."
    )
    last_error = models.CharField(max_length=500, blank=True, help_text="The last failure.")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the event occurred.")
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="When a 2xx came.")

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="webhook_delivery_due",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "revocation"], name="webhook_delivery_once_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} to {self.endpoint_id} ({self.state})"


class WebhookAttempt(models.Model):
    """One try of a delivery: the delivery log the admin shows."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        help_text="The delivery tried.",
    )
    attempted_at = models.DateTimeField(help_text="When the request was sent.")
    status_code = models.PositiveIntegerField(
        null=True, blank=True, help_text="The receiver's HTTP status; empty if none came."
    )
    error = models.CharField(max_length=500, blank=True, help_text="Why it failed, if it did.")
    duration_ms = models.PositiveIntegerField(help_text="How long the request took.")
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next try was scheduled; empty if none."
    )

    class Meta:
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return f"try of {self.delivery_id} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"


class ReceiptKey(models.Model):
    """An Ed25519 key pair that signs receipts. The public key is published with its
    validity period; the private key is kept encrypted (Fernet, with RECEIPT_KEY_SECRET)
    and never leaves the server. One key is current (no `valid_until`)."""

    key_id = models.CharField(max_length=32, unique=True, help_text="Published id, `rk_...`.")
    public_key = models.CharField(max_length=64, help_text="Raw 32-byte public key, base64.")
    private_key_encrypted = models.TextField(
        help_text="The raw private key, encrypted with RECEIPT_KEY_SECRET (a Fernet token)."
    )
    valid_from = models.DateTimeField(help_text="Receipts signed from this time.")
    valid_until = models.DateTimeField(
        null=True, blank=True, help_text="Rotated out at this time; empty while current."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["valid_until"],
                condition=Q(valid_until__isnull=True),
                nulls_distinct=False,
                name="receipt_key_one_current",
            )
        ]

    def __str__(self) -> str:
        return self.key_id


class Receipt(models.Model):
    """A signed record of one download request's grants: what was licensed, at what price
    and terms, and the audit log's head at the time."""

    receipt_id = models.CharField(max_length=40, unique=True, help_text="Public id, `rcpt_...`.")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="receipts",
        help_text="Whose download it records.",
    )
    key = models.ForeignKey(
        ReceiptKey, on_delete=models.PROTECT, related_name="+", help_text="The signing key."
    )
    signed_payload = models.TextField(
        help_text="The signed bytes: the payload as canonical JSON (sorted keys, no spaces)."
    )
    signature = models.CharField(max_length=100, help_text="Ed25519 signature, base64.")
    issued_at = models.DateTimeField(help_text="When it was signed.")

    def __str__(self) -> str:
        return self.receipt_id
