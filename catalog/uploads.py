"""Rights holders' uploads, on the catalog's side: the work's description, the assets an
upload duplicates, storing the verified file like a clone, and the opt-in asset with its
provenance. Verifying and cleaning the file itself: catalog.upload_files.

The catalog knows nothing of owners or works: the marketplace passes plain values."""

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db.models import Q
from django.utils import timezone

from catalog.cloning import storage_key
from catalog.images import hamming, phash_bands
from catalog.locks import CLONE_SETTLE, advisory_xact_lock
from catalog.models import OPT_IN_SOURCE, Asset, AssetStatus, CloneState, License
from catalog.search_documents import parse_year, search_documents_refresh
from catalog.signals import assets_stored
from catalog.upload_files import VerifiedImage
from provenance.models import EventKind, ProvenanceEvent, ProvenanceRecord
from provenance.services import Decision, clones_record, events_append, records_upsert

MAX_TAGS, MAX_TAG_LENGTH = 20, 50
MAX_CREATION_DATE_LENGTH = 100


@dataclass(frozen=True)
class WorkText:
    """What the rights holder says about the work (already cleaned, see *_clean below)."""

    title: str
    description: str = ""
    creation_date: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class UploadMatch:
    """An existing asset an upload duplicates: the same file, or a near-identical image."""

    asset_id: int
    source: str
    distance: int  # perceptual-hash bits that differ (0 for the same file)
    same_file: bool


# --- the work's description -------------------------------------------------------------


def creation_date_clean(text: str) -> str:
    """A creation date as people write it ('c. 1850', 'spring 2021') or an ISO date; ISO
    dates must exist and no date may lie in the future. Raises ValueError."""
    text = " ".join(text.split())
    if len(text) > MAX_CREATION_DATE_LENGTH:
        raise ValueError(f"At most {MAX_CREATION_DATE_LENGTH} characters.")
    if re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", text):
        try:
            day = date.fromisoformat(text if len(text) == 10 else f"{text}-01")
        except ValueError:
            raise ValueError(f"{text} is not a date (YYYY-MM-DD).") from None
        if day > timezone.now().date():
            raise ValueError("The date is in the future.")
    year = int(text) if text.isdigit() else parse_year(text)
    if year is not None and year > timezone.now().year:
        raise ValueError("The year is in the future.")
    return text


def tags_clean(tags: Iterable[str]) -> tuple[str, ...]:
    """Up to MAX_TAGS distinct short tags (case-insensitive), in the order given."""
    kept: dict[str, str] = {}
    for raw in tags:
        tag = " ".join(str(raw).split())
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError(f"A tag is at most {MAX_TAG_LENGTH} characters: {tag[:20]}...")
        if any(not ch.isprintable() for ch in tag):
            raise ValueError("Tags are plain text.")
        kept.setdefault(tag.casefold(), tag)
    if len(kept) > MAX_TAGS:
        raise ValueError(f"At most {MAX_TAGS} tags.")
    return tuple(kept.values())


# --- dedupe, storing, the asset ---------------------------------------------------------


def uploads_lock() -> None:
    """Hold, until the caller's transaction ends, the lock under which cloning settles its
    duplicates: an upload and a clone of the same image never both miss each other."""
    advisory_xact_lock(CLONE_SETTLE)


def upload_matches(*, sha256s: Iterable[str], perceptual_hash: str) -> list[UploadMatch]:
    """Stored assets (not rejected) that are the same file as the upload, or whose
    perceptual hash is within DEDUPE_PHASH_MAX_DISTANCE of it, nearest first."""
    shas = {sha for sha in sha256s if sha}
    bands = phash_bands(perceptual_hash)
    condition = Q(sha256__in=shas) & ~Q(sha256="")
    for i in range(4):  # each arm repeats its partial index's predicate
        condition |= Q(**{f"phash_band{i}": bands[i], f"phash_band{i}__isnull": False})
    rows = (
        Asset.objects.filter(condition)
        .exclude(status=AssetStatus.REJECTED)
        .values_list("pk", "source", "sha256", "perceptual_hash")
    )
    limit = settings.DEDUPE_PHASH_MAX_DISTANCE
    matches = []
    for pk, source, sha, phash in rows:
        same = sha in shas
        distance = 0 if same else hamming(phash, perceptual_hash) if phash else 64
        if same or distance <= limit:
            matches.append(UploadMatch(pk, source, distance, same))
    return sorted(matches, key=lambda m: (m.distance, m.asset_id))


