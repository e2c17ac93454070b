"""License grants and downloads: the marketplace's core transaction.

One database transaction per request: lock the buyer's quota row (so a buyer's downloads
are decided one after another), check every asset, count the quota, charge the wallet for
new paid grants, write the grants and the audit events. Either all of it commits or none."""

import hashlib
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from billing.selectors import buyer_quota, platform_fee_micros, wallet_balance, wallet_state
from billing.services import ChargeItem, QuotaStatus, charge_downloads, quota_consume, quota_lock
from catalog.models import AssetStatus, License, Use
from common.errors import DomainError
from common.money import usd
from marketplace.delivery import SERVABLE, Link, download_link
from marketplace.models import DownloadGrant, Purpose, Receipt
from marketplace.receipts import receipt_issue
from marketplace.selectors import grant_use
from marketplace.served import (
    UNREADABLE,
    StoredFileUnreadable,
    offer_files,
    originals_unreadable_report,
    unreadable_reported,
    unreadable_works,
)
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

GRANTED, REPEATED = EventKind.DOWNLOAD_GRANTED, EventKind.DOWNLOAD_REPEATED


class DownloadRefused(DomainError):
    code = "unavailable"
    status_code = 409


class UnreadableRefused(DownloadRefused, StoredFileUnreadable):
    """Refused because a work's stored original cannot be read (maybe among other reasons):
    its own code, so clients can tell it from the buyer's own choices; `fields` still give
    each asset's reason. The caller reports it once the transaction has rolled back."""

    code = UNREADABLE


@dataclass(frozen=True)
class Delivered:
    grant: DownloadGrant
    new: bool
    link: Link
    terms_version: str  # of the grant's license terms; "" for the base set


@dataclass
class DownloadResult:
    delivered: list[Delivered]
    refused: dict[int, str] = field(default_factory=dict)
    charged_micros: int = 0
    quota: QuotaStatus | None = None
    wallet_micros: int = 0
    receipt: Receipt | None = None  # the signed record of the grants delivered


@dataclass(frozen=True)
class CurrentOffer:
    """What licensing reads of a work's current offer: its purposes, and each use it
    allows with that use's price (a use left out is not allowed)."""

    offer_id: int
    use_prices: dict[str, int]
    allow_research: bool
    allow_commercial: bool
    terms_id: int
    terms_version: str
    owner_id: int

    def allows(self, purpose: str) -> bool:
        return self.allow_commercial if purpose == Purpose.COMMERCIAL else self.allow_research

    def price_micros(self, use: str) -> int:
        return self.use_prices[use]


@dataclass(frozen=True)
class Licensable:
    """What licensing reads of a requested asset: its state and file, whether this buyer was
    granted it before, and its work's current offer (None: base set, or not offered now)."""

    id: int
    status: str
    license: str
    original_key: str
    granted: bool
    sha256: str  # of the stored file (the receipt names it)
    offer: CurrentOffer | None


# A base-set asset allows every use: any earlier grant of it covers this download. An opt-in
# work's earlier grant covers only the use it was bought for.
LICENSABLE_SQL = """
SELECT a.id, a.status, a.license, a.original_key,
       EXISTS (SELECT 1 FROM marketplace_downloadgrant g
               WHERE g.buyer_id = %s AND g.asset_id = a.id
                 AND (g.use = %s OR a.license <> 'opt-in')),
       a.sha256, o.id,
       (SELECT coalesce(jsonb_object_agg(u.use, u.price_micros), '{{}}'::jsonb)
        FROM marketplace_offeruse u WHERE u.offer_id = o.id),
       o.allow_research, o.allow_commercial, o.terms_id, t.version,
       w.owner_id
FROM catalog_asset a
LEFT JOIN marketplace_work w ON w.asset_id = a.id
LEFT JOIN marketplace_offer o ON o.work_id = w.id AND o.ended_at IS NULL
LEFT JOIN marketplace_termsversion t ON t.id = o.terms_id
WHERE a.id IN ({ids})
FOR KEY SHARE OF a
"""


