"""Flags from people and moderators' decisions on them.

Decisions go through the catalog's takedown services, so a takedown hides the asset
everywhere at once and its buyers are told; every decision is an audit-log event."""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Asset, AssetStatus
from catalog.services import asset_restore, asset_take_down
from common.errors import DomainError, NotFound
from moderation.models import Flag, FlagReason
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

FLAGGABLE = (AssetStatus.PUBLISHED, AssetStatus.WITHDRAWN)


def flag_create(
    *, reporter, asset_id: int, reason: str, description: str = ""
) -> tuple[Flag, bool]:
    """Flag an asset. Returns the flag and whether it is new: the same person flagging the
    same asset again while their flag is open changes nothing."""
    description = description.strip()
    if reason == FlagReason.OTHER and not description:
        raise DomainError(
            "Say what is wrong when the reason is `other`.",
            code="invalid",
            fields={"description": ["Required for `other`."]},
        )
    if not Asset.objects.filter(pk=asset_id, status__in=FLAGGABLE).exists():
        raise NotFound("No published asset has this id.", fields={"asset": ["Not found."]})
    open_flag = Flag.objects.filter(asset_id=asset_id, reporter=reporter, state=Flag.State.OPEN)
    if existing := open_flag.first():
        return existing, False
    try:
        with transaction.atomic():
            flag = Flag.objects.create(asset_id=asset_id, reporter=reporter, reason=reason,
                                       description=description)  # fmt: skip
    except IntegrityError:  # the same person, twice at once
        return open_flag.get(), False
    events_append(
        [ProvenanceEvent(asset_id=asset_id, kind=EventKind.FLAG_RAISED, reason=reason,
                         actor=reporter.get_username(), data={"flag_id": flag.pk})]
    )  # fmt: skip
    return flag, True


@dataclass
class FlagsDecided:
    """What deciding flags did, for the moderator: flags closed, assets taken down (or down
    already), and the flags left alone because they were decided before, with their state."""

    decided: int = 0
    taken_down: int = 0
    already_down: int = 0
    not_open: dict[int, str] = field(default_factory=dict)


@transaction.atomic
def flags_decide(*, flag_ids: list[int], action: str, moderator) -> FlagsDecided:
    """`dismiss` the flags, or `take_down` their assets (which closes every open flag on
    them). Flags already decided are left as they are, and reported."""
    if action not in ("dismiss", "take_down"):
        raise ValueError(f"unknown action {action!r}")
    # Assets first, then flags: the lock order of every decision (moderation.decisions).
    open_flags = Flag.objects.filter(pk__in=flag_ids, state=Flag.State.OPEN)
    asset_ids = sorted(set(open_flags.values_list("asset_id", flat=True)))
    list(Asset.objects.select_for_update().filter(pk__in=asset_ids).order_by("pk").values("pk"))
    flags = list(open_flags.select_for_update().order_by("pk"))
    now, name = timezone.now(), moderator.get_username()
    result = FlagsDecided(
        not_open=dict(
            Flag.objects.filter(pk__in=flag_ids)
            .exclude(pk__in=[f.pk for f in flags])
            .values_list("pk", "state")
        )
    )
    if action == "dismiss":
        flags_close(flags, state=Flag.State.DISMISSED, actor=name)
        result.decided = len(flags)
        return result
    for asset_id in sorted({f.asset_id for f in flags}):
        reason = next(f.reason for f in flags if f.asset_id == asset_id)
        if asset_take_down(asset_id=asset_id, actor=name, reason=reason):
            result.taken_down += 1
        else:
            result.already_down += 1
    result.decided = Flag.objects.filter(
        asset_id__in={f.asset_id for f in flags}, state=Flag.State.OPEN
    ).update(state=Flag.State.ACTIONED, decided_by=name, decided_at=now)
    return result


def flags_close(flags: list[Flag], *, state: str, actor: str) -> None:
    """Close these (locked, open) flags. Dismissals are audit-log events; flags acted on are
    closed by the decision's own event (a takedown, a sensitive mark)."""
    now = timezone.now()
    for flag in flags:
        flag.state, flag.decided_by, flag.decided_at = state, actor, now
    Flag.objects.bulk_update(flags, ["state", "decided_by", "decided_at"])
    if state == Flag.State.DISMISSED:
        events_append(
            ProvenanceEvent(asset_id=f.asset_id, kind=EventKind.FLAG_DISMISSED, reason=f.reason,
                            actor=actor, data={"flag_id": f.pk})
            for f in flags
        )  # fmt: skip


def assets_restore(*, asset_ids: list[int], moderator, note: str = "") -> list[int]:
    """Undo takedowns; returns the assets that came back (the others were not down)."""
    name = moderator.get_username()
    return [i for i in sorted(asset_ids) if asset_restore(asset_id=i, actor=name, note=note)]
