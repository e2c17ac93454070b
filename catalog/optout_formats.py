"""The formats people already keep opt-outs in, read into registry entries.

- `csv`: our own rows, `kind,value[,note]` (kind: url, domain, sha256, creator).
- `list`: one URL or domain a line; `#` starts a comment.
- `dnt`: a "Do Not Train"-style CSV export with a header row naming a `url` and/or a
  `domain` column (a `note` column is kept as the entry's note).
- `ai.txt`: the Spawning format, `User-Agent: *` groups with `Disallow:` rules for paths and
  file types, for one site (`domain`).

In `list` and `dnt`, a URL naming a whole site (no path beyond `/`) registers its domain:
that is what a site owner listing their home page means. An ai.txt that keeps any image
type we take, or any path, from AI use registers its domain: the registry has no
path-level entry, and a partial match would let reserved images through."""

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from catalog.consent.robots import product_token
from catalog.models import OptOutKind

FORMATS = ("csv", "list", "dnt", "ai.txt")
IMAGE_TYPES = {"jpg", "jpeg", "jpe", "jfif", "png", "webp", "tif", "tiff", "gif"}
_FILE_TYPE_RULE = re.compile(r"^/?\*\.([a-z0-9]+)\$?$", re.IGNORECASE)


class InvalidImport(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    kind: str
    value: str  # as written: normalized when registered
    note: str = ""
    line: int = 0


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def detect_format(name: str, first_line: str) -> str:
    """The format of a file from its name and first line, for imports that do not say."""
    if name.rsplit("/", 1)[-1].lower() == "ai.txt":
        return "ai.txt"
    head = [cell.strip().lower() for cell in next(csv.reader([first_line]), [])]
    names_only = not any("." in cell or "/" in cell for cell in head)  # a header, not a row
    if {"url", "domain"} & set(head) and names_only:
        return "dnt"
    if head and (head[0] == "kind" or head[0] in OptOutKind.values):
        return "csv"
    return "list"


def _site_or_url(value: str, note: str, line: int) -> Entry:
    text = value.strip()
    if "://" not in text and "/" in text:
        text = "https://" + text  # "artist.example/gallery/1.jpg"
    if "://" in text:
        parts = urlsplit(text)
        if parts.path in ("", "/") and not parts.query:
            return Entry(OptOutKind.DOMAIN, parts.hostname or text, note, line)
        return Entry(OptOutKind.URL, text, note, line)
    return Entry(OptOutKind.DOMAIN, text, note, line)


def read_csv(lines: Iterable[str]) -> Iterator[Entry | Problem]:
    for number, row in enumerate(csv.reader(lines), start=1):
        if not row or (number == 1 and row[0].strip().lower() == "kind"):
            continue
        if len(row) < 2:
            yield Problem(number, "expected kind,value[,note]")
            continue
        yield Entry(row[0].strip().lower(), row[1], row[2].strip() if len(row) > 2 else "",
                    number)  # fmt: skip


def read_list(lines: Iterable[str], note: str = "") -> Iterator[Entry | Problem]:
    for number, raw in enumerate(lines, start=1):
        value = raw.split(" #", 1)[0].split("\t#", 1)[0].strip()
        if value and not value.startswith("#"):
            yield _site_or_url(value, note, number)


def read_dnt(lines: Iterable[str], note: str = "") -> Iterator[Entry | Problem]:
    reader = csv.DictReader(lines)
    columns = {name.strip().lower(): name for name in reader.fieldnames or []}
    if not ({"url", "domain"} & set(columns)):
        yield Problem(1, "the header names no url or domain column")
        return
    for number, row in enumerate(reader, start=2):
        row_note = (row.get(columns.get("note", ""), "") or "").strip() or note
        found = False
        for column in ("url", "domain"):
            value = (row.get(columns.get(column, ""), "") or "").strip()
            if value:
                found = True
                yield (_site_or_url(value, row_note, number) if column == "url"
                       else Entry(OptOutKind.DOMAIN, value, row_note, number))  # fmt: skip
        if not found:
            yield Problem(number, "no url or domain")


def read_ai_txt(lines: Iterable[str], *, domain: str, note: str = "") -> Iterator[Entry | Problem]:
    """The site's domain, when its ai.txt keeps images (or any path) from AI use."""
    if not domain.strip():
        raise InvalidImport("an ai.txt import needs the site's domain")
    agents: set[str] = set()
    previous_was_agent, blocking = False, []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        field, _, value = line.partition(":")
        field, value = field.strip().lower(), value.strip()
        if field == "user-agent":
            if not previous_was_agent:
                agents = set()
            agents.add(value.lower())
            previous_was_agent = True
            continue
        previous_was_agent = False
        ours = {"*", product_token(settings.INGEST_USER_AGENT).lower()}
        if field != "disallow" or not value or not agents & ours:
            continue
        file_type = _FILE_TYPE_RULE.match(value)
        if file_type is None or file_type.group(1).lower() in IMAGE_TYPES:
            blocking.append(value)
    if not blocking:
        yield Problem(0, "the ai.txt reserves no image type or path: nothing to register")
        return
    rules = ", ".join(dict.fromkeys(blocking))
    yield Entry(OptOutKind.DOMAIN, domain, (note + "; " if note else "") + f"ai.txt: {rules}"[:400])


def read_entries(lines: Iterable[str], *, fmt: str, domain: str = "", note: str = ""):
    if fmt == "csv":
        return read_csv(lines)
    if fmt == "list":
        return read_list(lines, note)
    if fmt == "dnt":
        return read_dnt(lines, note)
    if fmt == "ai.txt":
        return read_ai_txt(lines, domain=domain, note=note)
    raise InvalidImport(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