def _licensables(
    buyer, asset_ids: list[int], use: str, *, lock: bool = True
) -> dict[int, Licensable]:
    """The requested assets with their earlier grant for `use` and their current offer, in
    one query. In SQL rather than the ORM: building this query in the ORM took longer than
    running it, and every download runs it.

    The assets are read `FOR KEY SHARE` (the lock the grants' foreign keys take anyway, only
    taken when the status is read): a takedown, which locks the asset `FOR UPDATE`, waits
    for this transaction, and this one for a takedown under way. So a grant is never made on
    an asset taken down meanwhile, and the takedown's revocations feed entries always see
    the grants of licenses that commit before it."""
    sql = LICENSABLE_SQL.format(ids=", ".join(["%s"] * len(asset_ids)))
    if not lock:
        sql = sql.replace("FOR KEY SHARE OF a", "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [buyer.pk, use, *asset_ids])
        rows = cursor.fetchall()
    return {
        row[0]: Licensable(
            *row[:6],
            # Django reads jsonb as text (its JSONField parses it): so do we.
            offer=CurrentOffer(row[6], json.loads(row[7]), *row[8:]) if row[6] else None,
        )
        for row in rows
    }


def _reason(asset: Licensable | None, *, granted: bool) -> str:
    """Why this asset cannot be downloaded now, or "" if it can."""
    if asset is None:
        return "not_found"
    if asset.status == AssetStatus.TAKEN_DOWN:
        return "taken_down"
    if asset.status == AssetStatus.HELD:
        return "under_review"
    if granted and asset.status in SERVABLE:
        return "" if asset.original_key else "not_stored"
    if asset.status == AssetStatus.WITHDRAWN:
        return "withdrawn"
    if asset.status != AssetStatus.PUBLISHED:
        return "not_found"  # embargoed, rejected ... do not exist for buyers
    if not asset.original_key:
        return "not_stored"  # published from its record, the file not yet copied to us
    return ""


def _refusal_message(refused: dict[int, str], *, requested: int) -> str:
    """Why nothing was granted. Skipping the refused assets is suggested only when it would
    leave something to grant: never when every asset is refused."""
    counts = Counter(refused.values())
    parts = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(counts.items()))
    refused_count = len(refused)
    if refused_count == requested:
        about = (
            f"The requested asset cannot be downloaded ({parts})"
            if requested == 1
            else f"None of the {requested} requested assets can be downloaded ({parts})"
        )
        return f"{about}; nothing was granted or charged."
    about = ngettext(
        "%(count)d of the %(requested)d requested assets cannot be downloaded",
        "%(count)d of the %(requested)d requested assets cannot be downloaded",
        refused_count,
    ) % {"count": refused_count, "requested": requested}
    remove = ngettext("Remove it", "Remove them", refused_count)
    return (
        f"{about} ({parts}); nothing was granted or charged. {remove}, or send "
        "skip_unavailable=true to get the rest."
    )


def _offer_of(asset_id: int, existing: dict, offers: dict) -> int | None:
    """The offer whose file a download of this asset serves (None: the base set)."""
    if asset_id in existing:
        return existing[asset_id].offer_id
    return offers[asset_id].offer_id if asset_id in offers else None


def _unreadable_words(asset_ids: list[int]) -> str:
    return f" {unreadable_works(asset_ids)} Our moderators have been told."


def _use_words(refused: dict[int, str], assets: dict[int, Licensable], use: str) -> str:
    """For works refused for their use: which uses their offers allow."""
    words = []
    for i, reason in refused.items():
        offer = assets[i].offer if i in assets else None
        if reason == "use_not_allowed" and offer:
            allowed = ", ".join(u for u in Use.values if u in offer.use_prices)
            words.append(f"asset {i} is not offered for {use}; its offer allows {allowed}")
        elif reason == "purpose_not_allowed" and offer:
            words.append(f"asset {i} is not offered for that purpose")
    if any(reason == "use_required" for reason in refused.values()):
        words.append(f"name the use (one of {', '.join(Use.values)}) to license opt-in works")
    return (" " + "; ".join(words)[:1].upper() + "; ".join(words)[1:] + ".") if words else ""


def _charge_key(buyer, idempotency_key: str) -> str:
    """The ledger charge's key: the client's key when one came (hashed when longer than the
    ledger keeps), a fresh one otherwise."""
    key = idempotency_key or uuid.uuid4().hex
    if len(key) > 100:
        key = hashlib.sha256(key.encode()).hexdigest()
    return f"downloads:{buyer.pk}:{key}"


GRANT_COLUMNS = ("buyer_id", "asset_id", "offer_id", "terms_id", "license", "price_micros",
                 "fee_micros", "purpose", "use", "purpose_note", "charge_key",
                 "created_at")  # fmt: skip
