"""Bulk import of a published dataset in the PD12M metadata layout: Parquet, JSON Lines or
CSV files with the columns `id, url, caption, width, height, mime_type, hash, license,
source`, millions of rows at a time.

Each row becomes an asset of source `pd12m`, decided like any ingested record: an accepted
license makes it a `candidate` waiting to be cloned, anything else a `rejected` asset with
its reason; opt-outs reject, a URL already held by another record is a duplicate, and every
decision leaves a provenance record and, when it is new or changed, an event. Importing the
same file again changes nothing; changed rows are updated, and a record decided again
follows `catalog.lifecycle.after_decision` (taken-down and withdrawn assets are never
touched; the previous decision is the one in the asset's provenance record).

The file is read in chunks, never whole (`files`), each chunk decided with Arrow
(`staging`), then written in one transaction: COPYed into a staging table and written
with set-based SQL (`postgres`)."""

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from catalog.models import OptOut, OptOutKind
from catalog.pd12m.files import (
    COLUMNS,
    MalformedFile,
    Pd12mFileError,
    count_rows,
    file_format,
    read_chunks,
)
from catalog.pd12m.postgres import PostgresWriter
from catalog.pd12m.staging import (
    count_before_writing,
    count_written,
    reject_opted_out,
    stage,
)
from catalog.reports import RunReport

__all__ = ["COLUMNS", "KIND", "SOURCE", "Pd12mFileError", "count_rows", "file_format",
           "import_pd12m"]  # fmt: skip

SOURCE = "pd12m"
KIND = "import_pd12m"


def import_pd12m(
    *,
    path: Path,
    actor: str = "import_pd12m",
    progress: Callable[[int], object] | None = None,
    batch_size: int = 100_000,
) -> RunReport:
    """Import one PD12M-layout file (.parquet, .jsonl/.ndjson or .csv) and return the run's
    report, stored as an IngestRun after every chunk. Malformed rows are counted as errors
    and the run goes on; an unreadable file is one error."""
    path = Path(path)
    file_format(path)
    if not path.is_file():
        raise Pd12mFileError(f"No such file: {path}")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = RunReport(kind=KIND, source=SOURCE)
    report.save()
    licenses: dict = {}  # license string -> decision, for the whole file
    try:
        with (
            PostgresWriter(source=SOURCE, file_name=path.name, actor=actor) as writer,
            _ahead(
                writer.prepare(stage(chunk, licenses)) for chunk in read_chunks(path, batch_size)
            ) as chunks,
        ):
            for staged in chunks:
                count_before_writing(report, staged)
                # Only URL and domain entries can match a PD12M row: no look-up without them.
                if len(staged) and _url_opt_outs_exist():
                    reject_opted_out(staged)
                if len(staged):
                    created, updated, duplicates = writer.write(staged)
                    report.created += created
                    report.updated += updated
                    count_written(report, staged, duplicates)
                report.save()
                if progress:
                    progress(staged.seen)
    except MalformedFile as exc:
        report.error(f"{path.name}: {exc}")
    except Exception as exc:
        rows = f"{report.seen} row{'' if report.seen == 1 else 's'}"
        report.error(f"import stopped after {rows}: {type(exc).__name__}: {exc}")
        with contextlib.suppress(Exception):  # the original error matters more
            report.save(finished=True)
        raise
    report.save(finished=True)
    return report


def _url_opt_outs_exist() -> bool:
    return OptOut.objects.filter(kind__in=[OptOutKind.URL, OptOutKind.DOMAIN]).exists()


@contextlib.contextmanager
def _ahead(items: Iterable) -> Iterator[Iterator]:
    """`items`, produced one ahead in a thread: the next chunk is read and decided (Arrow and
    Parquet, which release the GIL) while the database writes this one. The producer's
    exception is raised in the caller; leaving the block stops the producer."""
    handoff: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    end = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((end, None))
        except BaseException as exc:  # handed to the consumer, raised there
            put((end, exc))
        finally:
            if hasattr(items, "close"):
                items.close()  # a generator: its file is closed in this thread

    def consume() -> Iterator:
        while True:
            item, error = handoff.get()
            if error is not None:
                raise error
            if item is end:
                return
            yield item

    thread = threading.Thread(target=produce, name="pd12m-reader", daemon=True)
    thread.start()
    try:
        yield consume()
    finally:
        stop.set()
        thread.join()
