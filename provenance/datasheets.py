"""Datasheets: what a dataset release or a buyer's collection holds, where it came from, under
which licenses and how those were checked, as JSON (a dict) and as Markdown.

Rendering is pure: `datasheet_json` and `datasheet_markdown` read nothing but the
`Datasheet` they are given. The facts are gathered by the caller (`catalog.releases` for
a release, the marketplace for a collection), so the two formats always say the same."""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from provenance.models import AuditSeal

# How each source's licenses were decided, in one line: summaries of the module docstrings
# of catalog/connectors/*.py (and of the PD12M import and the opt-in flow); a test checks
# that every connector has its line.
LICENSE_CHECKS = {
    "wikimedia_commons": "Commons file metadata: only License `pd` (PDM 1.0) or `cc0` (CC0 1.0) "
    "with no Restrictions, no deletion-request, copyright-violation or license-review "
    "category and no contradicting LicenseUrl; new files wait out a 14-day embargo and are "
    "checked again before publishing.",
    "smithsonian": "Smithsonian Open Access: each media item alone, only `usage.access` "
    "exactly `CC0`.",
    "europeana": "Europeana Search API: every `rights` value of the item must be the PDM 1.0 "
    "or the CC0 1.0 URI, all the same one.",
    "metropolitan_museum": "The Met's Open Access: `isPublicDomain` exactly true and no "
    "copyright line (`rightsAndReproduction`); images dedicated under CC0.",
    "cleveland_museum": "Cleveland Museum of Art Open Access: `share_license_status` exactly "
    "`CC0` and no `copyright` line.",
    "art_institute_chicago": "Art Institute of Chicago API: `is_public_domain` exactly true "
    "and an empty `copyright_notice`; images dedicated under CC0.",
    "nypl": "NYPL Digital Collections: per capture, the explicit `rightsStatementURI` must be "
    "the CC0 deed or the Public Domain Mark; free-text rights alone are rejected.",
    "brooklyn_museum": "Brooklyn Museum API: the rights type's Creative Commons links and "
    "public name must give exactly one of CC0 or PDM; any copyright line or restriction "
    "rejects the object.",
    "pd12m": "PD12M-layout bulk import: each row's license string normalized strictly; only "
    "PDM 1.0 and CC0 1.0 pass, anything doubtful is rejected with its reason.",
    "opt_in": "Uploaded by its rights holder, whose ownership declaration was accepted, and "
    "opted in for training under the platform's training license at the holder's price.",
}
UNKNOWN_SOURCE_CHECK = (
    "See each asset's provenance record (GET /api/v1/assets/{id}/provenance/) for the "
    "license evidence."
)
OPT_OUT_NOTE = (
    "For every source: an item on the opt-out registry (URL, domain, content hash or "
    "creator), or served with `X-Robots-Tag: noai`/`noimageai` or `tdm-reservation: 1`, is "
    "never published."
)
PROVENANCE_NOTE = (
    "Every license decision, publication, takedown and download is recorded in an "
    "append-only audit log whose entries are sealed into a SHA-256 hash chain. Anyone with "
    "the database can check the chain with `python manage.py verify_audit_log`; each "
    "asset's decisions and their seals are public at GET /api/v1/assets/{id}/provenance/."
)
HAND_PICKED = "hand-picked by the owner"
BY_FILTERS = "search filters"
MAX_INSTITUTIONS = 10  # per source: the most frequent, to keep a datasheet readable


@dataclass(frozen=True)
class SourceCount:
    source: str
    count: int
    institutions: tuple[str, ...] = ()  # the most frequent first


@dataclass(frozen=True)
class LicenseCount:
    code: str
    name: str
    url: str | None
    count: int


@dataclass(frozen=True)
class Threshold:
    """A classifier threshold among the filters: `max_nsfw` 0.2, with what it means."""

    param: str
    value: Any
    meaning: str


@dataclass(frozen=True)
class ReleaseFile:
    format: str
    columns: tuple[str, ...]
    sha256: str


@dataclass(frozen=True)
class AuditLogHead:
    """The audit log's last sealed link when the datasheet was made."""

    sealed_entries: int
    head_hash: str


