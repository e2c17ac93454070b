"""Importing PD12M-layout files: decisions and reasons, the three file formats, duplicates,
re-imports, malformed rows, provenance, and the command.

Rows are written with PostgreSQL's bulk path (COPY and set-based SQL); the status rules
are `catalog.lifecycle.after_decision`'s."""

import csv
import itertools
import json
import threading
import time
from io import StringIO
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from catalog.lifecycle import after_decision
from catalog.locks import INGEST_WRITE, advisory_xact_lock
from catalog.models import Asset, AssetStatus, IngestRun, OptOut
from catalog.pd12m import import_pd12m
from catalog.pd12m.postgres import PostgresWriter
from provenance.models import ProvenanceEvent, ProvenanceRecord

pytestmark = pytest.mark.django_db

COLUMNS = ["id", "url", "caption", "width", "height", "mime_type", "hash", "license", "source"]
SCHEMA = pa.schema(
    [
        ("id", pa.string()), ("url", pa.string()), ("caption", pa.string()),
        ("width", pa.int64()), ("height", pa.int64()), ("mime_type", pa.string()),
        ("hash", pa.string()), ("license", pa.string()), ("source", pa.string()),
    ]
)  # fmt: skip
CC0_URL = "https://creativecommons.org/publicdomain/zero/1.0/"
PDM_URL = "https://creativecommons.org/publicdomain/mark/1.0/"


def row(record_id, license=CC0_URL, **values) -> dict:
    values.setdefault("url", f"https://images.example.org/{record_id}.jpg")
    values.setdefault("caption", f"Caption of {record_id}")
    values.setdefault("width", 640)
    values.setdefault("height", 480)
    values.setdefault("mime_type", "image/jpeg")
    values.setdefault("hash", f"hash-{record_id}")
    values.setdefault("source", "Example Museum")
    return {"id": record_id, "license": license, **values}


def write(folder: Path, rows: list[dict], fmt: str = "parquet", name: str = "pd12m") -> Path:
    path = folder / f"{name}.{fmt}"
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    return path


def run(path: Path, **kwargs):
    return import_pd12m(path=path, actor="test", **kwargs)


def assets() -> dict[str, tuple[str, str, str]]:
    return {
        a.source_record_id: (a.status, a.rejection_reason, a.license)
        for a in Asset.objects.filter(source="pd12m")
    }


LICENSE_ROWS = [
    row("1", CC0_URL),
    row("2", "cc0"),
    row("3", PDM_URL),
    row("4", "cc-by-4.0"),
    row("5", ""),
    row("6", "Public Domain"),
    row("7", None),
]
LICENSE_OUTCOMES = {
    "1": ("candidate", "", "cc0-1.0"),
    "2": ("candidate", "", "cc0-1.0"),
    "3": ("candidate", "", "pdm-1.0"),
    "4": ("rejected", "license_restricted", ""),
    "5": ("rejected", "license_missing", ""),
    "6": ("rejected", "license_ambiguous", ""),
    "7": ("rejected", "license_missing", ""),
}


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_licenses_decide_each_row_in_every_format(tmp_path, fmt):
    report = run(write(tmp_path, LICENSE_ROWS, fmt))
    assert assets() == LICENSE_OUTCOMES
    assert (report.seen, report.accepted, report.created, report.updated) == (7, 3, 7, 0)
    assert dict(report.rejected) == {
        "license_restricted": 1, "license_missing": 2, "license_ambiguous": 1,
    }  # fmt: skip
    assert sorted(report.accepted_ids) == ["1", "2", "3"]
    assert report.rejected_ids == {
        "4": "license_restricted", "5": "license_missing", "6": "license_ambiguous",
        "7": "license_missing",
    }  # fmt: skip


