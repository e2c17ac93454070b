"""Every file we serve of an opt-in work carries its terms.

When a work is offered, a copy of its file is made with the offer's terms written in
(`catalog.services.terms_copy_store`: XMP plus:DataMining for its uses and a link to its
offer page, and a signed C2PA manifest where a key is configured), in a task after the
offer commits, and recorded as the offer's `OfferFile`. A grant serves the file of the
offer it was bought under, so a buyer's file states the terms they licensed; base-set
grants serve the original as cloned (PDM/CC0). A grant whose offer has no file yet (the
task has not run) gets one made on the spot, so no opt-in file is ever served without its
terms. The uses come from `marketplace.selectors.work_uses` alone.

A work whose stored original is gone or damaged gets no file: it cannot be delivered until
a moderator sees to it, so asking for it is refused (`StoredFileUnreadable`) and the
moderators are told in the audit log (`originals_unreadable_report`)."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from catalog.services import OriginalUnreadable, terms_copy_store
from common.errors import DomainError
from marketplace.models import Offer, OfferFile
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

log = logging.getLogger(__name__)

# The audit log's reason for an original that cannot be read: moderators filter the log
# (admin, provenance events) by it. Recorded once a day per asset at most.
UNREADABLE = "stored_file_unreadable"
UNREADABLE_REPORT_EVERY = timedelta(days=1)

# The demo's address: links written into files need one even without PUBLIC_BASE_URL.
FALLBACK_BASE_URL = "http://127.0.0.1:8000"


def site_url(path: str) -> str:
    """An absolute address on the site, for what leaves it without a request (files)."""
    return f"{settings.PUBLIC_BASE_URL or FALLBACK_BASE_URL}{path}"


def offer_page_url(asset_id: int) -> str:
    return site_url(reverse("web:asset", args=[asset_id]))


def license_page_url(version: str) -> str:
    return site_url(reverse("web:terms", args=[version]))


def policy_url(asset_id: int) -> str:
    return site_url(reverse("web:policy", args=[asset_id]))


class StoredFileUnreadable(DomainError):
    """A work's stored original cannot be read, so the file with its terms cannot be made.
    `asset_ids`: the works concerned, for `originals_unreadable_report` once the request's
    transaction has rolled back (a report made inside it would roll back with it).
    `detail`: what was wrong, for the log; `details`: each asset's own, where known."""

    code = UNREADABLE
    status_code = 409

    def __init__(self, message: str, *, asset_ids: Iterable[int], detail: str = "",
                 details: dict[int, str] | None = None, fields: dict | None = None):  # fmt: skip
        self.asset_ids, self.detail = sorted(set(asset_ids)), detail
        self.details = details or {}
        super().__init__(message, fields=fields or {str(i): [UNREADABLE] for i in self.asset_ids})

    def report(self, *, actor: str) -> int:
        """Tell the moderators (`originals_unreadable_report`): call it outside the
        transaction that failed."""
        return originals_unreadable_report(asset_ids=self.asset_ids, actor=actor,
                                           detail=self.detail, details=self.details)  # fmt: skip


def unreadable_works(asset_ids: Iterable[int], *, at_most: int | None = None) -> str:
    """ "Asset 5 cannot be delivered right now ..." (or "Assets 5, 6 ..."): the start of a
    refusal's message. With `at_most`, the ids past it are counted ("and 3 more")."""
    ids = sorted(set(asset_ids))
    named = ", ".join(str(i) for i in ids[:at_most])
    if at_most is not None and len(ids) > at_most:
        named += f" and {len(ids) - at_most} more"
    which = f"Asset {named} cannot" if len(ids) == 1 else f"Assets {named} cannot"
    return f"{which} be delivered right now: the stored file could not be read."


def unreadable_message(asset_ids: Iterable[int]) -> str:
    return (
        f"{unreadable_works(asset_ids)} Nothing was granted or charged for it, and our "
        "moderators have been told."
    )


def _reported_lately(asset_ids: Iterable[int]) -> set[int]:
    """The assets whose original was reported unreadable in the last day."""
    since = timezone.now() - UNREADABLE_REPORT_EVERY
    return set(
        ProvenanceEvent.objects.filter(
            asset_id__in=asset_ids, kind=EventKind.CLONE_FAILED, reason=UNREADABLE,
            created_at__gte=since,
        ).values_list("asset_id", flat=True)
    )  # fmt: skip


def originals_unreadable_report(
    *, asset_ids: Iterable[int], actor: str, detail: str = "", details: dict[int, str] | None = None
) -> int:
    """Tell the moderators that these assets' stored originals cannot be read: an audit
    event (`clone.failed`, reason `stored_file_unreadable`) per asset not reported in the
    last day, and an error in the log. `detail` says what was wrong; `details`, where it
    has an asset, that asset's own. Returns how many were recorded."""
    ids = sorted(set(asset_ids))
    recent = _reported_lately(ids)
    new = {i: (details or {}).get(i, detail) for i in ids if i not in recent}
    for asset_id, what in new.items():
        log.error("stored original of asset %s cannot be read (%s)", asset_id, what or actor)
    events = [
        ProvenanceEvent(
            asset_id=i,
            kind=EventKind.CLONE_FAILED,
            reason=UNREADABLE,
            actor=actor,
            data={"detail": what[:500]} if what else {},
        )
        for i, what in new.items()
    ]
    events_append(events)
    return len(new)


