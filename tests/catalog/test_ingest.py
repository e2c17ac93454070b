"""Recording candidates: statuses, reasons, embargo, opt-outs, duplicates, idempotency, and
the provenance each decision leaves behind."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.connectors.base import Candidate
from catalog.ingest import ingest_candidates
from catalog.models import Asset, AssetStatus, IngestRun, OptOut
from catalog.reports import RunReport
from provenance.models import ProvenanceEvent, ProvenanceRecord

pytestmark = pytest.mark.django_db


def candidate(record_id: str, *, source="cleveland_museum", license="cc0-1.0", rejection=None,
              **fields) -> Candidate:  # fmt: skip
    fields.setdefault("original_url", f"https://images.example.org/{record_id}.jpg")
    fields.setdefault("title", f"Work {record_id}")
    fields.setdefault("evidence", {"share_license_status": "CC0" if license else "Copyrighted"})
    return Candidate(
        source=source, source_record_id=record_id,
        license=None if rejection else license, rejection=rejection, **fields,
    )  # fmt: skip


def run(candidates, **kwargs) -> RunReport:
    report = RunReport(kind="ingest", source="test")
    ingest_candidates(candidates, report=report, actor="test", **kwargs)
    report.save(finished=True)
    return report


def statuses() -> dict[str, tuple[str, str]]:
    return {a.source_record_id: (a.status, a.rejection_reason) for a in Asset.objects.all()}


def test_accepted_become_candidates_and_rejected_are_kept_with_their_reason():
    report = run([candidate("1"), candidate("2", rejection="license_restricted")])
    assert statuses() == {"1": ("candidate", ""), "2": ("rejected", "license_restricted")}
    assert (report.seen, report.accepted, dict(report.rejected)) == (
        2,
        1,
        {"license_restricted": 1},
    )
    assert report.accepted_ids == ["1"]
    assert report.rejected_ids == {"2": "license_restricted"}


def test_each_decision_writes_its_evidence_and_an_event():
    run([candidate("1", institution="Cleveland Museum of Art"),
         candidate("2", rejection="license_restricted")])  # fmt: skip
    accepted = Asset.objects.get(source_record_id="1")
    record = ProvenanceRecord.objects.get(asset_id=accepted.pk)
    assert (record.license, record.decision, record.evidence, record.institution) == (
        "cc0-1.0",
        "accepted",
        {"share_license_status": "CC0"},
        "Cleveland Museum of Art",
    )
    events = list(ProvenanceEvent.objects.values_list("kind", "reason"))
    assert sorted(events) == [("ingest.accepted", ""), ("ingest.rejected", "license_restricted")]


def test_running_twice_writes_nothing_new_and_updates_changed_metadata():
    run([candidate("1"), candidate("2")])
    second = run([candidate("1"), candidate("2")])
    assert (second.created, second.updated) == (0, 0)
    assert Asset.objects.count() == 2
    assert ProvenanceEvent.objects.count() == 2

    third = run([candidate("1", title="Better title"), candidate("2")])
    assert (third.created, third.updated) == (0, 1)
    assert Asset.objects.get(source_record_id="1").title == "Better title"
    assert ProvenanceEvent.objects.count() == 3


def test_young_commons_uploads_are_embargoed_for_14_days():
    now = timezone.now()
    young = candidate("10", source="wikimedia_commons", source_uploaded_at=now - timedelta(3))
    old = candidate("11", source="wikimedia_commons", source_uploaded_at=now - timedelta(30))
    report = run([young, old], now=now)
    assert statuses() == {"10": ("embargoed", ""), "11": ("candidate", "")}
    assert Asset.objects.get(source_record_id="10").embargo_until == (
        young.source_uploaded_at + timedelta(days=14)
    )
    assert (report.embargoed, report.embargoed_ids) == (1, ["10"])


def test_commons_uploads_of_unknown_age_are_embargoed():
    now = timezone.now()
    run([candidate("12", source="wikimedia_commons", source_uploaded_at=None)], now=now)
    asset = Asset.objects.get()
    assert (asset.status, asset.embargo_until) == ("embargoed", now + timedelta(days=14))


def test_other_sources_are_not_embargoed():
    run([candidate("1", source_uploaded_at=timezone.now())])
    assert statuses() == {"1": ("candidate", "")}


@pytest.mark.parametrize(
    ("kind", "value", "record"),
    [
        ("url", "https://IMAGES.example.org/1.jpg", {}),
        ("domain", "example.org", {}),
        ("creator", "  jane   DOE ", {"creator": "Jane Doe"}),
    ],
)
def test_opted_out_records_never_publish(kind, value, record):
    OptOut.objects.create(kind=kind, value=value.strip().lower() if kind != "creator" else
                          "jane doe")  # fmt: skip
    report = run([candidate("1", **record), candidate("2", original_url="https://other.net/2.jpg")])
    assert statuses()["1"] == ("rejected", "opt_out")
    assert statuses()["2"] == ("candidate", "")
    assert report.rejected_ids == {"1": "opt_out"}


def test_the_same_file_under_another_record_is_a_duplicate():
    run([candidate("1", original_url="https://images.example.org/same.jpg")])
    report = run([candidate("2", original_url="https://images.example.org/same.jpg"),
                  candidate("3", original_url="https://images.example.org/same.jpg")])  # fmt: skip
    assert report.duplicates == 2
    assert list(Asset.objects.values_list("source_record_id", flat=True)) == ["1"]


def test_a_record_repeated_in_one_page_is_stored_once():
    report = run([candidate("1", title="first"), candidate("1", title="second")])
    assert report.seen == 2
    assert list(Asset.objects.values_list("title", flat=True)) == ["second"]


def test_a_license_change_unpublishes_and_takedowns_stick():
    run([candidate("1"), candidate("2")])
    Asset.objects.filter(source_record_id="1").update(status=AssetStatus.PUBLISHED)
    Asset.objects.filter(source_record_id="2").update(status=AssetStatus.TAKEN_DOWN)
    run([candidate("1", rejection="license_restricted"), candidate("2")])
    assert statuses() == {"1": ("rejected", "license_restricted"), "2": ("taken_down", "")}


def test_a_published_asset_whose_file_changed_is_cloned_again():
    run([candidate("1")])
    Asset.objects.update(status=AssetStatus.PUBLISHED, clone_state="done")
    run([candidate("1", original_url="https://images.example.org/1-v2.jpg")])
    asset = Asset.objects.get()
    assert (asset.status, asset.clone_state) == ("candidate", "pending")


def test_records_without_an_id_are_counted_not_stored():
    report = run([candidate("")])
    assert dict(report.rejected) == {"missing_record_id": 1}
    assert not Asset.objects.exists()


def test_overlong_fields_are_cut_to_fit_not_fatal():
    run([candidate("1", title="t" * 900, creator="c" * 900)])
    asset = Asset.objects.get()
    assert (len(asset.title), len(asset.creator)) == (500, 500)


def test_the_report_is_stored_for_the_admin():
    report = run([candidate("1"), candidate("2", rejection="license_unknown")])
    stored = IngestRun.objects.get(pk=report.run.pk)
    assert (stored.seen, stored.accepted, stored.rejected, stored.finished_at is not None) == (
        2,
        1,
        {"license_unknown": 1},
        True,
    )


def test_what_cloning_decided_stands_while_the_source_is_unchanged():
    run([candidate("1"), candidate("2")])
    Asset.objects.filter(source_record_id="1").update(
        status="rejected", rejection_reason="duplicate", clone_state="done"
    )
    Asset.objects.filter(source_record_id="2").update(
        status="published", clone_state="done", width=4000, height=3000, mime_type="image/tiff"
    )
    events = ProvenanceEvent.objects.count()
    report = run([candidate("1"), candidate("2", width=800, height=600, mime_type="image/jpeg")])
    one, two = Asset.objects.order_by("source_record_id")
    assert (one.status, one.rejection_reason, one.clone_state) == ("rejected", "duplicate", "done")
    assert (two.status, two.width, two.height, two.mime_type) == (
        "published",
        4000,
        3000,
        "image/tiff",
    )  # measured on our copy, not the source's claim
    assert report.updated == 0
    assert ProvenanceEvent.objects.count() == events


def test_accepted_again_after_a_rejection_is_checked_and_cloned_afresh():
    run([candidate("1")])
    Asset.objects.update(status="published", clone_state="done")
    run([candidate("1", rejection="license_restricted")])
    run([candidate("1")])
    asset = Asset.objects.get()
    assert (asset.status, asset.rejection_reason, asset.clone_state) == ("candidate", "", "pending")


def test_taken_down_assets_are_not_touched_at_all():
    run([candidate("1", title="Old")])
    Asset.objects.update(status="taken_down")
    report = run([candidate("1", title="New", rejection="license_unknown")])
    asset = Asset.objects.get()
    assert (asset.status, asset.title, asset.license) == ("taken_down", "Old", "cc0-1.0")
    assert report.updated == 0


def test_a_file_url_held_by_another_source_is_a_duplicate_even_with_the_same_id():
    run([candidate("7", source="europeana", original_url="https://img.example.org/x.jpg")])
    report = run([candidate("7", original_url="https://img.example.org/x.jpg")])
    assert report.duplicates == 1
    assert list(Asset.objects.values_list("source", flat=True)) == ["europeana"]


def test_the_embargo_of_a_file_of_unknown_age_does_not_restart_on_every_run():
    first_seen = timezone.now() - timedelta(days=5)
    run([candidate("12", source="wikimedia_commons", source_uploaded_at=None)], now=first_seen)
    report = run([candidate("12", source="wikimedia_commons", source_uploaded_at=None)])
    assert Asset.objects.get().embargo_until == first_seen + timedelta(days=14)
    assert report.updated == 0
