"""`manage.py ingest SOURCE --from-file ... --json`: recorded responses replayed end to end."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Asset, IngestRun
from provenance.models import ProvenanceEvent

pytestmark = pytest.mark.django_db

GLAM = Path(__file__).resolve().parent / "fixtures" / "glam"
CLEVELAND = GLAM / "cleveland_museum" / "handle_response_data.json"


def ingest_json(capsys, *args) -> dict:
    call_command("ingest", *args, "--json")
    return json.loads(capsys.readouterr().out)


def test_replaying_a_recorded_page_prints_the_report(capsys):
    report = ingest_json(capsys, "cleveland_museum", "--from-file", str(CLEVELAND))
    assert (report["seen"], report["accepted"], report["rejected"], report["errors"]) == (
        100,
        100,
        {},
        0,
    )
    assert len(report["accepted_ids"]) == 100
    assert Asset.objects.filter(source="cleveland_museum", status="candidate").count() == 100
    assert IngestRun.objects.get().accepted == 100


def test_running_it_twice_adds_nothing(capsys):
    ingest_json(capsys, "cleveland_museum", "--from-file", str(CLEVELAND))
    events = ProvenanceEvent.objects.count()
    second = ingest_json(capsys, "cleveland_museum", "--from-file", str(CLEVELAND))
    assert (second["created"], second["updated"]) == (0, 0)
    assert Asset.objects.count() == 100
    assert ProvenanceEvent.objects.count() == events


def test_limit_stops_early(capsys):
    report = ingest_json(capsys, "cleveland_museum", "--from-file", str(CLEVELAND), "--limit", "7")
    assert report["seen"] == 7
    assert Asset.objects.count() == 7


def test_a_broken_file_fails_alone(capsys, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    wrong_shape = tmp_path / "wrong.json"
    wrong_shape.write_text('{"unexpected": true}', encoding="utf-8")
    report = ingest_json(
        capsys, "cleveland_museum", "--from-file", str(broken), str(wrong_shape), str(CLEVELAND)
    )
    assert report["errors"] == 2
    assert report["accepted"] == 100
    assert any("broken.json: not JSON" in sample for sample in report["error_samples"])


def test_plain_output_is_a_summary(capsys):
    call_command("ingest", "cleveland_museum", "--from-file", str(CLEVELAND), "--limit", "3")
    out = capsys.readouterr().out
    assert "cleveland_museum: seen 3, accepted 3 (3 new, 0 updated)" in out


def test_bad_arguments_are_clear(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("ingest", "cleveland_museum", "--from-file", str(tmp_path / "none.json"))
    with pytest.raises(CommandError, match="--limit must be at least 1"):
        call_command("ingest", "cleveland_museum", "--limit", "0", "--from-file", str(CLEVELAND))
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("ingest", "flickr")
