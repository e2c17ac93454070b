"""Sealing against real concurrent transactions on PostgreSQL: several sealers and writers
at once, and an event that commits after a later one was sealed."""

import threading

import pytest
from django.db import connection, transaction

from provenance.models import AuditSeal, ProvenanceEvent
from provenance.selectors import audit_log_verify
from provenance.services import events_seal
from tests.provenance.conftest import append
from tests.threads import in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_sealers_and_writers_build_one_unbroken_chain():
    append(300)

    def work(i):
        if i < 2:  # writers, appending while the sealers run
            for _ in range(20):
                append(5, actor=f"writer {i}")
            return 0
        return sum(events_seal(batch_size=7) for _ in range(6))

    results = in_threads(6, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    sealed_by_workers = sum(results)
    sealed_after = events_seal()

    assert sealed_by_workers + sealed_after == ProvenanceEvent.objects.count() == 500
    seqs = list(AuditSeal.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 501))
    check = audit_log_verify()
    assert (check.intact, check.verified, check.unsealed) == (True, 500, 0)


def test_an_event_committed_after_a_later_one_was_sealed_is_sealed_next():
    inserted, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                append(1, actor="slow")
                inserted.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert inserted.wait(timeout=30)
        append(1, actor="fast")
        assert events_seal() == 1  # the slow event is not committed yet
    finally:
        release.set()
        thread.join()

    slow = ProvenanceEvent.objects.get(actor="slow")
    fast = ProvenanceEvent.objects.get(actor="fast")
    assert slow.pk < fast.pk
    assert audit_log_verify().unsealed == 1
    assert events_seal() == 1
    chain = AuditSeal.objects.order_by("seq").values_list("seq", "event__actor")
    assert list(chain) == [(1, "fast"), (2, "slow")]
    check = audit_log_verify()
    assert (check.intact, check.verified, check.unsealed) == (True, 2, 0)
