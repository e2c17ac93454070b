"""The sealer remembers where it stopped: a run reads only the events of transactions at
or above its mark, and a run that crashed part-way is finished by the next one, sealing
every event exactly once."""

import pytest
from django.db import connection

from provenance import services
from provenance.models import AuditSeal, ProvenanceEvent, SealerMark
from provenance.selectors import audit_log_verify
from provenance.services import events_seal
from tests.provenance.conftest import append


def sql(query: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def txids(where: str = "true") -> list[int | None]:
    """The transaction ids recorded with events (a column the ORM does not know)."""
    rows = sql(f"SELECT txid::text::bigint FROM provenance_provenanceevent WHERE {where}")  # noqa: S608
    return [txid for (txid,) in rows]


@pytest.mark.django_db(transaction=True)
def test_a_run_that_crashed_part_way_is_finished_by_the_next_and_seals_each_event_once(
    monkeypatch,
):
    append(25)
    real_insert, calls = services._seals_insert, []

    def crash_on_the_second_batch(links):
        calls.append(len(links))
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        real_insert(links)

    monkeypatch.setattr(services, "_seals_insert", crash_on_the_second_batch)
    with pytest.raises(RuntimeError):
        events_seal(batch_size=10)
    assert AuditSeal.objects.count() == 10  # the first batch was committed
    assert SealerMark.objects.get().txid_bound == 0  # the crashed run did not move the mark

    monkeypatch.setattr(services, "_seals_insert", real_insert)
    assert events_seal(batch_size=10) == 15
    assert events_seal() == 0
    sealed = list(AuditSeal.objects.values_list("event_id", flat=True))
    assert sorted(sealed) == sorted(ProvenanceEvent.objects.values_list("pk", flat=True))
    assert len(set(sealed)) == len(sealed) == 25
    check = audit_log_verify()
    assert (check.intact, check.verified, check.unsealed) == (True, 25, 0)


@pytest.mark.django_db(transaction=True)
def test_the_mark_moves_up_and_a_run_reads_only_above_it():
    append(3)
    assert events_seal() == 3
    # The mark moved up to the oldest transaction running on the server when the run
    # started (this test's events' own, at most: it had committed by then).
    mark = SealerMark.objects.get()
    assert 3 < mark.txid_bound <= sql("SELECT pg_current_xact_id()::text::bigint")[0][0]
    assert events_seal() == 0

    # An event recorded as from a transaction below the mark is never read again: the
    # runs look at the events of newer transactions only.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO provenance_provenanceevent (kind, reason, actor, data, created_at, txid) "
            "VALUES ('ingest.accepted', '', 'below the mark', '{}', now(), '3')"
        )
    append(2)
    assert events_seal() == 2
    assert not AuditSeal.objects.filter(event__actor="below the mark").exists()


@pytest.mark.django_db
def test_events_from_before_transaction_ids_were_recorded_are_sealed_by_the_first_run():
    with connection.cursor() as cursor:  # as a log migrated from before the column existed
        cursor.execute(
            "ALTER TABLE provenance_provenanceevent DROP CONSTRAINT provenance_event_txid_set"
        )
        cursor.execute(
            "INSERT INTO provenance_provenanceevent (kind, reason, actor, data, created_at, txid) "
            "SELECT 'ingest.accepted', '', 'before', '{}', now(), NULL FROM generate_series(1, 3)"
        )
    append(2)
    assert txids("txid IS NULL") == [None] * 3
    assert audit_log_verify().unsealed == 5

    assert events_seal() == 5
    assert SealerMark.objects.get().legacy_checked
    assert audit_log_verify().unsealed == 0
    assert events_seal() == 0


@pytest.mark.django_db
def test_each_event_records_the_transaction_that_appended_it():
    events = append(2)
    ids = ",".join(str(e.pk) for e in events)
    (current,) = sql("SELECT pg_current_xact_id()::text::bigint")[0]
    assert txids(f"id IN ({ids})") == [current, current]
