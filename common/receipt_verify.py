"""Offline verification of license receipts. Pure Python over `cryptography`, no Django:
the buyers' client copies this module as it is.

A receipt is `{"payload": {...}, "signature": "<base64>", "key_id": "<id>"}`. The signed
bytes are the payload as canonical JSON (sorted keys, no spaces, UTF-8). The keys are the
platform's published list (`/.well-known/receipt-keys.json`): `{"keys": [{"key_id",
"algorithm": "Ed25519", "public_key": "<base64 of the raw 32 bytes>", "valid_from",
"valid_until"}]}`. A receipt verifies when its key is listed, its signature matches the
payload under that key, and it was issued within the key's validity period."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class ReceiptInvalid(Exception):
    """The receipt does not verify; the message says why."""


@dataclass(frozen=True)
class VerifiedReceipt:
    receipt_id: str
    key_id: str
    issued_at: str
    grants: int


def signed_bytes(payload: dict) -> bytes:
    """The exact bytes a receipt's signature covers."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def verify_receipt(receipt: dict, keys: dict) -> VerifiedReceipt:
    """Check `receipt` against the published `keys` document; raises ReceiptInvalid."""
    try:
        payload, signature, key_id = receipt["payload"], receipt["signature"], receipt["key_id"]
    except (KeyError, TypeError):
        raise ReceiptInvalid("not a receipt: it needs payload, signature and key_id") from None
    if not isinstance(payload, dict):
        raise ReceiptInvalid("not a receipt: its payload is not an object")
    listed = [k for k in keys.get("keys", []) if k.get("key_id") == key_id]
    if not listed:
        raise ReceiptInvalid(f"key {key_id!r} is not among the published keys")
    key = listed[0]
    if key.get("algorithm") != "Ed25519":
        raise ReceiptInvalid(f"key {key_id!r} is not an Ed25519 key")
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
        raw_signature = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ReceiptInvalid(f"unreadable key or signature ({exc})") from None
    try:
        public.verify(raw_signature, signed_bytes(payload))
    except InvalidSignature:
        raise ReceiptInvalid("the signature does not match the receipt's contents") from None
    try:
        issued = _moment(payload["issued_at"])
        if issued < _moment(key["valid_from"]) or (
            key.get("valid_until") and issued > _moment(key["valid_until"])
        ):
            raise ReceiptInvalid(f"issued at {payload['issued_at']}, outside key {key_id!r}'s "
                                 "validity period")  # fmt: skip
    except (KeyError, TypeError, ValueError):
        raise ReceiptInvalid("the receipt or the key has no readable time") from None
    return VerifiedReceipt(
        receipt_id=str(payload.get("receipt_id", "")),
        key_id=key_id,
        issued_at=payload["issued_at"],
        grants=len(payload.get("grants") or []),
    )
