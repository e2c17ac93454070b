"""Cloning: copy each accepted original once into our storage, then dedupe it.

Workers claim assets in batches (SKIP LOCKED, so several workers never take the same one),
download and decode in a thread pool, store under content-addressed keys, then settle the
batch in one short transaction: opt-out by content hash, exact and near duplicates.
Machine-readable consent signals (the host's tdmrep.json and robots.txt, the response's
headers, the file's XMP and C2PA) are weighed per asset (`catalog.clone_consent`): a
reservation of training rejects it, with the decision kept in the clone event. A stored
canonical asset is scored by the classifiers next, and published only then
(`catalog.publishing`): a score over the hold threshold sends it to review first.
State lives on each asset (`clone_state`), so a crashed run resumes where it stopped and a
finished asset is never downloaded again."""

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog import clone_consent
from catalog.clone_consent import CONSENT_UNKNOWN
from catalog.connectors.base import Fetcher, TooLarge, borrowed_fetcher
from catalog.consent.decision import ConsentDecision, decide
from catalog.consent.headers import header_signals
from catalog.consent.hosts import SourcePolicies
from catalog.images import DecodedImage, ImageRejected, decode_image, hamming, phash_bands
from catalog.locks import CLONE_SETTLE, advisory_xact_lock
from catalog.models import OPT_IN_SOURCE, Asset, AssetStatus, CloneState
from catalog.optouts import OPT_OUT, opted_out
from catalog.reports import RunReport
from catalog.signals import assets_stored
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import clones_record, events_append

logger = logging.getLogger(__name__)

ORIGINAL_GONE = "original_gone"
DUPLICATE = "duplicate"
TOO_LARGE = "file_too_large"

# What a new copy is a duplicate of: a stored asset buyers see, were shown, or soon may be
# (a base-set asset waiting for its scores or held for review). Uploads waiting for their
# owner's offer are not: an upload matching the base set is the suspect one.
CANONICAL_STATUS = Q(status__in=[AssetStatus.PUBLISHED, AssetStatus.TAKEN_DOWN]) | (
    Q(status__in=[AssetStatus.CANDIDATE, AssetStatus.HELD]) & ~Q(source=OPT_IN_SOURCE)
)

SETTLED_FIELDS = [
    "status", "rejection_reason", "clone_state", "clone_attempts", "clone_error", "canonical",
    "sha256", "perceptual_hash", "phash_band0", "phash_band1", "phash_band2", "phash_band3",
    "width", "height", "mime_type", "byte_size", "original_key", "thumbnail_key", "updated_at",
]  # fmt: skip


@dataclass
class Fetched:
    """What happened to one asset's download: stored, rejected for good, or failed for now."""

    asset_id: int
    image: DecodedImage | None = None
    original_key: str = ""
    thumbnail_key: str = ""
    rejected: str = ""  # a reason: this asset will not be published
    failed: str = ""  # a transient failure: try again later
    consent: ConsentDecision | None = None  # what the consent signals decided, if read


def opt_out_headers(headers: httpx.Headers) -> bool:
    """Whether the response's headers alone reserve a training use (`X-Robots-Tag:
    noai`/`noimageai`, `tdm-reservation: 1`, `Content-Usage: train-ai=n` ...)."""
    signals = header_signals(headers, url="", read_at=timezone.now())
    return decide(signals).training_reserved


def storage_key(kind: str, sha256: str, extension: str) -> str:
    return f"{kind}/{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def _store(key: str, data: bytes) -> str:
    storage = storages["default"]
    if storage.exists(key):  # content-addressed: same bytes, same key, stored once
        return key
    saved = storage.save(key, ContentFile(data))
    if saved != key:  # another worker stored the same bytes meanwhile: keep one copy
        storage.delete(saved)
    return key


