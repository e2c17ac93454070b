"""What the connector tests share: reading recorded responses and summarizing decisions."""

import json
from pathlib import Path

GLAM = Path(__file__).resolve().parents[1] / "fixtures" / "glam"


def fixture_loader(source: str, default: str | None = None):
    """`load(name)` for one source's recorded responses."""

    def load(name: str | None = None):
        return json.loads((GLAM / source / (name or default)).read_text())

    return load


def decisions(candidates) -> tuple[dict, dict]:
    """({accepted id: license}, {rejected id: reason}); each record decided exactly once."""
    accepted = {c.source_record_id: c.license for c in candidates if c.accepted}
    rejected = {c.source_record_id: c.rejection for c in candidates if not c.accepted}
    assert len(accepted) + len(rejected) == len(candidates)  # no record twice
    assert all(c.rejection is None for c in candidates if c.license)
    return accepted, rejected
