"""Moderators' decisions on assets in the review queue.

Each decision runs for one asset in its own transaction and starts by locking the rows it
may change in one fixed order (the ownership claim's rows through moderation.claims, then
the asset, then its flags: the order offers and declarations use too), so two moderators
deciding on one asset at once take turns, and the second one's decision is applied to
what the first left or refused with the reason. Every change is an audit-log event,
written by the services called here."""

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from catalog.models import Asset, AssetStatus, License
from catalog.services import (
    NotApplicable,
    asset_hold_clear,
    asset_mark_sensitive,
    asset_restore,
    asset_take_down,
    release_embargoed,
)
from common.errors import DomainError
from moderation.claims import claim_keeper
from moderation.flags import flags_close
from moderation.models import Flag

LICENSE_REJECTED = "license_rejected"


class Decision:
    DISMISS = "dismiss"
    TAKE_DOWN = "take_down"
    MARK_SENSITIVE = "mark_sensitive"
    RESTORE = "restore"
    VERIFY_OWNERSHIP = "verify_ownership"
    REJECT_OWNERSHIP = "reject_ownership"
    REJECT_LICENSE = "reject_license"
    RELEASE_EMBARGO = "release_embargo"


@dataclass
class DecisionReport:
    """What a bulk decision did: assets changed, and the others by why nothing changed."""

    done: list[int] = field(default_factory=list)
    unchanged: dict[int, str] = field(default_factory=dict)

    def summary(self) -> str:
        done = len(self.done)
        parts = [ngettext("%(n)d asset changed", "%(n)d assets changed", done) % {"n": done}]
        for reason, count in sorted(Counter(self.unchanged.values()).items()):
            parts.append(
                ngettext("%(n)d unchanged (%(why)s)", "%(n)d unchanged (%(why)s)", count)
                % {"n": count, "why": reason}
            )
        return "; ".join(parts)


class Unchanged(Exception):
    """The decision does not apply to the asset as it is now; the message says why."""


def assets_decide(*, asset_ids: list[int], decision: str, moderator, note: str = "",
                  fetcher=None) -> DecisionReport:  # fmt: skip
    """Apply one decision to each asset, one transaction each, in id order. `fetcher`
    reaches the sources for `release_embargo` (a default one when None)."""
    report = DecisionReport()
    if decision == Decision.RELEASE_EMBARGO:  # a batch at the source, not one by one
        return _release_embargo(sorted(set(asset_ids)), report, fetcher)
    decide = PER_ASSET.get(decision)
    if decide is None:
        raise ValueError(f"unknown decision {decision!r}")
    name = moderator.get_username()
    for asset_id in sorted(set(asset_ids)):
        try:
            with transaction.atomic():
                asset = _lock(asset_id)
                decide(asset=asset, moderator=moderator, actor=name, note=note.strip())
        except (Unchanged, NotApplicable) as exc:
            report.unchanged[asset_id] = str(exc)
        except DomainError as exc:
            report.unchanged[asset_id] = exc.message
        else:
            report.done.append(asset_id)
    return report


def _lock(asset_id: int) -> Asset:
    if keeper := claim_keeper():
        keeper.lock(asset_id)
    try:
        return Asset.objects.select_for_update().get(pk=asset_id)
    except Asset.DoesNotExist:
        raise Unchanged("no such asset") from None


def _open_flags(asset: Asset) -> list[Flag]:
    return list(
        Flag.objects.select_for_update()
        .filter(asset=asset, state=Flag.State.OPEN)
        .order_by("pk")
    )  # fmt: skip


def _dismiss(*, asset: Asset, actor: str, note: str, **_) -> None:
    """Nothing wrong: open flags are dismissed and a classifier hold is cleared."""
    flags = _open_flags(asset)
    held = asset.status == AssetStatus.HELD
    if not flags and not held:
        raise Unchanged("no open flag or hold to dismiss")
    flags_close(flags, state=Flag.State.DISMISSED, actor=actor)
    if held:
        asset_hold_clear(asset_id=asset.pk, actor=actor, note=note)


def _take_down(*, asset: Asset, actor: str, note: str, reason: str = "", **_) -> None:
    flags = _open_flags(asset)
    reason = reason or (flags[0].reason if flags else "moderator")
    if asset.status == AssetStatus.TAKEN_DOWN and not flags:
        raise Unchanged("already taken down")
    asset_take_down(asset_id=asset.pk, actor=actor, reason=reason, note=note)
    flags_close(flags, state=Flag.State.ACTIONED, actor=actor)


def _reject_license(*, asset: Asset, **kwargs) -> None:
    """A base-set item whose license does not hold up: out everywhere, like a takedown, and
    for good (sources cannot bring back what a moderator took down)."""
    if asset.license == License.OPT_IN:
        raise Unchanged("an opt-in work has no source license; reject its ownership instead")
    _take_down(asset=asset, reason=LICENSE_REJECTED, **kwargs)


def _mark_sensitive(*, asset: Asset, actor: str, note: str, **_) -> None:
    flags = _open_flags(asset)
    if asset.sensitive and asset.status != AssetStatus.HELD and not flags:
        raise Unchanged("already marked sensitive")
    asset_mark_sensitive(asset_id=asset.pk, actor=actor, note=note)
    flags_close(flags, state=Flag.State.ACTIONED, actor=actor)


def _restore(*, asset: Asset, actor: str, note: str, **_) -> None:
    if not asset_restore(asset_id=asset.pk, actor=actor, note=note):
        raise Unchanged("not taken down")


def _verify_ownership(*, asset: Asset, moderator, note: str, **_) -> None:
    """The claimant owns it: pending declarations are accepted and an upload hold (the file
    matched someone else's) is released."""
    if not (keeper := claim_keeper()):
        raise Unchanged("no ownership claim waiting")
    keeper.verify(asset_id=asset.pk, moderator=moderator, note=note)


def _reject_ownership(*, asset: Asset, moderator, note: str, **_) -> None:
    if not (keeper := claim_keeper()):
        raise Unchanged("no ownership declaration waiting")
    keeper.reject(asset_id=asset.pk, moderator=moderator, note=note)


def _release_embargo(asset_ids: list[int], report: DecisionReport, fetcher) -> DecisionReport:
    """Re-check these embargoed assets at their source now, as the periodic release would.
    The embargo itself is not shortened: the source's rules still decide."""
    now = timezone.now()
    until = dict(
        Asset.objects.filter(pk__in=asset_ids, status=AssetStatus.EMBARGOED).values_list(
            "pk", "embargo_until"
        )
    )
    due = sorted(pk for pk, end in until.items() if end <= now)
    for pk in asset_ids:
        if pk not in until:
            report.unchanged[pk] = "not embargoed"
        elif pk not in due:
            report.unchanged[pk] = f"its embargo runs until {until[pk]:%Y-%m-%d}"
    if due:
        release_embargoed(asset_ids=due, actor="review queue", fetcher=fetcher)
        after = dict(Asset.objects.filter(pk__in=due).values_list("pk", "status"))
        for pk in due:
            if after[pk] == AssetStatus.EMBARGOED:
                report.unchanged[pk] = "the source could not be reached; still embargoed"
            else:
                report.done.append(pk)
    return report


PER_ASSET = {
    Decision.DISMISS: _dismiss,
    Decision.TAKE_DOWN: _take_down,
    Decision.MARK_SENSITIVE: _mark_sensitive,
    Decision.RESTORE: _restore,
    Decision.VERIFY_OWNERSHIP: _verify_ownership,
    Decision.REJECT_OWNERSHIP: _reject_ownership,
    Decision.REJECT_LICENSE: _reject_license,
}
