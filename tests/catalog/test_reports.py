from catalog import reports
from catalog.reports import RunReport


def test_id_lists_are_capped_but_counts_are_complete(monkeypatch):
    monkeypatch.setattr(reports, "MAX_IDS", 2)
    report = RunReport(kind="ingest")
    for i in range(3):
        report.accept(f"a{i}")
        report.reject(f"r{i}", "license_unknown")
    as_json = report.as_json()
    assert (as_json["accepted"], as_json["rejected"]) == (3, {"license_unknown": 3})
    assert as_json["accepted_ids"] == ["a0", "a1"]
    assert list(as_json["rejected_ids"]) == ["r0", "r1"]
    assert as_json["ids_truncated"] is True
