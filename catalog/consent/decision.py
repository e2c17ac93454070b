"""One decision over every signal found for an asset, per use.

For each use, in this order (the combining rule of the IETF AI-preferences vocabulary,
plus failed look-ups):

1. reserved, if any valid signal reserves it (the most restrictive statement wins);
2. unknown, if a place that could hold a reservation could not be read (a timeout, a DNS
   failure, a 5xx): a failed look-up is never permission;
3. allowed, if any valid signal allows it;
4. unspecified otherwise.

Signals that are not valid (a C2PA manifest that failed validation) are kept in the
decision as evidence and take no part in it."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from catalog.consent.vocabulary import (
    ALLOWED,
    RESERVED,
    TRAINING_USES,
    USES,
    LookupFailed,
    Signal,
)

UNKNOWN = "unknown"
UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class UseDecision:
    state: str  # ALLOWED, RESERVED, UNSPECIFIED or UNKNOWN
    reservations: tuple[Signal, ...] = ()
    permissions: tuple[Signal, ...] = ()


@dataclass(frozen=True)
class ConsentDecision:
    """Per use: allowed, reserved, unspecified or unknown, with the signals behind it."""

    uses: Mapping[str, UseDecision]
    signals: tuple[Signal, ...]
    failures: tuple[LookupFailed, ...]
    decided_at: datetime

    def state(self, use: str) -> str:
        return self.uses[use].state

    @property
    def training_reservations(self) -> tuple[Signal, ...]:
        """The valid signals reserving a training use, first found first."""
        found = {id(s): s for use in TRAINING_USES for s in self.uses[use].reservations}
        return tuple(s for s in self.signals if id(s) in found)

    @property
    def training_reserved(self) -> bool:
        return bool(self.training_reservations)

    @property
    def training_unknown(self) -> bool:
        """No reservation of training was found, but a look-up that could hold one failed."""
        return any(self.uses[use].state == UNKNOWN for use in TRAINING_USES)

    def as_evidence(self) -> dict[str, Any]:
        """A JSON-serializable account of the decision, for provenance events."""
        return {
            "uses": {use: decision.state for use, decision in self.uses.items()},
            "signals": [signal.as_evidence() for signal in self.signals],
            "failures": [failure.as_evidence() for failure in self.failures],
            "decided_at": self.decided_at.isoformat(),
        }


def decide(
    signals: Iterable[Signal],
    failures: Iterable[LookupFailed] = (),
    *,
    decided_at: datetime | None = None,
) -> ConsentDecision:
    signals, failures = tuple(signals), tuple(failures)
    valid = [s for s in signals if s.valid]
    uses = {}
    for use in USES:
        reservations = tuple(s for s in valid if s.uses.get(use) == RESERVED)
        permissions = tuple(s for s in valid if s.uses.get(use) == ALLOWED)
        if reservations:
            state = RESERVED
        elif failures:
            state = UNKNOWN
        elif permissions:
            state = ALLOWED
        else:
            state = UNSPECIFIED
        uses[use] = UseDecision(state=state, reservations=reservations, permissions=permissions)
    return ConsentDecision(
        uses=uses,
        signals=signals,
        failures=failures,
        decided_at=decided_at or timezone.now(),
    )
