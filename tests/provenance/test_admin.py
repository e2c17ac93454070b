"""The audit log in the admin: read-only, with each event's place in the chain."""

import pytest

from provenance.models import AuditSeal
from tests.provenance.conftest import append

pytestmark = pytest.mark.django_db


def test_events_show_their_seal_and_nothing_can_be_changed(sealed_log, admin_client):
    pending = append(1)[0]
    seal = AuditSeal.objects.get(seq=2)

    listing = admin_client.get("/admin/provenance/provenanceevent/").content.decode()
    assert "Audit log seq" in listing
    assert "not sealed yet" in listing

    detail = admin_client.get(f"/admin/provenance/provenanceevent/{seal.event_id}/change/")
    assert detail.status_code == 200
    assert seal.hash in detail.content.decode()
    pending_page = admin_client.get(f"/admin/provenance/provenanceevent/{pending.pk}/change/")
    assert "not sealed yet" in pending_page.content.decode()

    seals = admin_client.get("/admin/provenance/auditseal/").content.decode()
    assert seal.hash in seals
    for url in ("/admin/provenance/auditseal/add/",
                f"/admin/provenance/auditseal/{seal.pk}/delete/",
                f"/admin/provenance/provenanceevent/{seal.event_id}/delete/"):  # fmt: skip
        assert admin_client.get(url).status_code == 403
    response = admin_client.post(
        f"/admin/provenance/auditseal/{seal.pk}/change/", {"hash": "0" * 64}
    )
    assert response.status_code == 403
    assert AuditSeal.objects.get(pk=seal.pk).hash == seal.hash
