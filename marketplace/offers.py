"""Offering works: the owner's price and terms, withdrawal, and when a work is published.

A work is published while it has a current offer, an accepted ownership declaration, a
stored file and no review hold. Everything that changes one of these calls
`work_refresh_status`."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import AssetStatus
from catalog.services import opt_in_asset_offer
from common.errors import DomainError, NotFound
from marketplace.models import Offer, OwnershipDeclaration, RevocationKind, TermsVersion, Work
from marketplace.notifications import hold_released_notify
from marketplace.revocations import revocations_record
from marketplace.served import offer_file_make_later
from marketplace.terms_text import FIRST_TEXT, FIRST_TITLE, FIRST_VERSION
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append


class TermsOutdated(DomainError):
    code = "terms_outdated"
    status_code = 409


def work_of(*, owner, work_id: int, lock: bool = False) -> Work:
    """The owner's work, or 404: another person's work does not exist for them."""
    works = Work.objects.select_related("asset")
    if lock:
        works = works.select_for_update(of=("self",))
    work = works.filter(pk=work_id, owner=owner).first()
    if work is None:
        raise NotFound("No work of yours has this id.")
    return work


def current_terms() -> TermsVersion:
    """The version new offers accept; the first version if staff have published none."""
    terms = TermsVersion.objects.filter(current=True).first()
    if terms is None:
        terms, _ = TermsVersion.objects.get_or_create(
            version=FIRST_VERSION,
            defaults={"title": FIRST_TITLE, "text": FIRST_TEXT, "current": True},
        )
    return terms


@transaction.atomic
def terms_make_current(*, version_id: int, staff, note: str = "") -> TermsVersion:
    """Staff publish a terms version: new offers accept it from now on. An audit-log event
    names the staff member, the versions before and after, and their note."""
    previous = TermsVersion.objects.filter(current=True).values_list("version", flat=True)
    before = list(previous.exclude(pk=version_id))
    TermsVersion.objects.filter(current=True).exclude(pk=version_id).update(current=False)
    TermsVersion.objects.filter(pk=version_id).update(current=True)
    version = TermsVersion.objects.get(pk=version_id)
    events_append([
        ProvenanceEvent(
            kind=EventKind.STAFF_TERMS_CURRENT, actor=staff.get_username(),
            data={"version": version.version, "previous": before, "note": note.strip()},
        )
    ])  # fmt: skip
    return version


def current_offer(work: Work) -> Offer | None:
    return work.offers.filter(ended_at__isnull=True).select_related("terms").first()


def work_refresh_status(work: Work) -> str:
    """Publish or unpublish the work's asset from its offer, declaration, file and hold."""
    offer = current_offer(work)
    accepted = work.declarations.filter(state=OwnershipDeclaration.State.ACCEPTED).exists()
    if offer is None:
        withdrawn = work.offers.filter(withdrawn=True).exists()
        status = AssetStatus.WITHDRAWN if withdrawn else AssetStatus.CANDIDATE
    elif work.hold or not accepted or not work.asset.original_key:
        status = AssetStatus.CANDIDATE
    else:
        status = AssetStatus.PUBLISHED
    opt_in_asset_offer(
        asset_id=work.asset_id, status=status, price_micros=offer.price_micros if offer else None
    )
    return status


def _end_current(work: Work, *, withdrawn: bool) -> None:
    work.offers.filter(ended_at__isnull=True).update(ended_at=timezone.now(), withdrawn=withdrawn)


@transaction.atomic
def offer_set(
    *,
    owner,
    work_id: int,
    price_micros: int,
    allow_research: bool,
    allow_commercial: bool,
    terms_version: str,
) -> Offer:
    """Offer the work (again) at this price and for these uses. The current offer ends;
    grants already bought keep the terms they were bought under."""
    work = work_of(owner=owner, work_id=work_id, lock=True)
    if not 0 <= price_micros <= settings.OFFER_MAX_PRICE_MICROS:
        raise DomainError(
            f"A price is from USD 0 to USD {settings.OFFER_MAX_PRICE_MICROS / 1_000_000:g}.",
            code="invalid",
            fields={"price_usd": ["Out of range."]},
        )
    if not (allow_research or allow_commercial):
        raise DomainError(
            "Allow at least one use: research or commercial.",
            code="invalid",
            fields={"allow_research": ["Allow research or commercial use."]},
        )
    terms = current_terms()
    if terms_version != terms.version:
        raise TermsOutdated(
            f"The training license is now version {terms.version}; read it and accept that "
            "version to offer the work.",
            fields={"terms_version": [f"Accept version {terms.version}."]},
        )
    _end_current(work, withdrawn=False)
    offer = Offer.objects.create(
        work=work,
        price_micros=price_micros,
        allow_research=allow_research,
        allow_commercial=allow_commercial,
        terms=terms,
    )
    _event(work, EventKind.OFFER_SET, owner, price_micros=price_micros,
           allow_research=allow_research, allow_commercial=allow_commercial,
           terms=terms.version)  # fmt: skip
    work_refresh_status(work)
    offer_file_make_later(offer)  # the file its grants download, with its terms written in
    return offer


@transaction.atomic
def offer_withdraw(*, owner, work_id: int) -> Work:
    """Stop offering the work: no new grants; existing grants stay valid."""
    work = work_of(owner=owner, work_id=work_id, lock=True)
    if current_offer(work) is None:
        raise DomainError("The work is not on offer.", code="not_offered", fields={})
    _end_current(work, withdrawn=True)
    _event(work, EventKind.OFFER_WITHDRAWN, owner)
    if work_refresh_status(work) == AssetStatus.WITHDRAWN:
        work.asset.refresh_from_db(fields=["status"])
        if work.asset.status == AssetStatus.WITHDRAWN:  # not held or taken down meanwhile
            # Buyers who licensed it are told their grants still hold (the feed's lock is
            # held from here to the commit: this comes last).
            revocations_record(asset_id=work.asset_id, kind=RevocationKind.WITHDRAWN)
    return work


def _event(work: Work, kind: str, owner, **data) -> None:
    """Offers are part of a work's history: its owner's usage history shows them."""
    events_append(
        [ProvenanceEvent(asset_id=work.asset_id, kind=kind, actor=owner.get_username(),
                         data={"work_id": work.pk, **data})]
    )  # fmt: skip


def on_asset_hold_cleared(sender, *, asset_id: int, **kwargs) -> None:
    """A moderator cleared a classifier hold: an opt-in work is published or not as its
    offer, declaration and upload hold say now (they may have changed while it was held)."""
    work = Work.objects.select_related("asset", "owner").filter(asset_id=asset_id).first()
    if work is not None:
        work_refresh_status(work)
        hold_released_notify(work=work)
