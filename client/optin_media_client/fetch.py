"""Parallel, verified, resumable downloads into a folder, and the folder's local state.

The state lives in `<folder>/.optin-media/`: `source.json` says what the folder is a copy
of (a collection's manifest or shard export, with its id on the server), and `files.jsonl`
has one line per file downloaded and verified, appended as soon as the file is complete:
its path, size and SHA-256 and, so that revocations can be applied to the copy later, the
asset and grant ids it holds (a file: one asset; a shard: its samples). A file listed there
and present with its size is never downloaded again; a file cut off by an interruption is
only ever a `.part` and is fetched again."""

import hashlib
import json
import os
import tarfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tqdm import tqdm

STATE_DIR = ".optin-media"
CHUNK = 256 * 1024
ATTEMPTS = 3


@dataclass(frozen=True)
class Item:
    path: str  # relative to the folder
    url: str | None
    sha256: str
    size: int | None
    record: dict  # kept in the state: asset_id and grant_id, or a shard's samples


class State:
    def __init__(self, folder: Path):
        self.folder = folder
        self.dir = folder / STATE_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.files = self.dir / "files.jsonl"
        self._lock = threading.Lock()

    def source(self) -> dict | None:
        path = self.dir / "source.json"
        return json.loads(path.read_text()) if path.exists() else None

    def set_source(self, source: dict) -> None:
        path = self.dir / "source.json"
        path.with_suffix(".tmp").write_text(json.dumps(source, indent=1))
        path.with_suffix(".tmp").replace(path)

    def done(self) -> dict[str, dict]:
        """Path to its entry, for every file downloaded and verified (the last line of a
        path wins; a line cut off by a crash is ignored)."""
        entries = {}
        if self.files.exists():
            for line in self.files.read_text().splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                entries[entry["path"]] = entry
        return entries

    def record(self, entry: dict) -> None:
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self._lock, self.files.open("a") as file:
            file.write(line)
            file.flush()
            os.fsync(file.fileno())


@dataclass
class Report:
    already: int = 0
    downloaded: int = 0
    bytes: int = 0
    gone: list[str] = field(default_factory=list)  # taken down since the links were made
    failed: dict[str, str] = field(default_factory=dict)  # path -> why


class LinkExpired(Exception):
    pass


class Gone(Exception):
    pass


class Mismatch(Exception):
    pass


class Throttled(Exception):
    def __init__(self, seconds: float):
        super().__init__(f"throttled for {seconds} s")
        self.seconds = seconds


MAX_WAITS = 20  # times one file may be told to slow down (429) before it is given up


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(60.0, max(0.5, float(response.headers.get("Retry-After", "1"))))
    except ValueError:
        return 1.0


def _download(http: httpx.Client, item: Item, target: Path) -> int:
    """Fetch one file to `target`, verified against its SHA-256 (and size, when known)."""
    part = target.with_name(target.name + ".part")
    digest, size = hashlib.sha256(), 0
    with http.stream("GET", item.url) as response:
        if response.status_code == 403:
            raise LinkExpired
        if response.status_code == 410:
            raise Gone
        if response.status_code == 429:
            raise Throttled(_retry_after(response))
        response.raise_for_status()
        with part.open("wb") as file:
            for chunk in response.iter_bytes(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                file.write(chunk)
    if digest.hexdigest() != item.sha256 or (item.size is not None and size != item.size):
        part.unlink(missing_ok=True)
        raise Mismatch(f"SHA-256 {digest.hexdigest()[:12]}… is not {item.sha256[:12]}…")
    part.replace(target)
    return size


def _fetch_one(http: httpx.Client, item: Item, folder: Path, state: State) -> int:
    if not item.sha256:
        raise Mismatch("no SHA-256 to check it against")
    target = folder / item.path
    target.parent.mkdir(parents=True, exist_ok=True)
    problem, attempts, waits = None, 0, 0
    while attempts < ATTEMPTS:
        try:
            size = _download(http, item, target)
        except Throttled as throttled:  # the server asks to slow down: not a failed attempt
            waits += 1
            if waits > MAX_WAITS:
                raise Mismatch("the server kept refusing it (429)") from throttled
            time.sleep(throttled.seconds)
            continue
        except (Mismatch, httpx.TransportError, httpx.HTTPStatusError) as error:
            problem, attempts = error, attempts + 1
            continue
        state.record({**item.record, "path": item.path, "sha256": item.sha256, "size": size})
        return size
    raise Mismatch(str(problem) or type(problem).__name__)


def fetch_all(
    items: list[Item],
    folder: Path,
    state: State,
    *,
    workers: int = 8,
    refresh: Callable[[], dict[str, str | None]] | None = None,
    progress: bool = True,
) -> Report:
    """Download what is not in the folder yet, `workers` at a time. Links refused as
    expired are asked for again once through `refresh` (path -> new link or None)."""
    report = Report()
    done = state.done()
    todo = []
    for item in items:
        entry = done.get(item.path)
        path = folder / item.path
        if (
            entry
            and entry["sha256"] == item.sha256
            and path.exists()
            and (path.stat().st_size == entry["size"])
        ):
            report.already += 1
        elif item.url is None:
            report.gone.append(item.path)
        else:
            todo.append(item)
    bar = tqdm(
        total=len(items), initial=report.already, unit="file", disable=not progress, desc="verified"
    )
    # File links carry their own signature: no token is sent with them (S3 refuses two).
    http = httpx.Client(
        timeout=120.0, follow_redirects=True, headers={"User-Agent": "optin-media-client/0.1"}
    )
    try:
        for attempt in range(2):
            expired = []
            with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                futures = {pool.submit(_fetch_one, http, i, folder, state): i for i in todo}
                for future in as_completed(futures):
                    item = futures[future]
                    try:
                        report.bytes += future.result()
                        report.downloaded += 1
                        bar.update(1)
                    except LinkExpired:
                        expired.append(item)
                    except Gone:
                        report.gone.append(item.path)
                    except Mismatch as error:
                        report.failed[item.path] = str(error)
            if not expired:
                break
            if refresh is None or attempt == 1:
                report.failed.update({i.path: "the link was refused (expired)" for i in expired})
                break
            links = refresh()
            todo = []
            for item in expired:
                if links.get(item.path):
                    todo.append(
                        Item(item.path, links[item.path], item.sha256, item.size, item.record)
                    )
                else:
                    report.gone.append(item.path)
    finally:
        http.close()
        bar.close()
    return report


def shard_without(path: Path, keys: set[str]) -> tuple[int, str]:
    """Write the shard again without the samples `keys` (every member named `<key>.*`);
    returns its new size and SHA-256."""
    part = path.with_name(path.name + ".part")
    with (
        tarfile.open(path) as source,
        part.open("wb") as out,
        tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as target,
    ):
        for member in source:
            if member.name.split(".", 1)[0] not in keys:
                target.addfile(member, source.extractfile(member))
    part.replace(path)
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return path.stat().st_size, digest.hexdigest()