def fetch_one(
    fetcher: Fetcher, asset_id: int, url: str, policies: SourcePolicies | None = None
) -> Fetched:
    """Check the host's consent signals, download, check, decode and store one original.
    Never raises."""
    try:
        source, failures, early = clone_consent.before_download(policies, url)
    except Exception as exc:  # a bug reading a host's files must not stop the batch
        return Fetched(asset_id, failed=f"consent: {type(exc).__name__}: {exc}"[:500])
    if early.training_reserved:  # not even downloaded
        return Fetched(asset_id, rejected=clone_consent.rejection_reason(early), consent=early)
    if early.training_unknown:
        return Fetched(asset_id, failed=clone_consent.unknown_error(early), consent=early)
    try:
        response, data = fetcher.download(url, max_bytes=settings.CLONE_MAX_BYTES)
    except TooLarge as exc:
        return Fetched(asset_id, rejected=TOO_LARGE, failed=str(exc))
    except Exception as exc:  # transport errors, 5xx after retries: try again later
        return Fetched(asset_id, failed=f"{type(exc).__name__}: {exc}"[:500])
    ok = response.status_code < 400
    try:
        consent = clone_consent.after_download(source, failures, response,
                                               data if ok else None, url=url)  # fmt: skip
    except Exception as exc:  # a reader's bug on one odd file must not stop the batch
        logger.exception("consent signals of %s could not be read", url)
        return Fetched(asset_id, failed=f"consent: {type(exc).__name__}: {exc}"[:500])
    if consent.training_reserved:
        reason = clone_consent.rejection_reason(consent)
        return Fetched(asset_id, rejected=reason, consent=consent)
    if response.status_code in (404, 410):
        return Fetched(asset_id, rejected=ORIGINAL_GONE)
    if not ok:
        return Fetched(asset_id, failed=f"HTTP {response.status_code}")
    try:
        image = decode_image(
            data, max_pixels=settings.CLONE_MAX_PIXELS, thumbnail_size=settings.THUMBNAIL_SIZE
        )
    except ImageRejected as exc:
        return Fetched(asset_id, rejected=exc.reason, failed=str(exc)[:500], consent=consent)
    try:
        original_key = _store(storage_key("originals", image.sha256, image.extension), data)
        thumbnail_key = _store(storage_key("thumbnails", image.sha256, "jpg"), image.thumbnail)
    except Exception as exc:  # storage unavailable: nothing is lost, retry later
        return Fetched(asset_id, failed=f"storage: {type(exc).__name__}: {exc}"[:500])
    return Fetched(asset_id, image=image, original_key=original_key, thumbnail_key=thumbnail_key,
                   consent=consent)  # fmt: skip


def claim_batch(size: int, *, run_started: datetime) -> list[tuple[int, str]]:
    """Take up to `size` assets to clone: pending ones, ones that failed in an earlier run,
    and ones claimed by a worker that died."""
    now = timezone.now()
    stale = now - timedelta(minutes=settings.CLONE_CLAIM_MINUTES)
    with transaction.atomic():
        rows = list(
            Asset.objects.select_for_update(skip_locked=True)
            .filter(status=AssetStatus.CANDIDATE)
            .filter(
                Q(clone_state=CloneState.PENDING)
                | Q(clone_state=CloneState.FAILED, clone_claimed_at__lt=run_started)
                | Q(clone_state=CloneState.CLAIMED, clone_claimed_at__lt=stale)
            )
            .exclude(original_url="")
            .order_by("pk")
            .values_list("pk", "original_url")[:size]
        )
        Asset.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            clone_state=CloneState.CLAIMED, clone_claimed_at=now
        )
    return rows


def settle(results: list[Fetched], *, report: RunReport, actor: str) -> None:
    """Record a batch's outcomes: keep the new originals that are neither opted out nor
    duplicates (they stay candidates until the classifiers score them, see
    `catalog.publishing`), link duplicates to their canonical asset, count failures for
    retry."""
    now = timezone.now()
    with transaction.atomic():
        advisory_xact_lock(CLONE_SETTLE)  # two copies must never both become canonical
        assets = {
            a.pk: a
            for a in Asset.objects.select_for_update()
            .filter(pk__in=[r.asset_id for r in results])
            .order_by("pk")
        }
        stored = [r for r in results if r.image and r.asset_id in assets]
        blocked = {stored[i].asset_id for i in opted_out(("", "", r.image.sha256) for r in stored)}
        canonical_for = _canonicals(stored, assets)
        events, cloned = [], {}
        for result in sorted(results, key=lambda r: r.asset_id):
            asset = assets.get(result.asset_id)
            if asset is None:
                continue
            if asset.status != AssetStatus.CANDIDATE:  # taken down or re-decided meanwhile
                asset.clone_state = CloneState.PENDING
            elif result.image:
                _apply_image(asset, result)
                cloned[asset.pk] = result.image.sha256
                events.append(_event(asset, EventKind.CLONE_DONE, actor, sha256=asset.sha256,
                                     **_consent(result)))  # fmt: skip
                canonical = canonical_for.get(asset.pk)
                if asset.pk in blocked:
                    _reject(asset, OPT_OUT, report)
                    events.append(_event(asset, EventKind.CLONE_REJECTED, actor, OPT_OUT))
                elif canonical:
                    asset.canonical_id = canonical
                    _reject(asset, DUPLICATE, report)
                    report.duplicates += 1
                    events.append(_event(asset, EventKind.DEDUPE_LINKED, actor, DUPLICATE,
                                         canonical=canonical))  # fmt: skip
                else:
                    report.accept(str(asset.pk))
            elif result.rejected:
                asset.clone_state = CloneState.DONE
                asset.clone_error = result.failed
                _reject(asset, result.rejected, report)
                events.append(_event(asset, EventKind.CLONE_REJECTED, actor, result.rejected,
                                     **_consent(result)))  # fmt: skip
            else:
                asset.clone_attempts += 1
                asset.clone_error = result.failed[:500]
                gave_up = asset.clone_attempts >= settings.CLONE_MAX_ATTEMPTS
                asset.clone_state = CloneState.GAVE_UP if gave_up else CloneState.FAILED
                report.error(f"asset {asset.pk}: {result.failed}")
                reason = CONSENT_UNKNOWN if _unknown(result) else "clone_failed"
                events.append(_event(asset, EventKind.CLONE_FAILED, actor, reason,
                                     error=result.failed[:200], gave_up=gave_up,
                                     **_consent(result)))  # fmt: skip
            asset.updated_at = now
        # An upsert on the primary key writes the batch in one statement; bulk_update's
        # CASE expressions are several times slower for this many columns.
        Asset.objects.bulk_create(
            assets.values(),
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=SETTLED_FIELDS,
        )
        clones_record(cloned_at=now, sha256_by_asset=cloned)
        events_append(events)
        if cloned:
            assets_stored.send(sender=Asset, asset_ids=sorted(cloned))


