"""What an uploaded file's own metadata says against its uploader: another creator or
rights holder named in its XMP or IPTC fields, or a reservation of AI training (IPTC PLUS
`plus:DataMining` DMI-PROHIBITED*, a valid C2PA/CAWG training-mining assertion saying
notAllowed or constrained). Either holds the upload for a moderator rather than refusing
it: the uploader may well be that creator, or may have changed their mind.

A C2PA manifest that failed validation (the file or the manifest was changed after
signing) is kept as evidence, marked invalid, and weighs neither way."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from catalog.consent.decision import decide
from catalog.consent.embedded import EmbeddedSignals
from catalog.consent.vocabulary import Signal

# Reasons, most serious first.
RESERVES_TRAINING = "reserves_training"
NAMES_ANOTHER = "names_another"


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


# Words of rights lines that name nobody: "Copyright (c) 2024. All rights reserved."
BOILERPLATE = frozenset(
    ("c", "copyright", "copyrighted", "all", "rights", "reserved", "some", "by", "the",
     "and", "of", "photo", "image", "is")
)  # fmt: skip


def _is_own(name: str, own: list[str]) -> bool:
    """Whether a name or rights line of the file is one of the uploader's names: equal to
    one, or containing one as whole words ("© 2024 Ada Lovelace. All rights reserved."),
    or naming nobody at all (years and boilerplate alone)."""
    words = _words(name)
    if not [w for w in words.split() if not w.isdigit() and w not in BOILERPLATE]:
        return True
    return any(words == mine or f" {mine} " in f" {words} " for mine in own)


@dataclass(frozen=True)
class UploadConcerns:
    """Why an upload's metadata needs a moderator, if it does, with the evidence."""

    other_creators: tuple[str, ...]
    other_rights: tuple[str, ...]
    reservations: tuple[Signal, ...]  # valid signals reserving a training use
    embedded: EmbeddedSignals

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.reservations:
            reasons.append(RESERVES_TRAINING)
        if self.other_creators or self.other_rights:
            reasons.append(NAMES_ANOTHER)
        return reasons

    @property
    def invalid_signals(self) -> tuple[Signal, ...]:
        return tuple(s for s in self.embedded.signals if not s.valid)

    def evidence(self) -> dict[str, Any]:
        """A JSON-serializable account: the reasons, the names and signals found (invalid
        ones marked so), without the raw packets (see `raw_metadata`)."""
        found: dict[str, Any] = {"reasons": self.reasons}
        if self.embedded.creators:
            found["creators"] = list(self.embedded.creators)
        if self.embedded.rights:
            found["rights"] = list(self.embedded.rights)
        if self.other_creators:
            found["other_creators"] = list(self.other_creators)
        if self.other_rights:
            found["other_rights"] = list(self.other_rights)
        if self.embedded.signals:
            found["signals"] = [s.as_evidence() for s in self.embedded.signals]
        if self.embedded.c2pa:
            found["c2pa_state"] = self.embedded.c2pa.state
        return found

    def raw_metadata(self) -> dict[str, Any]:
        return self.embedded.raw_metadata()


def upload_concerns(embedded: EmbeddedSignals, names: Iterable[str]) -> UploadConcerns:
    """What the file says against an uploader known by `names` (their display name, full
    name, username)."""
    own = [w for w in (_words(n) for n in names if n) if w]
    decision = decide(embedded.signals, decided_at=None)
    return UploadConcerns(
        other_creators=tuple(c for c in embedded.creators if not _is_own(c, own)),
        other_rights=tuple(r for r in embedded.rights if not _is_own(r, own)),
        reservations=decision.training_reservations,
        embedded=embedded,
    )