@dataclass(frozen=True)
class Datasheet:
    kind: str  # "release" or "collection"
    name: str
    description: str
    created_at: datetime
    generated_at: datetime
    total: int
    by_source: tuple[SourceCount, ...]
    by_license: tuple[LicenseCount, ...]
    audit_log: AuditLogHead
    filters: dict | None  # None: hand-picked, not chosen by filters
    thresholds: tuple[Threshold, ...] = ()
    version: str | None = None  # releases
    built_at: datetime | None = None  # releases
    file: ReleaseFile | None = None  # releases
    collection_id: int | None = None  # collections
    updated_at: datetime | None = None  # collections
    by_status: dict[str, int] | None = None  # collections: available, removed

    @property
    def title(self) -> str:
        if self.kind == "release":
            return f"Datasheet: {self.name} {self.version}"
        return f"Datasheet: collection {self.name}"

    @property
    def file_stem(self) -> str:
        """A file name for downloads, without extension."""
        if self.kind == "release":
            return f"release-{_safe(self.name)}-{_safe(self.version or '')}-datasheet"
        return f"collection-{self.collection_id}-datasheet"


def tally(rows: Iterable[tuple[str, str, str, int]]) -> dict:
    """Counts of (source, license, institution, count) rows, in the form a release stores:
    `total`, `by_source`, `by_license` and the most frequent `institutions` per source."""
    by_source: Counter[str] = Counter()
    by_license: Counter[str] = Counter()
    institutions: dict[str, Counter[str]] = {}
    for source, license_code, institution, count in rows:
        by_source[source] += count
        by_license[license_code] += count
        if institution:
            institutions.setdefault(source, Counter())[institution] += count
    return {
        "total": sum(by_source.values()),
        "by_source": dict(sorted(by_source.items())),
        "by_license": dict(sorted(by_license.items())),
        "institutions": {
            source: [name for name, _ in sorted(names.items(), key=lambda i: (-i[1], i[0]))][
                :MAX_INSTITUTIONS
            ]
            for source, names in sorted(institutions.items())
        },
    }


def source_counts(counts: dict) -> tuple[SourceCount, ...]:
    """`tally`'s counts by source, each with its institutions, largest first."""
    institutions = counts.get("institutions", {})
    return tuple(
        SourceCount(source, count, tuple(institutions.get(source, ())))
        for source, count in sorted(counts.get("by_source", {}).items(), key=_largest_first)
    )


def audit_log_head() -> AuditLogHead:
    """The audit log's last sealed link (an index look-up)."""
    last = AuditSeal.objects.order_by("-seq").values_list("seq", "hash").first()
    return AuditLogHead(*last) if last else AuditLogHead(0, "")


def datasheet_json(sheet: Datasheet) -> dict:
    """The datasheet as a JSON-ready dict; every key is always there (null when it does not
    apply to this kind)."""
    return {
        "kind": sheet.kind,
        "title": sheet.title,
        "name": sheet.name,
        "version": sheet.version,
        "collection_id": sheet.collection_id,
        "description": sheet.description,
        "created_at": _iso(sheet.created_at),
        "built_at": _iso(sheet.built_at),
        "updated_at": _iso(sheet.updated_at),
        "generated_at": _iso(sheet.generated_at),
        "counts": {
            "total": sheet.total,
            "by_status": sheet.by_status,
            "by_source": [
                {"source": s.source, "count": s.count, "institutions": list(s.institutions)}
                for s in sheet.by_source
            ],
            "by_license": [
                {"code": lic.code, "name": lic.name, "url": lic.url, "count": lic.count}
                for lic in sheet.by_license
            ],
        },
        "selection": {
            "method": HAND_PICKED if sheet.filters is None else BY_FILTERS,
            "filters": sheet.filters,
            "classifier_thresholds": [
                {"filter": t.param, "value": t.value, "meaning": t.meaning}
                for t in sheet.thresholds
            ],
        },
        "license_verification": {
            "sources": [{"source": s, "how": _check(s)} for s in _sources(sheet)],
            "opt_outs": OPT_OUT_NOTE,
        },
        "file": _file_json(sheet.file),
        "provenance": {
            "note": PROVENANCE_NOTE,
            "verify_command": "python manage.py verify_audit_log",
            "audit_log_sealed_entries": sheet.audit_log.sealed_entries,
            "audit_log_head_hash": sheet.audit_log.head_hash,
        },
    }


