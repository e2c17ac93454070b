"""The catalog's public writes: what other apps may change in the catalog. Defined here:
the state of opt-in works as their owners offer them, their deletion, and takedowns; the
others in the catalog module named beside them. Other apps use these (and the catalog's
selectors and models), never the catalog's other modules (enforced in `make lint`)."""

from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Q

from catalog.cloning import clone_pending
from catalog.connectors.base import Candidate, Fetcher
from catalog.embargo import release_embargoed
from catalog.holds import NotApplicable, asset_hold_clear, asset_mark_sensitive, assets_hold
from catalog.ingest import ingest_candidates
from catalog.models import OPT_IN_SOURCE, Asset, AssetStatus, Use
from catalog.publishing import assets_publish_checked
from catalog.releases import release_build, release_for_build
from catalog.reports import RunReport
from catalog.scores import scores_record
from catalog.search_documents import search_documents_refresh
from catalog.served import OriginalUnreadable, TermsCopy, terms_copy_store
from catalog.signals import asset_restoring, asset_taken_down, asset_taking_down
from catalog.uploads import opt_in_asset_create, opt_in_asset_describe, upload_store, uploads_lock
from common.errors import DomainError
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

__all__ = [
    "Candidate",
    "Fetcher",
    "NotApplicable",
    "OriginalUnreadable",
    "RunReport",
    "TermsCopy",
    "asset_hold_clear",
    "asset_mark_sensitive",
    "asset_restore",
    "asset_staff_edit",
    "asset_take_down",
    "assets_hold",
    "assets_publish_checked",
    "clone_pending",
    "ingest_candidates",
    "opt_in_asset_create",
    "opt_in_asset_delete",
    "opt_in_asset_describe",
    "opt_in_asset_offer",
    "release_embargoed",
    "scores_record",
    "terms_copy_store",
    "upload_store",
    "uploads_lock",
]  # fmt: skip

# What staff may change by hand in the admin (each change audited): the record's words and
# its license. Status changes are decisions, made in the review queue (moderation).
STAFF_EDITABLE = ("title", "creator", "creator_url", "description", "creation_date",
                  "institution", "tags", "license")  # fmt: skip

# A moderator's takedown is never undone by an owner's offer.
OWNER_SETTABLE = (AssetStatus.CANDIDATE, AssetStatus.PUBLISHED, AssetStatus.WITHDRAWN)


@transaction.atomic
def opt_in_asset_offer(*, asset_id: int, status: str, use_prices: dict[str, int] | None) -> bool:
    """Set an opt-in asset's status, and the uses its current offer allows with their prices
    (None: not on offer), and keep search in step. Returns False (and changes nothing) when
    the asset was taken down or is held for review: a moderator's decision comes first, and
    clearing a hold refreshes the offer."""
    if status not in OWNER_SETTABLE:
        raise ValueError(f"an owner cannot set status {status!r}")
    unknown = set(use_prices or ()) - set(Use.values)
    if unknown:
        raise ValueError(f"unknown uses {sorted(unknown)}")
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if asset.status in (AssetStatus.TAKEN_DOWN, AssetStatus.HELD):
        return False
    asset.status = status
    asset.use_prices = dict(use_prices) if use_prices else None
    asset.price_micros = min(use_prices.values()) if use_prices else None
    asset.save(update_fields=["status", "price_micros", "use_prices", "updated_at"])
    search_documents_refresh([asset.pk] if status == AssetStatus.PUBLISHED else [])
    return True


@transaction.atomic
def asset_take_down(*, asset_id: int, actor: str, reason: str, note: str = "") -> bool:
    """Take an asset down everywhere at once: search and detail stop showing it, new grants
    are refused, download links stop working and manifests leave it out (they all read the
    status). Returns False, changing nothing, when it was already down."""
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if asset.status == AssetStatus.TAKEN_DOWN:
        return False
    previous = asset.status
    asset.status = AssetStatus.TAKEN_DOWN
    asset.save(update_fields=["status", "updated_at"])
    events_append(
        [
            ProvenanceEvent(
                asset_id=asset_id,
                kind=EventKind.TAKEN_DOWN,
                reason=reason,
                actor=actor,
                data={"previous_status": previous, "note": note},
            )
        ]
    )
    asset_taking_down.send(sender=Asset, asset_id=asset_id, reason=reason, previous_status=previous)
    transaction.on_commit(
        lambda: asset_taken_down.send(sender=Asset, asset_id=asset_id, reason=reason)
    )
    return True


