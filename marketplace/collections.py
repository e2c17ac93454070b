"""Buyers' collections. A collection is public (anyone may read it by its id, nobody but
its owner may change it, and none is ever listed to others) unless it is private: private
collections, for the Curation plan, are seen by their owner only."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import ngettext

from billing.selectors import plan_for
from catalog.models import Asset, AssetStatus
from catalog.selectors import license_counts
from common.errors import AlreadyExists, DomainError, NotFound
from marketplace.models import Collection, CollectionItem
from provenance.selectors import Datasheet, audit_log_head, source_counts, takedown_reasons, tally

MAX_ITEMS_PER_CALL = 10_000


class PlanRequired(DomainError):
    code = "plan_required"
    status_code = 403


def _check_private_allowed(owner, private: bool) -> None:
    if private and not plan_for(owner).plan.private_collections:
        raise PlanRequired(
            "Private collections come with the Curation plan; subscribe to keep one.",
            fields={"private": ["Needs the Curation plan."]},
        )


def collection_for_owner(*, owner, collection_id: int, lock: bool = False) -> Collection:
    collections = Collection.objects.all()
    if lock:
        collections = collections.select_for_update()
    collection = collections.filter(pk=collection_id, owner=owner).first()
    if collection is None:
        raise NotFound("No collection of yours has this id.")
    return collection


def collection_asset_ids(*, owner, collection_id: int) -> list[int]:
    """The assets of the owner's collection, in the order they were added."""
    collection = collection_for_owner(owner=owner, collection_id=collection_id)
    return list(collection.items.order_by("pk").values_list("asset_id", flat=True))


def collection_visible(*, viewer, collection_id: int) -> Collection:
    """A collection the viewer may read: their own, or another buyer's non-private one."""
    visible = Q(private=False) | Q(owner_id=getattr(viewer, "pk", None))
    collection = Collection.objects.filter(visible, pk=collection_id).first()
    if collection is None:
        raise NotFound("No collection has this id.")
    return collection


def _saved(collection: Collection) -> Collection:
    try:
        with transaction.atomic():
            collection.full_clean(exclude=["owner"], validate_constraints=False)
            collection.save()
    except IntegrityError as error:
        raise AlreadyExists(
            "You already have a collection with this name.",
            fields={"name": ["Already used."]},
        ) from error
    return collection


def collection_create(*, owner, name: str, private: bool = False) -> Collection:
    _check_private_allowed(owner, private)
    return _saved(Collection(owner=owner, name=name.strip(), private=private))


@transaction.atomic
def collection_update(*, owner, collection_id: int, **changes) -> Collection:
    collection = collection_for_owner(owner=owner, collection_id=collection_id, lock=True)
    if changes.get("private"):
        _check_private_allowed(owner, True)
    for name, value in changes.items():
        setattr(collection, name, value.strip() if name == "name" else value)
    return _saved(collection)


def collection_delete(*, owner, collection_id: int) -> None:
    collection_for_owner(owner=owner, collection_id=collection_id).delete()


def _check_batch(asset_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(asset_ids))
    if not ids or len(ids) > MAX_ITEMS_PER_CALL:
        raise DomainError(
            f"Send from 1 to {MAX_ITEMS_PER_CALL} asset ids.",
            code="invalid",
            fields={"asset_ids": [f"{len(ids)} given."]},
        )
    return ids