def test_the_ndjson_extension_is_json_lines(tmp_path):
    path = write(tmp_path, LICENSE_ROWS, "jsonl").rename(tmp_path / "pd12m.ndjson")
    run(path)
    assert assets() == LICENSE_OUTCOMES


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_an_accepted_row_becomes_a_candidate_with_its_metadata(tmp_path, fmt):
    caption = "A view of the harbour " * 40  # 880 characters
    run(write(tmp_path, [row("42", caption=caption, width=1024, height=768,
                             mime_type="image/png", source="Rijksmuseum")], fmt))  # fmt: skip
    asset = Asset.objects.get()
    assert (asset.source, asset.source_record_id, asset.original_url) == (
        "pd12m",
        "42",
        "https://images.example.org/42.jpg",
    )
    assert (asset.title, asset.description) == (caption[:500], caption)
    assert (asset.width, asset.height, asset.mime_type, asset.institution) == (
        1024,
        768,
        "image/png",
        "Rijksmuseum",
    )
    assert (asset.status, asset.clone_state, asset.license) == ("candidate", "pending", "cc0-1.0")


def test_integer_ids_and_missing_sizes_are_fine(tmp_path):
    path = tmp_path / "pd12m.jsonl"
    path.write_text(
        json.dumps(row(7, width=None, height=None)) + "\n" + json.dumps(row(8, width="300")),
        encoding="utf-8",
    )
    run(path)
    assert dict(Asset.objects.values_list("source_record_id", "width")) == {"7": None, "8": 300}


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_rows_without_an_id_or_a_url_are_rejected(tmp_path, fmt):
    report = run(write(tmp_path, [row(None), row("2", url=None), row("3")], fmt))
    assert dict(report.rejected) == {"missing_record_id": 1, "missing_image_url": 1}
    assert report.rejected_ids == {"#1": "missing_record_id", "2": "missing_image_url"}
    # Without an id there is nothing to store; without a URL the record is kept, rejected.
    assert assets() == {
        "2": ("rejected", "missing_image_url", ""),
        "3": ("candidate", "", "cc0-1.0"),
    }


def test_opted_out_urls_are_rejected(tmp_path):
    OptOut.objects.create(kind="domain", value="blocked.example.net")
    rows = [
        row("1", url="https://cdn.blocked.example.net/1.jpg"),
        row("2"),
        row("3", "cc-by-4.0", url="https://blocked.example.net/3.jpg"),
    ]
    report = run(write(tmp_path, rows))
    assert assets() == {
        "1": ("rejected", "opt_out", ""),
        "2": ("candidate", "", "cc0-1.0"),
        "3": ("rejected", "license_restricted", ""),
    }
    assert dict(report.rejected) == {"opt_out": 1, "license_restricted": 1}


@pytest.mark.parametrize("batch_size", [100, 1])
def test_a_url_already_held_by_another_record_is_a_duplicate(tmp_path, batch_size):
    Asset.objects.create(
        source="cleveland_museum", source_record_id="c-1", license="cc0-1.0",
        original_url="https://images.example.org/taken.jpg",
    )  # fmt: skip
    rows = [
        row("1", url="https://images.example.org/shared.jpg"),
        row("2", url="https://images.example.org/taken.jpg"),
        row("3", url="https://images.example.org/shared.jpg"),
        row("4"),
    ]
    report = run(write(tmp_path, rows), batch_size=batch_size)
    assert report.duplicates == 2
    assert (report.seen, report.accepted, report.created) == (4, 2, 2)
    assert sorted(assets()) == ["1", "4"]
    assert Asset.objects.get(source_record_id="c-1").source == "cleveland_museum"


def test_a_record_moving_to_a_url_another_record_holds_is_a_duplicate(tmp_path):
    run(write(tmp_path, [row("1"), row("2")]))
    events = ProvenanceEvent.objects.count()
    moved = row("1", "cc-by-4.0", url="https://images.example.org/2.jpg", caption="moved")
    report = run(write(tmp_path, [moved, row("3")]))
    assert (report.duplicates, report.created, report.updated, report.accepted) == (1, 1, 0, 1)
    asset = Asset.objects.get(source_record_id="1")
    assert (asset.original_url, asset.title, asset.status) == (
        "https://images.example.org/1.jpg", "Caption of 1", "candidate",
    )  # fmt: skip
    assert ProvenanceEvent.objects.count() == events + 1  # record 3's


