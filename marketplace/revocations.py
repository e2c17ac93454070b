"""The revocations feed: for each buyer, every asset they licensed that was later taken
down, withdrawn by its rights holder (their grant still holds) or whose base-set license
a moderator rejected, and every takedown a moderator undid (`restored`: the grant holds
again). An asset's latest entry says where it stands.

Entries are written in the transaction that made the change, under a transaction-level
advisory lock taken just before the insert and held to the commit: entries get their
ids, and commit, one writer after another, so ids are visible in order. A reader that
pages by id (`after` the last id it saw) therefore never skips an entry that commits
later with a smaller id. The webhook deliveries of the new entries are written in the
same transaction (marketplace.webhooks)."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalog.models import AssetStatus
from common.errors import DomainError
from marketplace.models import STILL_VALID_KINDS, Revocation, RevocationKind

# One advisory lock key per critical section of the marketplace (catalog.locks has the
# catalog's, in the 7_341_000 range).
FEED_LOCK = 7_342_001

# Takedown reasons (flag reasons, moderation reasons) to the class a buyer is told. The
# reason itself, and who asked, stay with the moderators.
REASON_CLASSES = {
    "infringing": "rights",
    "wrong_license": "rights",
    "opt_out_request": "rights",
    "license_rejected": "rights",
    "privacy": "privacy",
    "objectionable": "objectionable",
    "nudity": "nudity",
    "legal": "legal",
    "court_order": "legal",
}
LICENSE_REJECTED = "license_rejected"  # moderation's reason for a rejected base-set license


def reason_class(reason: str, *, previous_status: str = "") -> str:
    """The class of a takedown's reason: an asset the nudity classifier held and a
    moderator took down without a more specific reason is `nudity`."""
    if reason in REASON_CLASSES:
        return REASON_CLASSES[reason]
    if previous_status == AssetStatus.HELD:
        return "nudity"
    return "other"


INSERT_ENTRIES = """
INSERT INTO marketplace_revocation
    (buyer_id, asset_id, grant_ids, kind, reason_class, still_valid, occurred_at)
SELECT g.buyer_id, g.asset_id, array_agg(g.id ORDER BY g.id), %s, %s, %s, %s
FROM marketplace_downloadgrant g
WHERE g.asset_id = %s
GROUP BY g.buyer_id, g.asset_id
ORDER BY g.buyer_id
RETURNING id
"""


def revocations_record(*, asset_id: int, kind: str, reason_class: str = "") -> list[int]:
    """Add an entry to the feed of every buyer holding a grant on the asset, and queue its
    webhook deliveries. Call it last in the transaction that made the change: the feed's
    lock is held from here to the commit. Returns the new entries' ids."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("revocations_record runs inside the change's transaction")
    from marketplace.webhooks import deliveries_create

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK])
        # The time is read under the lock too: entries' times follow their ids.
        cursor.execute(
            INSERT_ENTRIES,
            [kind, reason_class, kind in STILL_VALID_KINDS, timezone.now(), asset_id],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        deliveries_create(revocation_ids=ids)
    return ids


def on_asset_taking_down(sender, *, asset_id: int, reason: str, previous_status: str = "",
                         **kwargs) -> None:  # fmt: skip
    """catalog.signals.asset_taking_down: inside the takedown's transaction."""
    kind = (
        RevocationKind.LICENSE_REJECTED if reason == LICENSE_REJECTED else RevocationKind.TAKEN_DOWN
    )
    revocations_record(
        asset_id=asset_id,
        kind=kind,
        reason_class=reason_class(reason, previous_status=previous_status),
    )


def on_asset_restoring(sender, *, asset_id: int, **kwargs) -> None:
    """catalog.signals.asset_restoring: inside the restore's transaction. Buyers whose
    copies were removed for the takedown learn they may fetch them again."""
    revocations_record(asset_id=asset_id, kind=RevocationKind.RESTORED)


# --- reading the feed ---------------------------------------------------------------------


class InvalidFeedCursor(DomainError):
    code = "invalid"

    def __init__(self):
        message = "This cursor is not valid; start again from the first page."
        super().__init__(message, fields={"cursor": [message]})


def encode_feed_cursor(last_id: int) -> str:
    raw = json.dumps({"after": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_feed_cursor(raw: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        after = data["after"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise InvalidFeedCursor() from None
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**63:
        raise InvalidFeedCursor()
    return after


@dataclass(frozen=True)
class FeedPage:
    entries: list[Revocation]
    next_cursor: str | None


def revocations_page(
    *, buyer, since: datetime | None = None, cursor: str | None = None, page_size: int = 50
) -> FeedPage:
    """The buyer's entries in feed order (oldest first), those that occurred at or after
    `since`, after the cursor's position."""
    entries = revocations_of(buyer)
    if since is not None:
        entries = entries.filter(occurred_at__gte=since)
    if cursor:
        entries = entries.filter(pk__gt=decode_feed_cursor(cursor))
    rows = list(entries[: page_size + 1])
    more = len(rows) > page_size
    rows = rows[:page_size]
    return FeedPage(rows, encode_feed_cursor(rows[-1].pk) if more else None)


def revocations_of(buyer) -> QuerySet[Revocation]:
    return Revocation.objects.filter(buyer=buyer).order_by("pk")


def revocation_item(entry: Revocation) -> dict:
    """The feed's item, as the API and webhook events carry it."""
    return {
        "id": entry.pk,
        "asset_id": entry.asset_id,
        "grant_ids": list(entry.grant_ids),
        "kind": entry.kind,
        "reason_class": entry.reason_class or None,
        "still_valid": entry.still_valid,
        "occurred_at": _iso(entry.occurred_at),
    }


def _iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as DRF writes datetimes."""
    value = moment.astimezone(UTC).isoformat()
    return value.removesuffix("+00:00") + "Z"
