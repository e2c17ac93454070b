"""The words every consent signal is translated into.

Uses are those of the CAWG training-and-data-mining assertion (`cawg.training-mining`):
whatever a signal says, in whichever vocabulary (IPTC PLUS, TDMRep, robots.txt, the IETF
AI-preferences drafts), it is read as a statement about some of these four uses."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

DATA_MINING = "data_mining"
AI_INFERENCE = "ai_inference"
AI_GENERATIVE_TRAINING = "ai_generative_training"
AI_TRAINING = "ai_training"  # training of models that do not generate content
USES = (DATA_MINING, AI_INFERENCE, AI_GENERATIVE_TRAINING, AI_TRAINING)
TRAINING_USES = (AI_GENERATIVE_TRAINING, AI_TRAINING)

# What one signal says about one use.
ALLOWED = "allowed"
RESERVED = "reserved"

# Where a signal was found.
IN_FILE = "file"
IN_HEADER = "header"
IN_TDMREP = "tdmrep.json"
IN_ROBOTS = "robots.txt"
IN_META = "meta"


def all_uses(state: str) -> dict[str, str]:
    return dict.fromkeys(USES, state)


def some_uses(uses: Iterable[str], state: str) -> dict[str, str]:
    return dict.fromkeys(uses, state)


@dataclass(frozen=True)
class Signal:
    """One machine-readable statement about uses, as found: what it says per use (only the
    uses it speaks of), its raw value, where and when it was read.

    `valid` is False for a statement that cannot be relied on (a C2PA manifest that failed
    validation): it is kept as evidence and never counts, neither as a permission nor as a
    reservation."""

    kind: str  # e.g. "iptc_plus_data_mining", "tdm_reservation_header", "robots_txt"
    location: str  # IN_FILE, IN_HEADER, IN_TDMREP, IN_ROBOTS or IN_META
    uses: Mapping[str, str]  # use -> ALLOWED or RESERVED
    raw: str  # the value as written where it was found
    read_at: datetime
    url: str = ""  # the address it was read from (the file's, tdmrep.json's ...)
    valid: bool = True
    detail: Mapping[str, Any] = field(default_factory=dict)  # policy links, agents, codes

    def as_evidence(self) -> dict[str, Any]:
        """A JSON-serializable record of the signal, for provenance."""
        evidence = {
            "kind": self.kind,
            "location": self.location,
            "uses": dict(self.uses),
            "raw": self.raw[:2000],
            "read_at": self.read_at.isoformat(),
        }
        if self.url:
            evidence["url"] = self.url
        if not self.valid:
            evidence["valid"] = False
        if self.detail:
            evidence["detail"] = dict(self.detail)
        return evidence


@dataclass(frozen=True)
class LookupFailed:
    """A place that could hold a reservation could not be read (timeout, DNS, 5xx): what it
    would have said is unknown, which never counts as permission."""

    location: str
    url: str
    error: str
    read_at: datetime

    def as_evidence(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "url": self.url,
            "error": self.error[:500],
            "read_at": self.read_at.isoformat(),
        }