def unreadable_reported(offer_by_asset: dict[int, int]) -> set[int]:
    """The assets among these (asset id -> the offer whose file it would get) whose
    original was reported unreadable in the last day and whose offer still has no file:
    what a quote refuses without reading the file (licensing reads it again)."""
    reported = _reported_lately(offer_by_asset)
    if not reported:
        return set()
    offers = {offer_by_asset[i] for i in reported}
    made = set(OfferFile.objects.filter(offer_id__in=offers).values_list("offer_id", flat=True))
    return {i for i in reported if offer_by_asset[i] not in made}


def offer_file_make(offer_id: int) -> OfferFile:
    """The offer's file, made now if it has none: the work's original with the uses of
    `work_uses` (the offer's while it is current) and the offer page written in.
    StoredFileUnreadable when the original cannot be read."""
    from marketplace.selectors import work_uses

    existing = OfferFile.objects.filter(offer_id=offer_id).first()
    if existing is not None:
        return existing
    offer = Offer.objects.select_related("work__asset", "terms").get(pk=offer_id)
    asset = offer.work.asset
    uses = work_uses(offer.work)
    offer_url, license_url = offer_page_url(asset.pk), license_page_url(offer.terms.version)
    try:
        copy = terms_copy_store(
            original_key=asset.original_key, mime_type=asset.mime_type, uses=list(uses),
            offer_url=offer_url, license_url=license_url,
        )  # fmt: skip
    except OriginalUnreadable as exc:
        raise StoredFileUnreadable(
            unreadable_message([asset.pk]), asset_ids=[asset.pk], detail=str(exc)
        ) from exc
    try:
        with transaction.atomic():
            return OfferFile.objects.create(
                offer=offer, key=copy.key, sha256=copy.sha256, byte_size=copy.byte_size,
                uses=uses, offer_url=offer_url, license_url=license_url, signed=copy.signed,
                note=copy.note,
            )  # fmt: skip
    except IntegrityError:  # made meanwhile by another request or task: theirs stands
        return OfferFile.objects.get(offer_id=offer_id)


def offer_files_remake() -> int:
    """Make the current offers' files again, as they would be made now: after a signing
    key is configured or replaced, or the site's address changes. Files of ended offers
    stay as their buyers got them. Returns how many were made."""
    current = Offer.objects.filter(ended_at__isnull=True).order_by("pk")
    storage, made = storages["default"], 0
    for offer_id in current.values_list("pk", flat=True).iterator():
        try:
            with transaction.atomic():
                old = OfferFile.objects.select_for_update().filter(offer_id=offer_id).first()
                if old is not None:
                    old.delete()
                new = offer_file_make(offer_id)
                if old is not None and old.key != new.key and not _in_use(old.key):
                    transaction.on_commit(lambda key=old.key: storage.delete(key))
        except StoredFileUnreadable as error:  # its old file (if any) stays; the rest go on
            error.report(actor="offer_files_remake")
            continue
        made += 1
    return made


def _in_use(key: str) -> bool:
    return OfferFile.objects.filter(key=key).exists()


def offer_file_make_later(offer: Offer) -> None:
    """Make the offer's file in a task once the offer commits."""

    def make() -> None:
        from marketplace.tasks import make_offer_file

        make_offer_file.delay(offer.pk)

    transaction.on_commit(make)


@dataclass(frozen=True)
class ServedFile:
    """What a grant downloads: a stored key, its hash and size."""

    key: str
    sha256: str
    byte_size: int


def offer_files(
    offer_ids: Iterable[int | None], *, unreadable: dict[int, StoredFileUnreadable] | None = None
) -> dict[int, OfferFile]:
    """The files of these offers, by offer id, in one query; those missing are made now.
    An offer whose original cannot be read raises StoredFileUnreadable, or with
    `unreadable` given, is left out and put there (offer id -> its error)."""
    ids = {pk for pk in offer_ids if pk}
    files = {f.offer_id: f for f in OfferFile.objects.filter(offer_id__in=ids)}
    for missing in sorted(ids - files.keys()):
        try:
            files[missing] = offer_file_make(missing)
        except StoredFileUnreadable as error:
            if unreadable is None:
                raise
            unreadable[missing] = error
    return files


def served_files(grants: Iterable) -> dict[int, ServedFile]:
    """For each grant (with its asset), the file it downloads, by grant id: its offer's
    file, or the asset's original for the base set."""
    grants = list(grants)
    files = offer_files(g.offer_id for g in grants if g.asset.original_key)
    served = {}
    for grant in grants:
        asset = grant.asset
        made = files.get(grant.offer_id) if grant.offer_id else None
        if made is None:
            served[grant.pk] = ServedFile(asset.original_key, asset.sha256, asset.byte_size or 0)
        else:
            served[grant.pk] = ServedFile(made.key, made.sha256, made.byte_size)
    return served


def served_file(grant) -> ServedFile:
    return served_files([grant])[grant.pk]