@pytest.mark.parametrize("batch_size", [100, 1])
def test_a_record_repeated_in_the_file_is_stored_once_with_its_last_values(tmp_path, batch_size):
    rows = [row("1", caption="first"), row("2"), row("1", caption="second")]
    report = run(write(tmp_path, rows), batch_size=batch_size)
    assert Asset.objects.get(source_record_id="1").title == "second"
    assert Asset.objects.count() == 2
    assert report.seen == 3


def test_importing_the_same_file_again_changes_nothing(tmp_path):
    path = write(tmp_path, LICENSE_ROWS)
    run(path)
    counts = (Asset.objects.count(), ProvenanceRecord.objects.count(),
              ProvenanceEvent.objects.count())  # fmt: skip
    before = {a.pk: a.updated_at for a in Asset.objects.all()}

    second = run(path)
    assert (second.created, second.updated, second.duplicates) == (0, 0, 0)
    assert (second.seen, second.accepted, sum(second.rejected.values())) == (7, 3, 4)
    assert (Asset.objects.count(), ProvenanceRecord.objects.count(),
            ProvenanceEvent.objects.count()) == counts  # fmt: skip
    assert {a.pk: a.updated_at for a in Asset.objects.all()} == before
    assert assets() == LICENSE_OUTCOMES


def test_changed_metadata_is_updated_and_published_assets_stay_published(tmp_path):
    run(write(tmp_path, [row("1"), row("2")]))
    Asset.objects.update(status=AssetStatus.PUBLISHED, clone_state="done")
    events = ProvenanceEvent.objects.count()

    rows = [row("1", caption="Better caption", source="Rijksmuseum"), row("2")]
    report = run(write(tmp_path, rows))
    assert (report.created, report.updated) == (0, 1)
    asset = Asset.objects.get(source_record_id="1")
    assert (asset.title, asset.description, asset.institution) == (
        "Better caption",
        "Better caption",
        "Rijksmuseum",
    )
    assert (asset.status, asset.clone_state) == ("published", "done")
    assert ProvenanceEvent.objects.count() == events  # the decision did not change


def test_sizes_measured_when_cloned_are_kept(tmp_path):
    run(write(tmp_path, [row("1", width=640, height=480, mime_type="image/jpeg")]))
    Asset.objects.update(status=AssetStatus.PUBLISHED, clone_state="done", width=1280,
                         height=960, mime_type="image/png")  # fmt: skip
    report = run(write(tmp_path, [row("1", width=640, height=480, mime_type="image/jpeg")]))
    assert (report.created, report.updated) == (0, 0)
    asset = Asset.objects.get()
    assert (asset.width, asset.height, asset.mime_type, asset.status) == (
        1280,
        960,
        "image/png",
        "published",
    )


def test_a_new_url_sends_a_published_asset_back_to_cloning(tmp_path):
    run(write(tmp_path, [row("1")]))
    Asset.objects.update(status=AssetStatus.PUBLISHED, clone_state="done", clone_attempts=2)
    run(write(tmp_path, [row("1", url="https://images.example.org/1-v2.jpg")]))
    asset = Asset.objects.get()
    assert (asset.status, asset.clone_state, asset.clone_attempts, asset.original_url) == (
        "candidate",
        "pending",
        0,
        "https://images.example.org/1-v2.jpg",
    )


