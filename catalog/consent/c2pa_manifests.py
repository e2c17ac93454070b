"""C2PA manifests embedded in a file: read and validated with c2pa-python, and their
training-and-data-mining assertions (`cawg.training-mining`, and the older
`c2pa.training-mining`) turned into per-use statements.

Validation is c2pa-python's: "Invalid" (a hash or signature does not match: the file or
the manifest was changed after signing), "Valid" (intact, signer not on our trust list) or
"Trusted" (intact and signed under one of `C2PA_TRUST_ANCHORS`). An invalid manifest is
reported with its failure codes and never relied on. Remote manifests are never fetched:
a file's metadata must not make us call an address it names."""

import io
import json
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import c2pa

from catalog.consent.vocabulary import ALLOWED, RESERVED, USES

TRAINING_MINING_LABELS = ("cawg.training-mining", "c2pa.training-mining")
VALID_STATES = ("Valid", "Trusted")
# The manifest store's JUMBF label: every embedded manifest carries it, so a file without
# these bytes has none and the (slower) reader need not run.
_STORE_LABEL = b"c2pa"
_local = threading.local()


@dataclass(frozen=True)
class TrainingMiningEntry:
    """One entry of a training-mining assertion: a use and what it says of it."""

    label: str  # the assertion's label
    key: str  # as written, e.g. "cawg.ai_generative_training"
    use: str  # our vocabulary's name, "" for a key outside it
    value: str  # "allowed", "notAllowed" or "constrained" (or whatever was written)
    constraint_info: str = ""

    @property
    def says(self) -> str | None:
        """ALLOWED, RESERVED or None. "constrained" (allowed only under conditions we cannot
        check) counts as a reservation."""
        if self.value == "allowed":
            return ALLOWED
        if self.value in ("notAllowed", "constrained"):
            return RESERVED
        return None


@dataclass(frozen=True)
class C2paReport:
    """What c2pa-python found: the validation state and codes, the active manifest's
    training-mining entries, its signer and claim generator."""

    state: str  # "Valid", "Trusted", "Invalid", or "Unreadable" when it cannot be parsed
    failure_codes: tuple[str, ...] = ()
    entries: tuple[TrainingMiningEntry, ...] = ()
    signer: dict[str, Any] = field(default_factory=dict)
    claim_generator: str = ""
    manifest_label: str = ""
    error: str = ""

    @property
    def valid(self) -> bool:
        return self.state in VALID_STATES

    @property
    def trusted(self) -> bool:
        return self.state == "Trusted"

    def as_evidence(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "failure_codes": list(self.failure_codes),
            "signer": self.signer,
            "claim_generator": self.claim_generator,
            "manifest": self.manifest_label,
            **({"error": self.error[:500]} if self.error else {}),
        }


@cache
def _read_anchors(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def _anchors(path: str) -> str:
    """The PEM trust list at `path`; none while the file does not exist (the demo's until
    `make_signing_key` has run)."""
    return _read_anchors(path) if path and Path(path).is_file() else ""


def reader_settings(trust_anchors: str = "") -> dict[str, Any]:
    """c2pa settings for reading untrusted files: no network, our trust list (PEM) or none."""
    settings: dict[str, Any] = {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    }
    if trust_anchors:
        settings["trust"] = {"trust_anchors": trust_anchors}
    return settings


def _context(anchors_path: str) -> "c2pa.Context":
    """One c2pa context per thread and trust list (contexts are not shared across threads)."""
    contexts = getattr(_local, "contexts", None)
    if contexts is None:
        contexts = _local.contexts = {}
    if anchors_path not in contexts:
        contexts[anchors_path] = c2pa.Context.from_dict(reader_settings(_anchors(anchors_path)))
    return contexts[anchors_path]


def _use_of(key: str) -> str:
    name = key.split(".", 1)[-1]
    return name if name in USES else ""


def _entries(manifest: dict[str, Any]) -> tuple[TrainingMiningEntry, ...]:
    found = []
    for assertion in manifest.get("assertions") or []:
        label = str(assertion.get("label", ""))
        base = label.rsplit(".v", 1)[0] if label[-1:].isdigit() else label
        if base not in TRAINING_MINING_LABELS:
            continue
        entries = (assertion.get("data") or {}).get("entries") or {}
        for key, entry in entries.items() if isinstance(entries, dict) else ():
            entry = entry if isinstance(entry, dict) else {}
            found.append(
                TrainingMiningEntry(
                    label=base,
                    key=str(key),
                    use=_use_of(str(key)),
                    value=str(entry.get("use", "")),
                    constraint_info=str(entry.get("constraint_info", "")),
                )
            )
    return tuple(found)


def c2pa_report(data: bytes, mime_type: str, *, trust_anchors_path: str = "") -> C2paReport | None:
    """The embedded manifest's report, or None when the file has no manifest."""
    if _STORE_LABEL not in data:
        return None
    try:
        reader = c2pa.Reader.try_create(
            mime_type, io.BytesIO(data), None, _context(trust_anchors_path)
        )
    except c2pa.C2paError as exc:  # a manifest store that cannot even be parsed
        return C2paReport(state="Unreadable", error=f"{type(exc).__name__}: {exc}")
    if reader is None:
        return None
    with reader:
        store = json.loads(reader.json())
        state = reader.get_validation_state() or "Invalid"
        results = reader.get_validation_results() or {}
    active = store.get("active_manifest") or ""
    manifest = (store.get("manifests") or {}).get(active) or {}
    failures = (results.get("activeManifest") or {}).get("failure") or []
    generator = manifest.get("claim_generator") or ", ".join(
        str(info.get("name", "")) for info in manifest.get("claim_generator_info") or []
    )
    return C2paReport(
        state=state,
        failure_codes=tuple(str(f.get("code", "")) for f in failures),
        entries=_entries(manifest),
        signer=dict(manifest.get("signature_info") or {}),
        claim_generator=str(generator),
        manifest_label=active,
    )