def _apply_image(asset: Asset, result: Fetched) -> None:
    image = result.image
    asset.sha256, asset.perceptual_hash = image.sha256, image.perceptual_hash
    (asset.phash_band0, asset.phash_band1, asset.phash_band2, asset.phash_band3) = phash_bands(
        image.perceptual_hash
    )
    asset.width, asset.height = image.width, image.height
    asset.mime_type, asset.byte_size = image.mime_type, image.byte_size
    asset.original_key, asset.thumbnail_key = result.original_key, result.thumbnail_key
    asset.clone_state, asset.clone_error = CloneState.DONE, ""


def _reject(asset: Asset, reason: str, report: RunReport) -> None:
    asset.status, asset.rejection_reason = AssetStatus.REJECTED, reason
    report.reject(str(asset.pk), reason)


def _consent(result: Fetched) -> dict:
    """The consent decision as evidence for the event, when signals were read."""
    return {"consent": result.consent.as_evidence()} if result.consent else {}


def _unknown(result: Fetched) -> bool:
    return bool(result.consent and result.consent.training_unknown)


def _event(asset: Asset, kind: str, actor: str, reason: str = "", **data) -> ProvenanceEvent:
    return ProvenanceEvent(asset_id=asset.pk, kind=kind, reason=reason, actor=actor, data=data)


def _canonicals(stored: list[Fetched], assets: dict[int, Asset]) -> dict[int, int]:
    """For each newly stored asset that duplicates an earlier one (same SHA-256, or a
    perceptual hash within DEDUPE_PHASH_MAX_DISTANCE), the id of the canonical asset."""
    if not stored:
        return {}
    shas = {r.image.sha256 for r in stored}
    bands = [phash_bands(r.image.perceptual_hash) for r in stored]
    # Each arm repeats its partial index's predicate so PostgreSQL can use that index.
    condition = Q(sha256__in=shas) & ~Q(sha256="")
    for i in range(4):
        condition |= Q(**{f"phash_band{i}__in": {b[i] for b in bands}}) & Q(
            **{f"phash_band{i}__isnull": False}
        )
    known = list(
        Asset.objects.filter(condition, canonical__isnull=True, clone_state=CloneState.DONE)
        .exclude(pk__in=[r.asset_id for r in stored])
        .filter(CANONICAL_STATUS)
        .values_list("pk", "sha256", "perceptual_hash")
    )
    limit = settings.DEDUPE_PHASH_MAX_DISTANCE
    result: dict[int, int] = {}
    for r in sorted(stored, key=lambda r: r.asset_id):
        image = r.image
        match = next(
            (pk for pk, sha, ph in known
             if sha == image.sha256 or (ph and hamming(ph, image.perceptual_hash) <= limit)),
            None,
        )  # fmt: skip
        if match is not None:
            result[r.asset_id] = match
        else:  # the first of its group in this batch becomes the canonical one
            known.append((r.asset_id, image.sha256, image.perceptual_hash))
    return result


def clone_pending(
    *,
    limit: int | None = None,
    actor: str = "clone_assets",
    fetcher: Fetcher | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunReport:
    """Clone candidates until none is left (or `limit` were tried), batch by batch. The next
    batch downloads while the previous one is settled in the database."""
    report = RunReport(kind="clone")
    report.save()
    started = timezone.now()

    def make() -> Fetcher:
        return Fetcher(
            rate_per_host=settings.CLONE_RATE_PER_HOST,
            max_connections=settings.CLONE_CONCURRENCY,
        )

    try:
        with (
            borrowed_fetcher(fetcher, make) as live,
            ThreadPoolExecutor(max_workers=settings.CLONE_CONCURRENCY) as pool,
        ):
            claimed, in_flight = 0, []
            policies = clone_consent.source_policies(live)  # one look-up per host per run
            while True:
                batch = []
                if limit is None or claimed < limit:
                    size = settings.CLONE_BATCH_SIZE
                    if limit is not None:
                        size = min(size, limit - claimed)
                    batch = claim_batch(size, run_started=started)
                    claimed += len(batch)
                submitted = [pool.submit(fetch_one, live, *row, policies) for row in batch]
                if in_flight:
                    results = [future.result() for future in in_flight]
                    report.seen += len(results)
                    settle(results, report=report, actor=actor)
                    report.save()
                    if progress:
                        progress(len(results))
                if not submitted:
                    break
                in_flight = submitted
    finally:
        report.save(finished=True)
    return report