def test_a_changed_license_changes_the_decision_and_writes_an_event(tmp_path):
    run(write(tmp_path, [row("1")]))
    Asset.objects.update(status=AssetStatus.PUBLISHED, clone_state="done")

    report = run(write(tmp_path, [row("1", "cc-by-sa-4.0")]))
    assert report.updated == 1
    assert assets() == {"1": ("rejected", "license_restricted", "")}

    run(write(tmp_path, [row("1", PDM_URL)]))
    asset = Asset.objects.get()
    assert (asset.status, asset.license, asset.clone_state) == ("candidate", "pdm-1.0", "pending")
    assert list(ProvenanceEvent.objects.values_list("kind", "reason")) == [
        ("ingest.accepted", ""),
        ("ingest.rejected", "license_restricted"),
        ("ingest.accepted", ""),
    ]
    assert ProvenanceRecord.objects.get(asset_id=asset.pk).decision == "accepted"


def test_taken_down_and_withdrawn_assets_are_never_touched(tmp_path):
    run(write(tmp_path, [row("1"), row("2"), row("3")]))
    Asset.objects.filter(source_record_id="1").update(status=AssetStatus.TAKEN_DOWN)
    Asset.objects.filter(source_record_id="2").update(status=AssetStatus.WITHDRAWN)
    events = ProvenanceEvent.objects.count()

    report = run(write(tmp_path, [row("1", "cc-by-4.0", caption="new"),
                                  row("2", caption="new"), row("3", caption="new")]))  # fmt: skip
    assert report.updated == 1
    assert assets() == {
        "1": ("taken_down", "", "cc0-1.0"),
        "2": ("withdrawn", "", "cc0-1.0"),
        "3": ("candidate", "", "cc0-1.0"),
    }
    assert list(Asset.objects.filter(title="new").values_list("source_record_id", flat=True)) == [
        "3"
    ]
    assert ProvenanceEvent.objects.count() == events
    record = ProvenanceRecord.objects.get(asset_id=Asset.objects.get(source_record_id="1").pk)
    assert (record.decision, record.license) == ("accepted", "cc0-1.0")


# Every combination of the asset's status (with a clone-time rejection among them), the
# previous decision in its provenance record (none: an asset with no record), the file's
# decision, and a changed URL. Each asset was cloned (measured 1280 wide, the file says 640).
STATUSES = [
    ("published", ""), ("candidate", ""), ("rejected", "duplicate"),
    ("rejected", "license_restricted"), ("embargoed", ""), ("taken_down", ""), ("withdrawn", ""),
]  # fmt: skip
PREVIOUS = ["accepted", "embargoed", "license_restricted", None]
DECISIONS = {"accepted": CC0_URL, "license_restricted": "cc-by-4.0"}
CASES = list(itertools.product(STATUSES, PREVIOUS, DECISIONS, [False, True]))


def test_records_decided_again_follow_after_decision(tmp_path):
    rows = []
    for n, ((status, reason), previous, decision, url_changed) in enumerate(CASES):
        asset = Asset.objects.create(
            source="pd12m", source_record_id=f"case-{n}", license="cc0-1.0", status=status,
            rejection_reason=reason, original_url=f"https://images.example.org/case-{n}.jpg",
            title=f"Caption of case-{n}", description=f"Caption of case-{n}",
            institution="Example Museum", width=1280, height=960, mime_type="image/png",
            clone_state="done", clone_attempts=2,
        )  # fmt: skip
        if previous is not None:
            ProvenanceRecord.objects.create(
                asset_id=asset.pk, source="pd12m", source_record_id=f"case-{n}",
                decision=previous, retrieved_at=timezone.now(),
            )  # fmt: skip
        url = f"https://images.example.org/case-{n}{'-v2' if url_changed else ''}.jpg"
        rows.append(row(f"case-{n}", DECISIONS[decision], url=url))
    report = run(write(tmp_path, rows))
    assert (report.seen, report.created, report.duplicates, report.errors) == (len(CASES), 0, 0, 0)

    found = {a.source_record_id: a for a in Asset.objects.all()}
    recorded = dict(ProvenanceRecord.objects.values_list("asset_id", "decision"))
    events = dict(ProvenanceEvent.objects.values_list("asset_id", "reason"))
    mismatches = {}
    for n, ((status, reason), previous, decision, url_changed) in enumerate(CASES):
        expected = after_decision(
            decision=decision, current_status=status, current_reason=reason,
            previous_decision=previous, file_changed=url_changed,
        )  # fmt: skip
        untouched = status in ("taken_down", "withdrawn")
        new_decision = previous if untouched else decision
        want = (
            expected.status, expected.reason,
            ("pending", 0, 640) if expected.reclone else ("done", 2, 1280),
            new_decision, new_decision != previous,
        )  # fmt: skip
        asset = found[f"case-{n}"]
        got = (
            asset.status, asset.rejection_reason,
            (asset.clone_state, asset.clone_attempts, asset.width),
            recorded.get(asset.pk), asset.pk in events,
        )  # fmt: skip
        if got != want:
            mismatches[(status, reason, previous, decision, url_changed)] = (got, want)
    assert mismatches == {}