GRANT_TYPES = ("bigint", "bigint", "bigint", "bigint", "text", "bigint", "bigint", "text", "text",
               "text", "text", "timestamptz")  # fmt: skip


def _grants_insert(grants: list[DownloadGrant]) -> list[DownloadGrant]:
    """Insert grants, setting their ids, in one INSERT over arrays: for 10,000 grants it takes
    a fraction of the time bulk_create needs to build its statement, and a single grant is
    cheaper this way too."""
    if not grants:
        return grants
    columns = ", ".join(GRANT_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for kind in GRANT_TYPES)
    values = [[getattr(g, name) for g in grants] for name in GRANT_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {DownloadGrant._meta.db_table} ({columns}) "  # noqa: S608 - constants
            f"SELECT * FROM unnest({arrays}) RETURNING id, asset_id",
            values,
        )
        ids = dict((asset_id, pk) for pk, asset_id in cursor.fetchall())
        for grant in grants:
            grant.pk = grant.id = ids[grant.asset_id]
            grant._state.adding, grant._state.db = False, "default"
    return grants


def _earlier_grants(buyer, assets: dict[int, Licensable], use: str) -> dict[int, DownloadGrant]:
    """The buyer's grants that cover downloading these assets for `use` again: for an
    opt-in work the grant for that use; for the base set (every use allowed) any grant,
    the one for that use first."""
    granted = [i for i, asset in assets.items() if asset.granted]
    if not granted:
        return {}
    grants = DownloadGrant.objects.filter(buyer=buyer, asset_id__in=granted)
    existing: dict[int, DownloadGrant] = {}
    for grant in grants.select_related("terms").order_by("pk"):
        if grant.use == use:
            existing[grant.asset_id] = grant
        elif assets[grant.asset_id].license != License.OPT_IN:
            existing.setdefault(grant.asset_id, grant)
    return existing


def _decide(buyer, ids: list[int], purpose: str, use: str, *, lock: bool = True):
    """What licensing `ids` for `purpose` and `use` would do: the assets as licensing reads
    them, the buyer's earlier grants for that use among them (re-downloads), the refused
    ones with their reason, and the current offers of the new opt-in grants (what they
    cost)."""
    assets = _licensables(buyer, ids, use, lock=lock)
    existing = _earlier_grants(buyer, assets, use)
    refused = {i: reason for i in ids if (reason := _reason(assets.get(i), granted=i in existing))}
    new_opt_in = [
        i for i in ids if i not in refused and i not in existing
        and assets[i].license == License.OPT_IN
    ]  # fmt: skip
    offers = {i: assets[i].offer for i in new_opt_in if assets[i].offer}
    for i in new_opt_in:
        if i not in offers:
            refused[i] = "withdrawn"
        elif not use:
            refused[i] = "use_required"
        elif use not in offers[i].use_prices:
            refused[i] = "use_not_allowed"
        elif not offers[i].allows(purpose):
            refused[i] = "purpose_not_allowed"
    return assets, existing, refused, offers


class SpendingNotAllowed(DomainError):
    code = "insufficient_scope"
    status_code = 403


def _refuse_spending(wanted: list[int], existing: dict, offers: dict, fee: int, use: str) -> None:
    costly = [i for i in wanted if i not in existing and i in offers
              and offers[i].price_micros(use) + fee > 0]  # fmt: skip
    if costly:
        total = sum(offers[i].price_micros(use) + fee for i in costly)
        raise SpendingNotAllowed(
            f"This token may not spend from the wallet, and {len(costly)} of these assets "
            f"would cost USD {usd(total)} in all. Use a token with the `purchase` scope, or "
            "leave them out.",
            fields={str(i): ["needs_purchase_scope"] for i in costly},
        )


