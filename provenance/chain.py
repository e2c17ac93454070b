"""The audit log's hash chain: how one link's hash is computed from the previous one.

    hash = sha256(prev_hash + canonical_json(event))

`prev_hash` is the previous link's lowercase hex digest (64 zeros for the first link), as
ASCII; the canonical JSON is the event's `id`, `asset_id`, `kind`, `reason`, `actor`,
`data` and `created_at` (ISO 8601 in UTC), with sorted keys, no spaces, UTF-8. Anyone with
a database dump can recompute the chain with these few lines."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from provenance.models import GENESIS_HASH

__all__ = ["CONTENT_FIELDS", "GENESIS_HASH", "EventContent", "event_content", "link_hash"]

# The fields hashed, in the order of an `EventContent` row: read them with
# `ProvenanceEvent.objects.values_list(*CONTENT_FIELDS)`.
CONTENT_FIELDS = ("id", "asset_id", "kind", "reason", "actor", "data", "created_at")
EventContent = tuple[int, int | None, str, str, str, Any, datetime]


def event_content(row: EventContent) -> bytes:
    """The event as canonical JSON: what its seal vouches for."""
    event_id, asset_id, kind, reason, actor, data, created_at = row
    return json.dumps(
        {
            "id": event_id,
            "asset_id": asset_id,
            "kind": kind,
            "reason": reason,
            "actor": actor,
            "data": data,
            "created_at": created_at.astimezone(UTC).isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def link_hash(prev_hash: str, row: EventContent) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + event_content(row)).hexdigest()