def _store(key: str, content: File) -> str:
    storage = storages["default"]
    if storage.exists(key):  # content-addressed: the same bytes are stored once
        return key
    saved = storage.save(key, content)
    if saved != key:  # stored meanwhile by someone else: keep one copy
        storage.delete(saved)
    return key


def upload_store(verified: VerifiedImage) -> tuple[str, str]:
    """Store the cleaned original and its thumbnail under the same content-addressed keys
    as clones; returns (original_key, thumbnail_key). Storing the same bytes again is a
    no-op, so this may run before the database decides, outside its transaction."""
    image = verified.image
    verified.content.seek(0)
    original_key = _store(
        storage_key("originals", image.sha256, image.extension), File(verified.content)
    )
    thumbnail_key = _store(
        storage_key("thumbnails", image.sha256, "jpg"), ContentFile(image.thumbnail)
    )
    return original_key, thumbnail_key


def opt_in_asset_create(
    *,
    verified: VerifiedImage,
    keys: tuple[str, str],
    text: WorkText,
    creator: str,
    uploader_id: int,
    actor: str,
) -> Asset:
    """Create the opt-in asset of a stored upload (a candidate until its owner offers it)
    with its provenance record and event. Inside the caller's transaction."""
    image, now = verified.image, timezone.now()
    original_key, thumbnail_key = keys
    bands = phash_bands(image.perceptual_hash)
    asset = Asset.objects.create(
        source=OPT_IN_SOURCE,
        source_record_id=uuid.uuid4().hex,
        title=text.title,
        description=text.description,
        creation_date=text.creation_date,
        year=parse_year(text.creation_date),
        tags=list(text.tags),
        creator=creator,
        license=License.OPT_IN,
        status=AssetStatus.CANDIDATE,
        clone_state=CloneState.DONE,
        width=image.width,
        height=image.height,
        mime_type=image.mime_type,
        byte_size=image.byte_size,
        sha256=image.sha256,
        perceptual_hash=image.perceptual_hash,
        phash_band0=bands[0],
        phash_band1=bands[1],
        phash_band2=bands[2],
        phash_band3=bands[3],
        original_key=original_key,
        thumbnail_key=thumbnail_key,
    )
    evidence = {
        "filename": verified.filename,
        "received_sha256": verified.received_sha256,
        "metadata_removed": list(verified.removed),
    }
    embedded = verified.embedded
    if embedded and embedded.signals:  # consent signals of the file as received
        evidence["embedded_signals"] = [s.as_evidence() for s in embedded.signals]
    if embedded and embedded.c2pa:
        evidence["c2pa_state"] = embedded.c2pa.state
    records_upsert(
        [
            Decision(
                asset_id=asset.pk,
                source=OPT_IN_SOURCE,
                source_record_id=asset.source_record_id,
                decision="accepted",
                retrieved_at=now,
                license=License.OPT_IN,
                creator=creator,
                evidence=evidence,
            )
        ]
    )
    clones_record(cloned_at=now, sha256_by_asset={asset.pk: image.sha256})
    # provenance.services has no uploader parameter yet: set it on the record just written.
    ProvenanceRecord.objects.filter(asset_id=asset.pk).update(uploader_id=uploader_id)
    events_append(
        [
            ProvenanceEvent(
                asset_id=asset.pk,
                kind=EventKind.UPLOAD_STORED,
                actor=actor,
                data={"sha256": image.sha256, "uploader_id": uploader_id, **evidence},
            )
        ]
    )
    assets_stored.send(sender=Asset, asset_ids=[asset.pk])
    return asset


def opt_in_asset_describe(*, asset_id: int, actor: str, **changes) -> Asset:
    """Change an opt-in asset's title, description, creation date or tags (already
    cleaned), and keep its search document in step. Inside the caller's transaction."""
    allowed = {"title", "description", "creation_date", "tags"}
    if not changes or set(changes) - allowed:
        raise ValueError(f"only {sorted(allowed)} can be changed")
    asset = Asset.objects.select_for_update().get(pk=asset_id, source=OPT_IN_SOURCE)
    for name, value in changes.items():
        setattr(asset, name, list(value) if name == "tags" else value)
    if "creation_date" in changes:
        asset.year = parse_year(asset.creation_date)
    asset.save(update_fields=[*changes, "year", "updated_at"])
    search_documents_refresh([asset.pk])
    events_append(
        [
            ProvenanceEvent(
                asset_id=asset.pk,
                kind=EventKind.UPLOAD_DESCRIBED,
                actor=actor,
                data={"changed": sorted(changes)},
            )
        ]
    )
    return asset
