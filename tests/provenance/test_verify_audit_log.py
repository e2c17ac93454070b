"""`manage.py verify_audit_log`: what an operator sees for an intact log and for each kind
of tampering (done as a superuser could, the append-only triggers bypassed)."""

import io

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from provenance.models import AuditCheckpoint, AuditSeal
from provenance.services import events_seal
from tests.provenance.conftest import append, tamper

pytestmark = pytest.mark.django_db


def verify(*args) -> str:
    out = io.StringIO()
    call_command("verify_audit_log", *args, stdout=out)
    return out.getvalue()


def test_an_intact_log_reports_what_it_verified_and_what_is_not_sealed_yet(sealed_log):
    append(2)
    output = verify()
    assert "Audit log intact: 5 entries verified, 2 events not sealed yet." in output
    assert f"Head: seq 5, hash {AuditSeal.objects.get(seq=5).hash}" in output


def test_seal_option_seals_pending_events_before_verifying(sealed_log):
    append(2)
    output = verify("--seal")
    assert "Sealed 2 events." in output
    assert "Audit log intact: 7 entries verified, 0 events not sealed yet." in output


def test_an_empty_log_verifies():
    assert "Audit log intact: 0 entries verified, 0 events not sealed yet." in verify()


def event_at(seq: int) -> int:
    return AuditSeal.objects.get(seq=seq).event_id


TAMPERING = {
    "edited event data": (
        "UPDATE provenance_provenanceevent SET data = data || '{\"license\": \"by-nc\"}' "
        "WHERE id = %(event)s", 3, "the event was changed after it was sealed",
    ),
    "edited event time": (
        "UPDATE provenance_provenanceevent SET created_at = created_at - interval '1 day' "
        "WHERE id = %(event)s", 2, "the event was changed after it was sealed",
    ),
    "deleted event": (
        "DELETE FROM provenance_provenanceevent WHERE id = %(event)s", 2,
        "the event is missing (it was deleted)",
    ),
    "edited seal hash": (
        "UPDATE provenance_auditseal SET hash = repeat('a', 64) WHERE seq = %(seq)s", 4,
        "the seal's hash was changed",
    ),
    "edited seal prev_hash": (
        "UPDATE provenance_auditseal SET prev_hash = repeat('b', 64) WHERE seq = %(seq)s", 3,
        "the seal's prev_hash is not the hash of seq 2",
    ),
    "deleted seal": (
        "DELETE FROM provenance_auditseal WHERE seq = %(seq)s", 2,
        "its seal is missing (the next seal is seq 3)",
    ),
    "edited last event": (
        "UPDATE provenance_provenanceevent SET reason = 'x' WHERE id = %(event)s", 5,
        "the event's content does not hash to its seal (the event or the seal was changed)",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("sql", "seq", "problem"), TAMPERING.values(), ids=TAMPERING.keys())
def test_tampering_is_reported_at_the_first_broken_entry(sealed_log, sql, seq, problem):
    event = event_at(seq)
    assert tamper(sql, {"event": event, "seq": seq}) == 1
    with pytest.raises(CommandError) as error:
        verify()
    where = "no event" if "seal is missing" in problem else f"event {event}"
    assert str(error.value) == (
        f"Audit log broken at seq {seq} ({where}): {problem}. "
        f"Entries verified before it: {seq - 1}."
    )


def test_only_the_first_broken_entry_is_reported(sealed_log):
    for seq in (4, 2):
        tamper("UPDATE provenance_provenanceevent SET actor = 'someone else' WHERE id = %s",
               [event_at(seq)])  # fmt: skip
    with pytest.raises(CommandError, match=r"broken at seq 2 \(event \d+\)"):
        verify()


def test_a_broken_log_exits_with_status_1_and_says_where(sealed_log, capsys):
    event = event_at(3)
    tamper("DELETE FROM provenance_provenanceevent WHERE id = %s", [event])
    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["manage.py", "verify_audit_log"]).execute()
    assert exit_.value.code == 1
    assert f"Audit log broken at seq 3 (event {event}): the event is missing" in (
        capsys.readouterr().err
    )


def test_an_incremental_verification_starts_after_the_last_verified_link(sealed_log):
    first = verify("--incremental")  # nothing verified before: from the first link
    assert "Audit log intact: 5 entries verified" in first
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.seq, checkpoint.incremental) == (5, False)
    assert checkpoint.hash == AuditSeal.objects.get(seq=5).hash

    append(2)
    output = verify("--seal", "--incremental")
    assert "Starting after seq 5" in output
    assert "Audit log intact: 2 entries verified, 0 events not sealed yet." in output
    assert f"Head: seq 7, hash {AuditSeal.objects.get(seq=7).hash}" in output
    latest = AuditCheckpoint.objects.order_by("-id").first()
    assert (latest.seq, latest.verified, latest.incremental) == (7, 2, True)


def test_an_incremental_verification_finds_tampering_after_the_checkpoint(sealed_log):
    verify()  # checkpoint: seq 5
    append(2)
    events_seal()
    tamper("UPDATE provenance_provenanceevent SET actor = 'x' WHERE id = %s", [event_at(6)])
    with pytest.raises(CommandError, match=r"broken at seq 6 .*changed after it was sealed"):
        verify("--incremental")


def test_tampering_before_the_checkpoint_takes_a_full_verification(sealed_log):
    verify()  # checkpoint: seq 5
    tamper("UPDATE provenance_provenanceevent SET actor = 'x' WHERE id = %s", [event_at(2)])
    assert "0 entries verified" in verify("--incremental")
    with pytest.raises(CommandError, match=r"broken at seq 2 .*changed after it was sealed"):
        verify()


def test_an_incremental_verification_refuses_a_changed_checkpoint_seal(sealed_log):
    verify()
    tamper("UPDATE provenance_auditseal SET hash = %s WHERE seq = 5", ["f" * 64])
    with pytest.raises(CommandError, match=r"broken at seq 5 .*differs from the one verified"):
        verify("--incremental")