@transaction.atomic
def downloads_grant(
    *,
    buyer,
    asset_ids: list[int],
    purpose: str,
    use: str = "",
    purpose_note: str = "",
    skip_unavailable: bool = False,
    idempotency_key: str = "",
    may_spend: bool = True,
) -> DownloadResult:
    """License `asset_ids` for `buyer`, for one `use`, and return their links. An opt-in
    work needs a use its current offer allows and is charged that use's price; a grant
    for another use of it does not cover this one. The base set allows every use (`use`
    may be empty then). `may_spend=False` (an API token without the purchase scope)
    refuses the whole request when it would charge the wallet: only free assets and
    assets already licensed for this use go through."""
    if use and use not in Use.values:
        raise DomainError(
            f"Unknown use; the uses are {', '.join(Use.values)}.",
            code="invalid",
            fields={"use": [f"One of {', '.join(Use.values)}."]},
        )
    ids = list(dict.fromkeys(asset_ids))
    if not ids:
        raise DomainError("Name at least one asset.", code="invalid",
                          fields={"asset_ids": ["Empty."]})  # fmt: skip
    if len(ids) > settings.DOWNLOAD_MAX_ASSETS:
        raise DomainError(
            ngettext(
                "At most %(n)d asset per request.",
                "At most %(n)d assets per request.",
                settings.DOWNLOAD_MAX_ASSETS,
            )
            % {"n": settings.DOWNLOAD_MAX_ASSETS},
            code="invalid",
            fields={"asset_ids": [f"{len(ids)} given."]},
        )
    usage, period = quota_lock(buyer)
    assets, existing, refused, offers = _decide(buyer, ids, purpose, use)
    # The files first, before anything is counted or charged: a work whose stored original
    # cannot be read is refused like any asset that cannot be licensed now.
    unreadable: dict[int, StoredFileUnreadable] = {}
    offer_of = {i: _offer_of(i, existing, offers) for i in ids if i not in refused}
    files = offer_files(offer_of.values(), unreadable=unreadable)
    refused.update((i, UNREADABLE) for i, offer_id in offer_of.items() if offer_id in unreadable)
    unreadable_ids = [i for i, reason in refused.items() if reason == UNREADABLE]
    detail = "; ".join(error.detail for error in unreadable.values())
    wanted = [i for i in ids if i not in refused]
    if refused and (not wanted or not skip_unavailable):
        message = _refusal_message(refused, requested=len(ids)) + _use_words(refused, assets, use)
        fields = {str(i): [r] for i, r in refused.items()}
        if unreadable_ids:
            message += _unreadable_words(unreadable_ids)
            raise UnreadableRefused(message, asset_ids=unreadable_ids, detail=detail, fields=fields)
        raise DownloadRefused(message, fields=fields)
    if unreadable_ids:  # skipped: this transaction commits, and the report with it
        originals_unreadable_report(asset_ids=unreadable_ids, actor=buyer.get_username(),
                                    detail=detail)  # fmt: skip
    fee, now = platform_fee_micros(), timezone.now()
    if not may_spend:
        _refuse_spending(wanted, existing, offers, fee, use)
    quota = quota_consume(usage, period, count=len(wanted))

    new_ids = [i for i in wanted if i not in existing]
    charge_key = _charge_key(buyer, idempotency_key)
    grants = _grants_insert(
        [
            DownloadGrant(
                buyer=buyer,
                asset_id=i,
                offer_id=offers[i].offer_id if i in offers else None,
                terms_id=offers[i].terms_id if i in offers else None,
                license=assets[i].license,
                price_micros=offers[i].price_micros(use) if i in offers else 0,
                fee_micros=fee if i in offers else 0,
                purpose=purpose,
                use=use,
                purpose_note=purpose_note,
                charge_key=charge_key if i in offers and offers[i].price_micros(use) + fee else "",
                created_at=now,
            )
            for i in new_ids
        ]
    )
    by_asset = {**existing, **{g.asset_id: g for g in grants}}
    terms = {i: offers[i].terms_version if i in offers else "" for i in new_ids}
    terms.update((i, g.terms.version if g.terms_id else "") for i, g in existing.items())
    events_append(
        ProvenanceEvent(
            asset_id=i,
            kind=REPEATED if i in existing else GRANTED,
            actor=buyer.get_username(),
            data={
                "buyer_id": buyer.pk,
                "grant_id": by_asset[i].pk,
                "purpose": purpose,
                "use": use or by_asset[i].use,
                "price_micros": by_asset[i].price_micros if i not in existing else 0,
                "fee_micros": by_asset[i].fee_micros if i not in existing else 0,
                "terms": terms[i],
            },
        )
        for i in wanted
    )
    # The charge comes last: the platform's revenue account is a row every paid download
    # updates, and it stays locked from here to the commit.
    paid = [g for g in grants if g.offer_id]
    charge = charge_downloads(
        buyer=buyer,
        items=[ChargeItem(f"asset:{g.asset_id}", offers[g.asset_id].owner_id, g.price_micros)
               for g in paid],
        idempotency_key=charge_key,
    )  # fmt: skip
    # An opt-in grant downloads its offer's file (in `files`), with its terms written in.
    delivered = [
        Delivered(by_asset[i], i not in existing,
                  download_link(grant_id=by_asset[i].pk,
                                key=_served_key(by_asset[i], assets[i], files)),
                  terms[i])
        for i in wanted
    ]  # fmt: skip
    charged = sum(g.price_micros + g.fee_micros for g in grants)
    paid_wallet = charge.wallet_micros if charge else None
    wallet = wallet_balance(buyer) if paid_wallet is None else paid_wallet
    receipt = receipt_issue(
        buyer=buyer,
        grants=[
            {
                "grant_id": by_asset[i].pk,
                "asset_id": i,
                "sha256": _served_sha256(by_asset[i], assets[i], files),
                "use": grant_use(by_asset[i]) or None,  # None: a base-set grant, every use
                "purpose": by_asset[i].purpose,
                "price_micros": by_asset[i].price_micros,
                "fee_micros": by_asset[i].fee_micros,
                "terms_version": terms[i],
            }
            for i in wanted
        ],
    )
    return DownloadResult(delivered, refused, charged, quota, wallet, receipt)


