"""License receipts: each download request's grants, signed by the platform with Ed25519
so that anyone can check them offline against the published public keys
(`/.well-known/receipt-keys.json`, verified by common.receipt_verify).

The private keys live in the database encrypted (Fernet) with RECEIPT_KEY_SECRET and are
used only here. One key is current; `receipt_key_rotate` makes a new one current from now
and closes the old one's validity period, so receipts signed before still verify."""

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from common.errors import NotFound
from common.receipt_verify import signed_bytes
from marketplace.models import Receipt, ReceiptKey
from provenance.selectors import audit_log_head

KEY_LOCK = 7_342_002  # advisory lock: one key rotation at a time


def _fernet() -> Fernet:
    secret = settings.RECEIPT_KEY_SECRET or settings.SECRET_KEY
    digest = hashlib.sha256(b"marketplace receipt keys\0" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def iso(moment: datetime) -> str:
    """UTC, ISO 8601 with a Z, to the microsecond: the form receipts and keys are written in."""
    return moment.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"


def _key_new(now: datetime) -> ReceiptKey:
    private = Ed25519PrivateKey.generate()
    raw_public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    raw_private = private.private_bytes_raw()
    return ReceiptKey.objects.create(
        key_id="rk_" + now.strftime("%Y%m%d") + "_" + secrets.token_hex(4),
        public_key=base64.b64encode(raw_public).decode(),
        private_key_encrypted=_fernet().encrypt(raw_private).decode(),
        valid_from=now,
    )


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [KEY_LOCK])


@transaction.atomic
def receipt_key_rotate() -> ReceiptKey:
    """A new signing key, valid from now; the current one's validity ends now."""
    _lock()
    now = timezone.now()
    ReceiptKey.objects.filter(valid_until__isnull=True).update(valid_until=now)
    return _key_new(now)


def receipt_key_current() -> ReceiptKey:
    """The key that signs now (the first one is made on first use)."""
    key = ReceiptKey.objects.filter(valid_until__isnull=True).first()
    if key is not None:
        return key
    with transaction.atomic():
        _lock()
        key = ReceiptKey.objects.filter(valid_until__isnull=True).first()
        return key or _key_new(timezone.now())


def _private(key: ReceiptKey) -> Ed25519PrivateKey:
    raw = _fernet().decrypt(key.private_key_encrypted.encode())
    return Ed25519PrivateKey.from_private_bytes(raw)


def receipt_keys_published() -> dict:
    """Every key's public half with its validity period, oldest first."""
    return {
        "keys": [
            {
                "key_id": key.key_id,
                "algorithm": "Ed25519",
                "public_key": key.public_key,
                "valid_from": iso(key.valid_from),
                "valid_until": iso(key.valid_until) if key.valid_until else None,
            }
            for key in ReceiptKey.objects.order_by("valid_from", "pk")
        ]
    }


def receipt_issue(*, buyer, grants: list[dict]) -> Receipt:
    """Sign and keep a receipt for these grants (dicts of `grant_id, asset_id, sha256,
    use, purpose, price_micros, fee_micros, terms_version`), in the caller's transaction."""
    key = receipt_key_current()
    head = audit_log_head()
    now = timezone.now()
    if now < key.valid_from:  # a rotation from a server whose clock runs ahead
        now = key.valid_from
    payload = {
        "receipt_id": "rcpt_" + secrets.token_hex(12),
        "buyer_id": buyer.pk,
        "issued_at": iso(now),
        "grants": grants,
        "audit_log_head": {"sequence": head.sealed_entries, "hash": head.head_hash},
    }
    signed = signed_bytes(payload)
    signature = base64.b64encode(_private(key).sign(signed)).decode()
    receipt = Receipt.objects.create(
        receipt_id=payload["receipt_id"],
        buyer=buyer,
        key=key,
        signed_payload=signed.decode("utf-8"),
        signature=signature,
        issued_at=now,
    )
    receipt.payload = payload  # what the answer shows, without reading it back
    return receipt


def receipt_body(receipt: Receipt) -> dict:
    payload = getattr(receipt, "payload", None) or json.loads(receipt.signed_payload)
    return {"payload": payload, "signature": receipt.signature, "key_id": receipt.key.key_id}


def receipt_of(*, buyer, receipt_id: str) -> Receipt:
    receipt = (
        Receipt.objects.select_related("key").filter(buyer=buyer, receipt_id=receipt_id).first()
    )
    if receipt is None:
        raise NotFound("No receipt of yours has this id.")
    return receipt
