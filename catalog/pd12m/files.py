"""Reading PD12M-layout files: the formats, reading in chunks, and checking each row.

A reader yields `Chunk`s: the chunk's well-formed rows as an Arrow table in `SCHEMA` (ids
and texts as strings, width and height as integers, any of them null), and a message for
each malformed row, which the import counts as an error. Parquet is read column by column
with Arrow compute (no Python per row, unless a column has an unexpected type); JSON Lines
and CSV are parsed row by row, then put into the same table."""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

COLUMNS = ("id", "url", "caption", "width", "height", "mime_type", "hash", "license", "source")
INTEGER_COLUMNS = ("width", "height")
SCHEMA = pa.schema([(c, pa.int64() if c in INTEGER_COLUMNS else pa.string()) for c in COLUMNS])
FORMATS = {".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
MAX_INT = 2**31 - 1  # width and height are PostgreSQL integers
CAPTION_MAX = 2000


def caption(title: str, description: str) -> str:
    """The `caption` of a row we write (manifests, releases): the title and description."""
    return title if not description else f"{title}. {description}"[:CAPTION_MAX]


class Pd12mFileError(ValueError):
    """The file cannot be imported at all: missing, or of an unknown kind."""


class MalformedFile(ValueError):
    """The whole file is unreadable (not Parquet, required columns missing)."""


class _Malformed(ValueError):
    pass


@dataclass
class Chunk:
    first: int  # the number of the chunk's first row, counting every row read (from 1)
    size: int  # rows read, malformed ones included
    table: pa.Table  # the well-formed rows, in SCHEMA
    numbers: pa.Array  # the number of each well-formed row (int64)
    errors: list[tuple[int, str]]  # (row number, message) of each malformed row


def file_format(path: Path) -> str:
    """`parquet`, `jsonl` or `csv`, from the file's extension."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise Pd12mFileError(
            f"{path.name}: unknown file type {path.suffix or '(none)'!r}; "
            f"use one of {', '.join(sorted(FORMATS))}"
        )
    return kind


def count_rows(path: Path) -> int | None:
    """The number of rows when it is cheap to know (Parquet metadata), else None."""
    if file_format(path) != "parquet":
        return None
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception:  # an unreadable file is reported by the import itself
        return None


def read_chunks(path: Path, batch_size: int) -> Iterator[Chunk]:
    return _READERS[file_format(path)](path, batch_size)


def _missing_columns(names) -> list[str]:
    return [c for c in COLUMNS if c not in set(names)]


# --- one value at a time (JSON Lines, CSV, and odd Parquet columns) -------------------------


def _to_int(value: Any, column: str) -> int | None:
    if value is None or value == "":
        return None
    number = None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = int(text)
        except ValueError:
            try:
                as_float = float(text)
            except ValueError:
                as_float = None
            number = int(as_float) if as_float is not None and as_float.is_integer() else None
    if number is None:
        raise _Malformed(f"{column} {value!r} is not an integer")
    if not 0 <= number <= MAX_INT:
        raise _Malformed(f"{column} {value!r} is out of range")
    return number


def _to_text(value: Any, column: str) -> str | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, from a JSON \ud800 escape
            raise _Malformed(f"{column} is not valid Unicode") from None
        return value.replace("\x00", "") if "\x00" in value else value
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _Malformed(f"{column} is {type(value).__name__}, not text")


def _row(values: dict | list, where: str) -> tuple | str:
    """A row's values (by column name, or in COLUMNS order) as a tuple, or a message."""
    if isinstance(values, dict):
        values = [values[c] for c in COLUMNS]
    try:
        return tuple(
            _to_int(value, column) if column in INTEGER_COLUMNS else _to_text(value, column)
            for column, value in zip(COLUMNS, values, strict=True)
        )
    except _Malformed as exc:
        return f"{where}: {exc}"


def _chunk(first: int, rows: list) -> Chunk:
    """A chunk from rows that are each a tuple in COLUMNS order or a message."""
    good, numbers, errors = [], [], []
    for number, row in enumerate(rows, start=first):
        if row.__class__ is str:
            errors.append((number, row))
        else:
            good.append(row)
            numbers.append(number)
    columns = list(zip(*good, strict=True)) if good else [[] for _ in COLUMNS]
    table = pa.Table.from_arrays(
        [pa.array(values, type=f.type) for values, f in zip(columns, SCHEMA, strict=True)],
        schema=SCHEMA,
    )
    return Chunk(first, len(rows), table, pa.array(numbers, pa.int64()), errors)


def _in_chunks(rows: Iterator[tuple | str], batch_size: int) -> Iterator[Chunk]:
    """Rows (each a tuple in COLUMNS order or an error message) grouped into chunks."""
    batch: list = []
    first = 1
    for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            yield _chunk(first, batch)
            first, batch = first + len(batch), []
    if batch:
        yield _chunk(first, batch)


def _read_jsonl(path: Path, batch_size: int) -> Iterator[Chunk]:
    return _in_chunks(_jsonl_rows(path), batch_size)


def _jsonl_rows(path: Path) -> Iterator[tuple | str]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue  # blank lines are not rows
            where = f"line {number}"
            try:
                value = json.loads(line)
            except ValueError as exc:
                yield f"{where}: not JSON ({exc})"
                continue
            if not isinstance(value, dict):
                yield f"{where}: not a JSON object"
            elif missing := _missing_columns(value):
                yield f"{where}: missing columns {', '.join(missing)}"
            else:
                yield _row(value, where)


def _read_csv(path: Path, batch_size: int) -> Iterator[Chunk]:
    return _in_chunks(_csv_rows(path), batch_size)


def _csv_rows(path: Path) -> Iterator[tuple | str]:
    # surrogateescape: a row with bytes that are not UTF-8 fails alone, not the whole file.
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        header = [name.strip().lstrip("\ufeff") for name in header]
        if missing := _missing_columns(header):
            raise MalformedFile(f"missing columns {', '.join(missing)} in the header")
        index = [header.index(c) for c in COLUMNS]
        width = len(header)
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield f"line {reader.line_num}: {exc}"
                continue
            where = f"line {reader.line_num}"
            if len(fields) != width:
                # This module reads files without Django: no ngettext here.
                count = f"{len(fields)} field{'' if len(fields) == 1 else 's'}"
                yield f"{where}: {count}, expected {width}"
                continue
            try:
                "".join(fields).encode("utf-8")
            except UnicodeEncodeError:
                yield f"{where}: not UTF-8"
                continue
            values = [fields[i] for i in index]
            values[0] = values[0] or None  # an empty id is a missing id
            yield _row(values, where)


# --- Parquet: a column at a time ----------------------------------------------------------


def _texts(array: pa.Array, column: str) -> pa.Array:
    if not pa.types.is_string(array.type):
        try:
            array = pc.cast(array, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise MalformedFile(f"column {column} is {array.type}, not text") from exc
    if _has_nul(array):
        array = pc.replace_substring(array, "\x00", "")  # PostgreSQL text cannot hold NUL
    return array


def _has_nul(array: pa.Array) -> bool:
    """Whether a string array may hold a NUL character (a search of its data buffer, several
    times faster than a string kernel; a slice's buffer may be larger than the slice)."""
    data = array.buffers()[2]
    return data is not None and data.to_pybytes().find(b"\x00") >= 0


def _integers(array: pa.Array, column: str, first: int) -> tuple[pa.Array, dict[int, str]]:
    """The column as int64, and a message for each row whose value is not a fitting
    integer (by offset in the chunk)."""
    if pa.types.is_integer(array.type):
        low, high = (value.as_py() for value in pc.min_max(array).values())
        if low is None or (low >= 0 and high <= MAX_INT):
            return pc.cast(array, pa.int64()), {}
    values, problems = [], {}
    for offset, value in enumerate(array.to_pylist()):
        try:
            values.append(_to_int(value, column))
        except _Malformed as exc:
            values.append(None)
            problems[offset] = f"row {first + offset}: {exc}"
    return pa.array(values, pa.int64()), problems


def _read_parquet(path: Path, batch_size: int) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:
        raise MalformedFile(f"not a Parquet file ({exc})") from exc
    if missing := _missing_columns(parquet.schema_arrow.names):
        raise MalformedFile(f"missing columns {', '.join(missing)}")
    first = 1
    for batch in parquet.iter_batches(batch_size=batch_size, columns=list(COLUMNS)):
        arrays, problems = [], {}
        for column in COLUMNS:
            if column in INTEGER_COLUMNS:
                array, bad = _integers(batch.column(column), column, first)
                for offset, message in bad.items():
                    problems.setdefault(offset, message)  # width's message before height's
            else:
                array = _texts(batch.column(column), column)
            arrays.append(array)
        table = pa.Table.from_arrays(arrays, schema=SCHEMA)
        numbers = pa.arange(first, first + batch.num_rows)
        if problems:
            keep = pa.array([i not in problems for i in range(batch.num_rows)])
            table, numbers = table.filter(keep), numbers.filter(keep)
        errors = [(first + offset, message) for offset, message in sorted(problems.items())]
        yield Chunk(first, batch.num_rows, table, numbers, errors)
        first += batch.num_rows


_READERS = {"parquet": _read_parquet, "jsonl": _read_jsonl, "csv": _read_csv}