def _served_key(grant: DownloadGrant, asset: Licensable, files: dict) -> str:
    return files[grant.offer_id].key if grant.offer_id else asset.original_key


def _served_sha256(grant: DownloadGrant, asset: Licensable, files: dict) -> str:
    """The hash of the file the grant downloads, so a receipt proves what was delivered."""
    return files[grant.offer_id].sha256 if grant.offer_id else asset.sha256


@dataclass(frozen=True)
class LicenseQuote:
    """What licensing a set of assets would do now, before the buyer confirms: the same
    decisions `downloads_grant` makes, read without locking or writing anything."""

    requested: int
    free: list[int]  # new base-set grants: no charge
    paid: list[int]  # new opt-in grants: price + fee each
    again: list[int]  # held already: free, counted against the quota
    refused: dict[int, str]  # asset id -> reason it cannot be licensed now
    price_micros: int  # the artists' prices of the paid ones
    fee_micros: int  # the platform's fees on them
    quota: QuotaStatus
    wallet_micros: int
    wallet_frozen: bool

    @property
    def granted_count(self) -> int:
        return len(self.free) + len(self.paid) + len(self.again)

    @property
    def total_micros(self) -> int:
        return self.price_micros + self.fee_micros

    @property
    def quota_after(self) -> int:
        return self.quota.remaining - self.granted_count

    @property
    def wallet_after(self) -> int:
        return self.wallet_micros - self.total_micros

    @property
    def shortfall_micros(self) -> int:
        return max(0, -self.wallet_after)


def downloads_quote(*, buyer, asset_ids: list[int], purpose: str, use: str = "") -> LicenseQuote:
    """What `downloads_grant` would grant, charge and count for these assets, for this use,
    if the buyer skipped the refused ones. Nothing is locked or written: the answer may
    change before the buyer confirms, and `downloads_grant` decides again then."""
    ids = list(dict.fromkeys(asset_ids))[: settings.DOWNLOAD_MAX_ASSETS]
    decided = _decide(buyer, ids, purpose, use, lock=False) if ids else ({}, {}, {}, {})
    _, existing, refused, offers = decided
    # Works whose file was found unreadable lately are refused here too (without reading
    # the file), so the buyer can choose to license the others.
    offer_of = {i: offer for i in ids if i not in refused
                and (offer := _offer_of(i, existing, offers))}  # fmt: skip
    refused.update((i, UNREADABLE) for i in unreadable_reported(offer_of))
    wanted = [i for i in ids if i not in refused]
    paid = [i for i in wanted if i not in existing and i in offers]
    fee = platform_fee_micros()
    wallet = wallet_state(buyer)
    return LicenseQuote(
        requested=len(ids),
        free=[i for i in wanted if i not in existing and i not in offers],
        paid=paid,
        again=[i for i in wanted if i in existing],
        refused=refused,
        price_micros=sum(offers[i].price_micros(use) for i in paid),
        fee_micros=fee * len(paid),
        quota=buyer_quota(buyer),
        wallet_micros=wallet.balance_micros,
        wallet_frozen=wallet.frozen,
    )


def grants_of(buyer):
    """The buyer's license grants, newest first, with their asset and terms."""
    return (
        DownloadGrant.objects.filter(buyer=buyer)
        .select_related("asset", "terms")
        .order_by("-created_at", "-pk")
    )