def datasheet_markdown(sheet: Datasheet) -> str:
    """The datasheet as a Markdown document."""
    return "\n".join(
        [
            f"# {sheet.title}",
            "",
            *([sheet.description.strip(), ""] if sheet.description else []),
            *_summary(sheet),
            *_status(sheet),
            "## Sources",
            "",
            "| Source | Institutions | Assets |",
            "| --- | --- | ---: |",
            *(
                f"| `{s.source}` | {_cell(', '.join(s.institutions)) or '-'} | {s.count:,} |"
                for s in sheet.by_source
            ),
            "",
            "## Licenses",
            "",
            "| License | Code | Assets |",
            "| --- | --- | ---: |",
            *(
                f"| {_link(lic.name, lic.url)} | `{lic.code}` | {lic.count:,} |"
                for lic in sheet.by_license
            ),
            "",
            *_selection(sheet),
            "## How licenses were verified",
            "",
            *(f"- `{source}`: {_check(source)}" for source in _sources(sheet)),
            f"- {OPT_OUT_NOTE}",
            "",
            *_file(sheet),
            "## Provenance",
            "",
            PROVENANCE_NOTE,
            "",
            *_audit_log(sheet),
        ]
    )


def _summary(sheet: Datasheet) -> list[str]:
    if sheet.kind == "release":
        rows = [
            ("Release", _cell(sheet.name)),
            ("Version", _cell(sheet.version)),
            ("Created", _when(sheet.created_at)),
            ("Built", _when(sheet.built_at)),
        ]
    else:
        rows = [
            ("Collection", f"{_cell(sheet.name)} (id {sheet.collection_id})"),
            ("Created", _when(sheet.created_at)),
            ("Last changed", _when(sheet.updated_at)),
        ]
    rows += [("Datasheet made", _when(sheet.generated_at)), ("Assets", f"{sheet.total:,}")]
    return ["| | |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows), ""]


def _status(sheet: Datasheet) -> list[str]:
    if sheet.by_status is None:
        return []
    return [
        "## Status",
        "",
        "Items taken down or withdrawn since they were added count as removed: they are not "
        "listed as available, nor counted by source or license below.",
        "",
        "| Status | Items |",
        "| --- | ---: |",
        *(f"| {status} | {n:,} |" for status, n in sheet.by_status.items()),
        "",
    ]


def _selection(sheet: Datasheet) -> list[str]:
    lines = ["## How the assets were chosen", ""]
    if sheet.filters is None:
        lines.append(f"Hand-picked: the collection's assets were {HAND_PICKED}.")
    elif not sheet.filters:
        lines.append("No filters: every asset published when the release was built.")
    else:
        lines += [
            "The assets published when the release was built that matched these search "
            "filters (as GET /api/v1/assets/ takes them):",
            "",
            *(f"- `{name}` = {_value(value)}" for name, value in sheet.filters.items()),
        ]
    if sheet.thresholds:
        lines += ["", "### Classifier thresholds", ""]
        lines += [f"- `{t.param}` = {_value(t.value)}: {t.meaning}" for t in sheet.thresholds]
    return [*lines, ""]


def _file_json(file: ReleaseFile | None) -> dict | None:
    if file is None:
        return None
    return {"format": file.format, "columns": list(file.columns), "sha256": file.sha256}


def _file(sheet: Datasheet) -> list[str]:
    if sheet.file is None:
        return []
    return [
        "## File",
        "",
        f"- Format: {sheet.file.format}, one row per asset",
        f"- Columns: {', '.join(f'`{c}`' for c in sheet.file.columns)}",
        f"- SHA-256: `{sheet.file.sha256}`",
        "",
    ]


def _audit_log(sheet: Datasheet) -> list[str]:
    head = sheet.audit_log
    if not head.sealed_entries:
        return []
    return [
        f"When this datasheet was made the audit log had {head.sealed_entries:,} sealed "
        f"entries; the last hash was `{head.head_hash}`.",
        "",
    ]


def _sources(sheet: Datasheet) -> list[str]:
    return [s.source for s in sheet.by_source]


def _check(source: str) -> str:
    return LICENSE_CHECKS.get(source, UNKNOWN_SOURCE_CHECK)


def _largest_first(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _cell(text: str | None) -> str:
    """Text safe inside a Markdown table cell."""
    return (text or "").replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _link(name: str, url: str | None) -> str:
    return f"[{_cell(name)}]({url})" if url else _cell(name)


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(f"`{v}`" for v in value)
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return f"`{value}`"


def _safe(text: str) -> str:
    """Letters, digits, dots and dashes only: safe in a Content-Disposition file name."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-.") or "x"
