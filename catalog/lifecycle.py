"""What an asset's status becomes when its source record is decided again (a re-ingest, a
re-import, an embargo release). One rule set for every way records arrive."""

from dataclasses import dataclass

from catalog.models import AssetStatus, CloneState

ACCEPTED, EMBARGOED = "accepted", "embargoed"
# Moderators' decisions are never undone by a source.
FINAL_STATUSES = frozenset({AssetStatus.TAKEN_DOWN, AssetStatus.WITHDRAWN})


@dataclass(frozen=True)
class Transition:
    status: str
    reason: str  # the rejection reason, "" unless rejected
    reclone: bool  # the original must be (re)downloaded and checked before publishing


def after_decision(
    *,
    decision: str,
    current_status: str | None = None,
    current_reason: str = "",
    previous_decision: str | None = None,
    file_changed: bool = False,
) -> Transition:
    """`decision` is `accepted`, `embargoed` or a rejection reason; `previous_decision` is
    the one recorded in provenance by the last look at the source (None for a new asset)."""
    if current_status in FINAL_STATUSES:
        return Transition(current_status, current_reason, False)
    if decision == EMBARGOED:
        return Transition(AssetStatus.EMBARGOED, "", False)
    if decision != ACCEPTED:
        return Transition(AssetStatus.REJECTED, decision, False)
    if current_status is None or file_changed:
        return Transition(AssetStatus.CANDIDATE, "", True)
    if previous_decision == ACCEPTED:
        # Nothing changed at the source: what cloning decided (published, or rejected as a
        # duplicate, an unreadable file ...) stands.
        return Transition(current_status, current_reason, False)
    # Accepted after an embargo or a rejection: checked and cloned afresh before publishing.
    return Transition(AssetStatus.CANDIDATE, "", previous_decision != EMBARGOED)


MEASURED_FIELDS = ("width", "height", "mime_type")  # once cloned, measured on our copy


def redecide(asset, values: dict, *, decision: str, previous_decision: str | None) -> bool:
    """Apply a source's new decision and metadata `values` to an existing asset (unsaved).
    True when anything changed. Taken-down and withdrawn assets are left as they are."""
    if asset.status in FINAL_STATUSES:
        return False
    transition = after_decision(
        decision=decision,
        current_status=asset.status,
        current_reason=asset.rejection_reason,
        previous_decision=previous_decision,
        file_changed=asset.original_url != values["original_url"],
    )
    values = {**values, "status": transition.status, "rejection_reason": transition.reason}
    if transition.reclone:
        values["clone_state"], values["clone_attempts"] = CloneState.PENDING, 0
    elif asset.clone_state == CloneState.DONE:
        for name in MEASURED_FIELDS:  # our file beats the source's claim
            values.pop(name, None)
    if all(getattr(asset, name) == value for name, value in values.items()):
        return False
    for name, value in values.items():
        setattr(asset, name, value)
    return True
