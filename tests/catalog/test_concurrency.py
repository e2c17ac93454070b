"""Races between real transactions on PostgreSQL: concurrent ingests and cloning workers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.cloning import claim_batch
from catalog.connectors.base import Candidate
from catalog.ingest import ingest_candidates
from catalog.models import Asset, AssetStatus
from catalog.reports import RunReport
from provenance.models import ProvenanceRecord
from tests.threads import in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_ingests_of_the_same_records_store_each_once():
    def ingest(i):
        report = RunReport(kind="ingest", source="race")
        page = [
            Candidate(source="cleveland_museum", source_record_id=str(n), license="cc0-1.0",
                      original_url=f"https://images.example.org/{n}.jpg")
            for n in range(50)
        ]  # fmt: skip
        ingest_candidates(page, report=report, actor=f"worker {i}")
        return report.created

    results = in_threads(4, ingest)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 50
    assert Asset.objects.count() == 50
    assert ProvenanceRecord.objects.count() == 50


def test_cloning_workers_never_claim_the_same_asset():
    Asset.objects.bulk_create(
        Asset(source="race", source_record_id=str(n), license="cc0-1.0",
              original_url=f"https://images.example.org/{n}.jpg", status=AssetStatus.CANDIDATE)
        for n in range(100)
    )  # fmt: skip
    started = timezone.now() + timedelta(seconds=1)
    claims = in_threads(5, lambda i: [pk for pk, _ in claim_batch(30, run_started=started)])
    flat = [pk for claim in claims for pk in claim]
    assert len(flat) == len(set(flat)) == 100
    assert Asset.objects.filter(clone_state="claimed").count() == 100