def _waiting_for_the_ingest_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s "
            "AND NOT granted",
            [INGEST_WRITE],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_each_chunk_is_written_under_the_ingest_lock(tmp_path):
    path = write(tmp_path, [row("1"), row("2")])
    held, release, result = threading.Event(), threading.Event(), {}

    def hold():  # an ingest page being written
        try:
            with transaction.atomic():
                advisory_xact_lock(INGEST_WRITE)
                held.set()
                release.wait(30)
        finally:
            connection.close()

    def import_file():
        try:
            result["report"] = run(path)
        except Exception as exc:  # reported to the test, not lost in the thread
            result["report"] = exc
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    importer = threading.Thread(target=import_file)
    importer.start()
    deadline = time.monotonic() + 10
    while not _waiting_for_the_ingest_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        assert _waiting_for_the_ingest_lock()
        assert not Asset.objects.exists()
    finally:
        release.set()
        holder.join(10)
        importer.join(30)
    assert result["report"].created == 2
    assert Asset.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_of_the_same_file_store_each_record_once(tmp_path):
    path = write(tmp_path, [row(str(n)) for n in range(30)])
    results: list = [None] * 3
    barrier = threading.Barrier(3)

    def import_file(i):
        try:
            barrier.wait()
            results[i] = run(path, batch_size=10)
        except Exception as exc:  # reported to the test, not lost in the thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=import_file, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.created for r in results) == 30
    assert [r.accepted for r in results] == [30, 30, 30]
    assert (Asset.objects.count(), ProvenanceRecord.objects.count(),
            ProvenanceEvent.objects.count()) == (30, 30, 30)  # fmt: skip


def test_each_asset_gets_a_provenance_record_and_an_event(tmp_path):
    rows = [
        row("1", "CC0 1.0", hash="abc123", source="Met"),
        row("2", "cc-by-4.0", hash=None, source="Met"),
    ]
    run(write(tmp_path, rows, name="shard-7"))
    accepted = Asset.objects.get(source_record_id="1")
    record = ProvenanceRecord.objects.get(asset_id=accepted.pk)
    assert (record.source, record.source_record_id, record.decision, record.license) == (
        "pd12m",
        "1",
        "accepted",
        "cc0-1.0",
    )
    assert (record.original_url, record.institution) == ("https://images.example.org/1.jpg", "Met")
    assert record.evidence == {
        "license": "CC0 1.0", "hash": "abc123", "source": "Met", "file": "shard-7.parquet",
    }  # fmt: skip
    rejected = Asset.objects.get(source_record_id="2")
    assert ProvenanceRecord.objects.get(asset_id=rejected.pk).evidence == {
        "license": "cc-by-4.0", "hash": None, "source": "Met", "file": "shard-7.parquet",
    }  # fmt: skip
    events = {
        e.asset_id: (e.kind, e.reason, e.actor, e.data) for e in ProvenanceEvent.objects.all()
    }
    assert events == {
        accepted.pk: ("ingest.accepted", "", "test",
                      {"license": "cc0-1.0", "source": "pd12m", "record": "1"}),
        rejected.pk: ("ingest.rejected", "license_restricted", "test",
                      {"license": "", "source": "pd12m", "record": "2"}),
    }  # fmt: skip


