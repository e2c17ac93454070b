"""An asset's provenance and public history, checkable against the audit log."""

import pytest
from django.utils import timezone

from catalog.models import AssetStatus
from provenance.models import ProvenanceEvent
from provenance.services import Decision, decisions_record, events_seal
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db


def test_provenance_shows_the_evidence_and_the_sealed_public_history(api_client):
    asset = stored_asset(source="smithsonian", license="cc0-1.0")
    decisions_record(
        decisions=[Decision(asset_id=asset.pk, source="smithsonian", source_record_id="r1",
                            decision="accepted", retrieved_at=timezone.now(), license="cc0-1.0",
                            record_url="https://si.edu/r1", evidence={"usage": {"access": "CC0"}})],
        kinds={asset.pk: "ingest.accepted"}, actor="ingest",
    )  # fmt: skip
    ProvenanceEvent.objects.create(asset_id=asset.pk, kind="download.granted", actor="bob",
                                   data={"buyer_id": 1})  # fmt: skip
    events_seal()
    body = api_client.get(f"/api/v1/assets/{asset.pk}/provenance/").json()
    assert body["record"]["evidence"] == {"usage": {"access": "CC0"}}
    assert body["record"]["record_url"] == "https://si.edu/r1"
    assert [e["kind"] for e in body["history"]] == ["ingest.accepted"]  # downloads are private
    entry = body["history"][0]
    assert entry["seal_seq"] == 1 and len(entry["seal_hash"]) == 64


def test_unpublished_assets_have_no_public_provenance(api_client):
    asset = stored_asset(status=AssetStatus.TAKEN_DOWN)
    assert api_client.get(f"/api/v1/assets/{asset.pk}/provenance/").status_code == 404
    assert api_client.get("/api/v1/assets/abc/provenance/").status_code == 404