@transaction.atomic
def items_add(*, owner, collection_id: int, asset_ids: list[int]) -> int:
    """Add published assets (all or none). Returns how many were new to the collection."""
    collection = collection_for_owner(owner=owner, collection_id=collection_id, lock=True)
    ids = _check_batch(asset_ids)
    found = set(
        Asset.objects.filter(pk__in=ids, status=AssetStatus.PUBLISHED).values_list("pk", flat=True)
    )
    missing = [i for i in ids if i not in found]
    if missing:
        raise DomainError(
            (
                "This asset is not in the catalog"
                if len(ids) == 1
                else ngettext(
                    "%(n)d of these assets is not in the catalog",
                    "%(n)d of these assets are not in the catalog",
                    len(missing),
                )
                % {"n": len(missing)}
            )
            + "; nothing was added.",
            code="invalid",
            fields={"asset_ids": [f"Not found: {', '.join(map(str, missing[:20]))}"]},
        )
    before = collection.items.count()
    CollectionItem.objects.bulk_create(
        [CollectionItem(collection=collection, asset_id=i) for i in ids], ignore_conflicts=True
    )
    collection.save(update_fields=["updated_at"])
    return collection.items.count() - before


@transaction.atomic
def collection_create_with(*, owner, name: str, asset_ids: list[int]) -> tuple[Collection, int]:
    """A new collection holding these published assets, or (when one is refused) neither."""
    collection = collection_create(owner=owner, name=name)
    return collection, items_add(owner=owner, collection_id=collection.pk, asset_ids=asset_ids)


@transaction.atomic
def items_remove(*, owner, collection_id: int, asset_ids: list[int]) -> int:
    collection = collection_for_owner(owner=owner, collection_id=collection_id, lock=True)
    removed, _ = collection.items.filter(asset_id__in=_check_batch(asset_ids)).delete()
    collection.save(update_fields=["updated_at"])
    return removed


def collection_datasheet(collection: Collection, *, base_url: str = "") -> Datasheet:
    """A collection's datasheet: its available assets counted by source, institution and
    license (one grouped query); those no longer published are only counted, as removed."""
    items = CollectionItem.objects.filter(collection=collection)
    available = (
        items.filter(asset__status=AssetStatus.PUBLISHED)
        .values_list("asset__source", "asset__license", "asset__institution")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = tally(available)
    return Datasheet(
        kind="collection",
        name=collection.name,
        collection_id=collection.pk,
        description="",
        created_at=collection.created_at,
        updated_at=collection.updated_at,
        generated_at=timezone.now(),
        total=counts["total"],
        by_status={"available": counts["total"], "removed": items.count() - counts["total"]},
        by_source=source_counts(counts),
        by_license=license_counts(counts["by_license"], base_url=base_url),
        filters=None,
        audit_log=audit_log_head(),
    )


def collections_of(owner) -> QuerySet[Collection]:
    """The owner's collections by name, each with `item_count` and `removed_count` (items
    no longer published)."""
    return (
        Collection.objects.filter(owner=owner)
        .annotate(
            item_count=Count("items"),
            removed_count=Count("items", filter=~Q(items__asset__status=AssetStatus.PUBLISHED)),
        )
        .order_by(Lower("name"), "pk")
    )


REMOVED_WHY = {
    AssetStatus.WITHDRAWN: "withdrawn by its rights holder",
    AssetStatus.HELD: "held for a moderator's review",
}


@dataclass(frozen=True)
class CollectionEntry:
    asset: Asset
    added_at: datetime
    removed: bool  # taken down, withdrawn or held since it was added
    why: str  # for a removed item: why, in words


def collection_entries(collection: Collection) -> list[CollectionEntry]:
    """The collection's items in the order they were added; a removed one says why (a
    takedown names the moderators' reason, as the audit log recorded it)."""
    items = list(collection.items.select_related("asset").order_by("added_at", "pk"))
    down = [i.asset_id for i in items if i.asset.status == AssetStatus.TAKEN_DOWN]
    reasons = takedown_reasons(down) if down else {}
    entries = []
    for item in items:
        status = item.asset.status
        why = ""
        if status == AssetStatus.TAKEN_DOWN:
            reason = reasons.get(item.asset_id, "")
            why = "taken down by a moderator" + (f": {reason.replace('_', ' ')}" if reason else "")
        elif status != AssetStatus.PUBLISHED:
            why = REMOVED_WHY.get(status, "no longer published")
        entries.append(CollectionEntry(item.asset, item.added_at, bool(why), why))
    return entries