@transaction.atomic
def asset_restore(*, asset_id: int, actor: str, note: str = "") -> bool:
    """Undo a takedown: the asset returns to the status it had. False if it was not down."""
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if asset.status != AssetStatus.TAKEN_DOWN:
        return False
    last = (
        ProvenanceEvent.objects.filter(asset_id=asset_id, kind=EventKind.TAKEN_DOWN)
        .order_by("-id")
        .first()
    )
    asset.status = (last.data.get("previous_status") if last else "") or AssetStatus.PUBLISHED
    asset.save(update_fields=["status", "updated_at"])
    if asset.status == AssetStatus.PUBLISHED:
        search_documents_refresh([asset.pk])
    events_append(
        [
            ProvenanceEvent(
                asset_id=asset_id, kind=EventKind.RESTORED, actor=actor,
                data={"status": asset.status, "note": note},
            )
        ]
    )  # fmt: skip
    asset_restoring.send(sender=Asset, asset_id=asset_id, status=asset.status)
    return True


@transaction.atomic
def opt_in_asset_delete(*, asset_id: int, actor: str) -> None:
    """Delete an opt-in asset nobody licensed (the caller checks), with its scores and
    flags; its stored files go once the deletion commits, unless another asset shares them
    (files are stored by content). Its audit-log history stays, ending with the deletion."""
    asset = Asset.objects.select_for_update().get(pk=asset_id, source=OPT_IN_SOURCE)
    keys = [key for key in (asset.original_key, asset.thumbnail_key) if key]
    events_append(
        [
            ProvenanceEvent(
                asset_id=asset_id, kind=EventKind.UPLOAD_DELETED, actor=actor,
                data={"sha256": asset.sha256, "title": asset.title},
            )
        ]
    )  # fmt: skip
    asset.delete()
    shared = set(
        Asset.objects.filter(Q(original_key__in=keys) | Q(thumbnail_key__in=keys)).values_list(
            "original_key", "thumbnail_key"
        )
    )
    unused = [key for key in keys if not any(key in pair for pair in shared)]
    transaction.on_commit(lambda: [storages["default"].delete(key) for key in unused])


@transaction.atomic
def asset_staff_edit(*, asset_id: int, changes: dict, staff, note: str = "") -> list[str]:
    """Apply a staff member's edits to an asset (fields of STAFF_EDITABLE only) and record
    them in the audit log: each field before and after, who, and their note (required for a
    license change: the license is what buyers rely on). Returns the fields changed."""
    refused = sorted(set(changes) - set(STAFF_EDITABLE))
    if refused:
        raise ValueError(f"not editable by hand: {', '.join(refused)}")
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    changed = {name: value for name, value in changes.items() if getattr(asset, name) != value}
    if not changed:
        return []
    note = note.strip()
    if "license" in changed and not note:
        raise DomainError(
            "Say why the license changes: buyers rely on it.",
            code="note_required",
            fields={"note": ["Required to change the license."]},
        )
    before = {name: getattr(asset, name) for name in changed}
    for name, value in changed.items():
        setattr(asset, name, value)
    asset.save(update_fields=[*changed, "updated_at"])
    search_documents_refresh([asset.pk] if asset.status == AssetStatus.PUBLISHED else [])
    events_append([
        ProvenanceEvent(
            asset_id=asset.pk, kind=EventKind.STAFF_ASSET_EDITED, actor=staff.get_username(),
            data={"changes": {n: [before[n], changed[n]] for n in changed}, "note": note},
        )
    ])  # fmt: skip
    return sorted(changed)


def release_build_now(
    *, name: str, version: str, filters: dict, description: str, actor: str, base_url: str
):
    """Create (or take up again) a dataset release and build it in this process, as the
    `build_release` command does. Returns the built release."""
    release = release_for_build(name=name, version=version, filters=filters,
                                description=description, created_by=actor)  # fmt: skip
    return release_build(release.pk, actor=actor, base_url=base_url)
