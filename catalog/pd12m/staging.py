"""Deciding a chunk of rows: each well-formed row becomes a staged row, ready for either
writer, with its license decision or rejection reason; rows are decided column by column
with Arrow compute, and each distinct license string once.

The staged rows of a chunk have one row per record id (a record repeated in the chunk: the
last one wins) and per URL (the same file under two records: the first keeps it, the others
are duplicates), sorted by record id. Deciding needs no database; the opt-out check, which
does, comes after."""

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from catalog.ingest import MISSING_RECORD_ID
from catalog.licenses import LicenseDecision, normalize_license
from catalog.lifecycle import ACCEPTED
from catalog.optouts import OPT_OUT, opted_out
from catalog.pd12m.files import Chunk
from catalog.reports import RunReport

MISSING_IMAGE_URL = "missing_image_url"
# A staged row; `reason` is "" when the license is accepted, `license` "" when it is not.
STAGING_COLUMNS = (
    "record_id", "url", "title", "description", "width", "height", "mime_type", "institution",
    "license", "reason", "raw_license", "raw_hash", "raw_source",
)  # fmt: skip
MAX_LENGTHS = {"title": 500, "mime_type": 100, "institution": 500}


@dataclass
class Staged:
    table: pa.Table  # STAGING_COLUMNS
    seen: int  # rows read, malformed ones included
    errors: list[tuple[int, str]]  # (row number, message), in row order
    missing_ids: list[int] = field(default_factory=list)  # numbers of rows without an id
    duplicates: int = 0  # rows dropped as repeated records or URLs within the chunk
    payload: list | None = None  # the rows as the writer wants them, made ahead, or None

    def __len__(self) -> int:
        return self.table.num_rows

    def rows(self) -> Iterator[tuple]:
        """The staged rows as tuples in STAGING_COLUMNS order."""
        return zip(*(self.table.column(c).to_pylist() for c in STAGING_COLUMNS), strict=True)


def stage(chunk: Chunk, licenses: dict[str | None, LicenseDecision]) -> Staged:
    """Decide a chunk. `licenses` caches decisions by license string across chunks."""
    table, numbers = chunk.table, chunk.numbers
    errors = list(chunk.errors)
    ids, urls = table.column("id"), table.column("url")

    missing = pc.fill_null(pc.equal(ids, ""), True)
    missing_ids = numbers.filter(missing).to_pylist()
    long_id = pc.and_not(pc.fill_null(pc.greater(pc.utf8_length(ids), 255), False), missing)
    long_url = pc.and_not(
        pc.fill_null(pc.greater(pc.utf8_length(urls), 2000), False), pc.or_(missing, long_id)
    )
    for mask, message in ((long_id, "id longer than 255"), (long_url, "url longer than 2000")):
        errors.extend(
            (n, f"row {n}: {message} characters") for n in numbers.filter(mask).to_pylist()
        )
    if missing_ids or len(errors) > len(chunk.errors):
        table = table.filter(pc.invert(pc.or_(missing, pc.or_(long_id, long_url))))
        errors.sort()

    table, duplicates = _one_per_record_and_url(table)
    staged = pa.Table.from_arrays(_decide(table, licenses), names=list(STAGING_COLUMNS))
    staged = staged.sort_by("record_id")  # neighbouring index pages for each batch's inserts
    return Staged(staged, chunk.size, errors, missing_ids, duplicates)


def _one_per_record_and_url(table: pa.Table) -> tuple[pa.Table, int]:
    """Drop repeated records (keeping the last values, at the first one's place) and then
    repeated URLs (keeping the first). Arrow tells whether there is anything to drop; the
    rare chunk that has some is sorted out in Python."""
    rows = table.num_rows
    ids = table.column("id")
    if len(pc.unique(ids)) < rows:  # (unique is faster than count_distinct)
        last: dict[str, int] = {}
        for index, record_id in enumerate(ids.to_pylist()):
            last[record_id] = index  # insertion order: the first place; value: the last row
        table = table.take(list(last.values()))
    urls = pc.if_else(pc.equal(table.column("url"), ""), None, table.column("url"))
    nulls = urls.null_count
    if len(pc.unique(urls)) - (nulls > 0) < len(urls) - nulls:
        owners: set[str] = set()
        keep = []
        for url in urls.to_pylist():
            keep.append(url is None or url not in owners)
            owners.add(url)
        table = table.filter(pa.array(keep))
    return table, rows - table.num_rows


def _decide(table: pa.Table, licenses: dict[str | None, LicenseDecision]) -> list[pa.Array]:
    """The STAGING_COLUMNS arrays of the (deduplicated) rows."""
    raw_licenses = table.column("license")
    values = pc.unique(raw_licenses)
    for value in values.to_pylist():
        if value not in licenses:
            licenses[value] = normalize_license(value)
    decisions = [licenses[value] for value in values.to_pylist()]
    which = pc.index_in(raw_licenses, value_set=values)  # nulls match the null value
    codes = pc.take(pa.array([d.code or "" for d in decisions], pa.string()), which)
    reasons = pc.take(pa.array([d.reason or "" for d in decisions], pa.string()), which)
    url = pc.fill_null(table.column("url"), "")
    no_url = pc.equal(url, "")
    caption = pc.fill_null(table.column("caption"), "")

    def text(column: str, length: int) -> pa.Array:
        return pc.utf8_slice_codeunits(pc.fill_null(table.column(column), ""), 0, length)

    return [
        table.column("id"), url, pc.utf8_slice_codeunits(caption, 0, MAX_LENGTHS["title"]),
        caption, table.column("width"), table.column("height"),
        text("mime_type", MAX_LENGTHS["mime_type"]), text("source", MAX_LENGTHS["institution"]),
        pc.if_else(no_url, "", codes), pc.if_else(no_url, MISSING_IMAGE_URL, reasons),
        raw_licenses, table.column("hash"), table.column("source"),
    ]  # fmt: skip


def reject_opted_out(staged: Staged) -> None:
    """Reject the accepted rows whose URL or domain is in the opt-out registry (one query).
    PD12M rows have no creator, and content hashes are checked when cloning."""
    table = staged.table
    accepted = pc.equal(table.column("reason"), "")
    urls = table.column("url").filter(accepted).to_pylist()
    hits = opted_out((url, "", "") for url in urls)
    if not hits:
        return
    positions = pc.indices_nonzero(accepted).to_pylist()
    hit = [False] * len(table)
    for index in hits:
        hit[positions[index]] = True
    hit = pa.array(hit)
    for column, value in (("license", ""), ("reason", OPT_OUT)):
        where = table.schema.get_field_index(column)
        table = table.set_column(where, column, pc.if_else(hit, value, table.column(column)))
    staged.table, staged.payload = table, None


def count_before_writing(report: RunReport, staged: Staged) -> None:
    report.seen += staged.seen
    report.duplicates += staged.duplicates
    for number in staged.missing_ids:
        report.reject(f"#{number}", MISSING_RECORD_ID)
    for _, message in staged.errors:
        report.error(message)


def count_written(report: RunReport, staged: Staged, duplicates: set[str]) -> None:
    """Count the decisions of the rows that were recorded (the rows not found to be
    duplicates of records already in the catalog)."""
    report.duplicates += len(duplicates)
    ids = staged.table.column("record_id").to_pylist()
    reasons = staged.table.column("reason").to_pylist()
    for record_id, reason in zip(ids, reasons, strict=True):
        if record_id in duplicates:
            continue
        report.count(record_id, reason or ACCEPTED)