def test_malformed_json_lines_are_errors_and_the_rest_imports(tmp_path):
    path = tmp_path / "pd12m.jsonl"
    lines = [
        json.dumps(row("1")),
        "{not json",
        json.dumps(row("2", width="wide")),
        json.dumps({k: v for k, v in row("3").items() if k != "caption"}),
        json.dumps(["a", "list"]),
        "",
        json.dumps(row("4", height=-5)),
        json.dumps(row("5", width=12.5)),
        json.dumps(row("6", caption={"nested": True})),
        json.dumps(row("7")),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run(path)
    assert sorted(assets()) == ["1", "7"]
    assert (report.seen, report.accepted, report.errors) == (9, 2, 7)
    assert report.error_samples[0].startswith("line 2: not JSON")
    assert report.error_samples[1] == "line 3: width 'wide' is not an integer"
    assert report.error_samples[2] == "line 4: missing columns caption"
    assert IngestRun.objects.get(pk=report.run.pk).errors == 7


def test_malformed_csv_rows_are_errors_and_the_rest_imports(tmp_path):
    path = write(tmp_path, [row("1"), row("2", width="12px"), row("3")], "csv")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("4,https://images.example.org/4.jpg,too few fields\n")
    report = run(path)
    assert sorted(assets()) == ["1", "3"]
    assert report.errors == 2
    assert report.error_samples == [
        "line 3: width '12px' is not an integer",
        "line 5: 3 fields, expected 9",
    ]


def test_a_parquet_file_with_fractional_sizes_fails_those_rows_only(tmp_path):
    schema = SCHEMA.set(3, pa.field("width", pa.float64()))
    path = tmp_path / "pd12m.parquet"
    rows = [row("1", width=640.0), row("2", width=640.5)]
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    report = run(path)
    assert dict(Asset.objects.values_list("source_record_id", "width")) == {"1": 640}
    assert report.error_samples == ["row 2: width 640.5 is not an integer"]


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_overlong_ids_and_urls_are_errors(tmp_path, fmt):
    rows = [row("1"), row("x" * 256), row("3", url="https://images.example.org/" + "u" * 2000),
            row("é" * 255)]  # fmt: skip
    report = run(write(tmp_path, rows, fmt))
    assert sorted(assets()) == ["1", "é" * 255]
    assert report.error_samples == [
        "row 2: id longer than 255 characters",
        "row 3: url longer than 2000 characters",
    ]


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_nul_characters_are_dropped(tmp_path, fmt):
    run(write(tmp_path, [row("1", caption="Harbour\x00 view", source="Met\x00")], fmt))
    asset = Asset.objects.get()
    assert (asset.title, asset.institution) == ("Harbour view", "Met")


def test_a_json_line_that_is_not_valid_unicode_is_an_error(tmp_path):
    path = tmp_path / "pd12m.jsonl"
    lines = [json.dumps(row("1", caption="\ud800 broken")), json.dumps(row("2"))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run(path)
    assert sorted(assets()) == ["2"]
    assert report.error_samples == ["line 1: caption is not valid Unicode"]


def test_a_file_without_the_pd12m_columns_is_one_error(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("id,link\n1,https://images.example.org/1.jpg\n", encoding="utf-8")
    report = run(path)
    assert not Asset.objects.exists()
    assert report.errors == 1
    assert "missing columns url, caption" in report.error_samples[0]
    assert IngestRun.objects.get(pk=report.run.pk).finished_at is not None


def test_the_report_is_stored_and_adds_up(tmp_path):
    rows = [*LICENSE_ROWS, row("8", url="https://images.example.org/1.jpg"), row(None)]
    report = run(write(tmp_path, rows), batch_size=3)
    stored = IngestRun.objects.get(pk=report.run.pk)
    assert (stored.kind, stored.source, stored.seen, stored.accepted, stored.duplicates) == (
        "import_pd12m",
        "pd12m",
        9,
        3,
        1,
    )
    assert stored.rejected == {
        "license_restricted": 1, "license_missing": 2, "license_ambiguous": 1,
        "missing_record_id": 1,
    }  # fmt: skip
    assert stored.finished_at is not None
    assert report.seen == (
        report.accepted + sum(report.rejected.values()) + report.duplicates + report.errors
    )


def test_a_large_import_lists_only_the_first_ids_and_counts_them_all(tmp_path, monkeypatch):
    monkeypatch.setattr("catalog.reports.MAX_IDS", 1000)
    rows = [row(str(i)) for i in range(1100)] + [row(f"r{i}", "cc-by-4.0") for i in range(1100)]
    report = run(write(tmp_path, rows), batch_size=500)
    assert (report.accepted, report.rejected["license_restricted"]) == (1100, 1100)
    assert (len(report.accepted_ids), len(report.rejected_ids)) == (1000, 1000)
    assert report.ids_truncated
    assert Asset.objects.count() == 2200


def test_a_batch_that_fails_stops_the_import_and_the_reader(tmp_path, monkeypatch):
    writer = PostgresWriter
    original = writer.write

    def fail_after_the_first(self, staged):
        if Asset.objects.exists():
            raise RuntimeError("disk full")
        return original(self, staged)

    monkeypatch.setattr(writer, "write", fail_after_the_first)
    with pytest.raises(RuntimeError, match="disk full"):
        run(write(tmp_path, [row(str(i)) for i in range(5)]), batch_size=2)
    assert Asset.objects.count() == 2
    stored = IngestRun.objects.get()
    assert stored.error_samples == ["import stopped after 4 rows: RuntimeError: disk full"]
    assert stored.finished_at is not None
    assert not [t for t in threading.enumerate() if t.name == "pd12m-reader"]


def test_progress_is_reported_per_batch(tmp_path):
    seen = []
    run(write(tmp_path, [row(str(i)) for i in range(5)]), batch_size=2, progress=seen.append)
    assert seen == [2, 2, 1]


def test_the_command_prints_the_report_as_json(tmp_path):
    out = StringIO()
    call_command("import_pd12m", str(write(tmp_path, LICENSE_ROWS, "jsonl")), "--json",
                 "--batch-size", "4", stdout=out)  # fmt: skip
    report = json.loads(out.getvalue())
    assert (report["kind"], report["source"], report["seen"], report["accepted"]) == (
        "import_pd12m",
        "pd12m",
        7,
        3,
    )
    assert report["rejected"] == {
        "license_ambiguous": 1, "license_missing": 2, "license_restricted": 1,
    }  # fmt: skip
    assert (report["created"], report["updated"], report["errors"]) == (7, 0, 0)


def test_the_command_prints_a_summary(tmp_path):
    out, err = StringIO(), StringIO()
    path = write(tmp_path, [row("1"), row("2", width="x")], "csv")
    call_command("import_pd12m", str(path), stdout=out, stderr=err)
    assert "pd12m.csv: seen 2, accepted 1 (1 new, 0 updated)" in out.getvalue()
    assert "errors 1" in out.getvalue()
    assert "error: line 3: width 'x' is not an integer" in err.getvalue()


def test_the_command_refuses_a_missing_file_or_an_unknown_type(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_pd12m", str(tmp_path / "absent.parquet"))
    (tmp_path / "pd12m.xlsx").write_text("x")
    with pytest.raises(CommandError, match=r"unknown file type '\.xlsx'"):
        call_command("import_pd12m", str(tmp_path / "pd12m.xlsx"))
    assert not IngestRun.objects.exists()
