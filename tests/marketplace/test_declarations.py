"""Ownership declarations through the API, and moderators' review in the admin: accepting
and rejecting declarations, releasing holds, reading evidence (staff only)."""

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Asset, AssetStatus, OptOut, OptOutKind
from marketplace.declarations import declaration_decide
from marketplace.models import OwnershipDeclaration, Role, Work
from marketplace.offers import current_terms
from provenance.models import ProvenanceEvent
from tests.catalog.images import jpeg
from tests.marketplace.works_helpers import artist, media_files, upload

pytestmark = pytest.mark.django_db

WORKS = "/api/v1/works/"
State = OwnershipDeclaration.State


@pytest.fixture
def ada(make_user, api_client):
    user = artist(make_user, "ada")
    api_client.force_authenticate(user)
    return user


@pytest.fixture
def moderator(make_user, client):
    user = make_user("mo", role=Role.MODERATOR, is_staff=True)
    client.force_login(user)
    return user


def offered_work(client, seed: int = 1) -> int:
    response = upload(client, jpeg(seed), f"w{seed}.jpg")
    assert response.status_code == 201, response.json()
    work_id = response.json()["works"][0]["id"]
    offer = {"uses": {"ai_training": "0.25"}, "terms_version": current_terms().version}
    assert client.put(f"{WORKS}{work_id}/offer/", offer, format="json").status_code == 200
    return work_id


def declare(client, work_id: int, statement="I painted it in 2019.", evidence=()):
    payload = {"statement": statement}
    if evidence:
        payload["evidence"] = [SimpleUploadedFile(name, data) for name, data in evidence]
    return client.post(f"{WORKS}{work_id}/declaration/", payload, format="multipart")


# --- declaring --------------------------------------------------------------------------


def test_a_declaration_waits_for_review_and_its_evidence_stays_private(api_client, ada):
    work_id = offered_work(api_client)
    sketch = b"%PDF-1.7 sketchbook scan"
    response = declare(api_client, work_id, evidence=[("sketch.pdf", sketch), ("x.html", b"<b>")])

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "pending" and body["evidence_files"] == 2
    assert "evidence_keys" not in body and "evidence/" not in str(body)
    declaration = OwnershipDeclaration.objects.get()
    assert declaration.statement == "I painted it in 2019."
    assert all(key.startswith(f"evidence/{work_id}/") for key in declaration.evidence_keys)
    assert declaration.evidence_keys[0].endswith("/sketch.pdf")
    with default_storage.open(declaration.evidence_keys[0]) as handle:
        assert handle.read() == sketch
    assert Asset.objects.get().status == AssetStatus.CANDIDATE  # not yet accepted

    work = api_client.get(f"{WORKS}{work_id}/").json()
    assert work["declaration"]["state"] == "pending" and work["status"] == "candidate"
    assert "evidence/" not in str(work)
    kinds = set(ProvenanceEvent.objects.values_list("kind", flat=True))
    assert "ownership.declared" in kinds


def test_a_trusted_rights_holder_is_accepted_at_once_and_published(api_client, make_user):
    user = artist(make_user, "tess", trusted=True)
    api_client.force_authenticate(user)
    work_id = offered_work(api_client)

    response = declare(api_client, work_id)
    assert response.status_code == 201
    assert response.json()["state"] == "accepted"
    declaration = OwnershipDeclaration.objects.get()
    assert declaration.decided_by is None and declaration.decided_at is not None
    assert Asset.objects.get().status == AssetStatus.PUBLISHED


def test_trust_is_ignored_when_auto_accept_is_off(api_client, make_user, settings):
    settings.OWNERSHIP_AUTO_ACCEPT_TRUSTED = False
    api_client.force_authenticate(artist(make_user, "tess", trusted=True))
    work_id = offered_work(api_client)
    assert declare(api_client, work_id).json()["state"] == "pending"
    assert Asset.objects.get().status == AssetStatus.CANDIDATE


def test_a_second_declaration_while_one_is_pending_is_409(api_client, ada):
    work_id = offered_work(api_client)
    assert declare(api_client, work_id).status_code == 201
    response = declare(api_client, work_id, evidence=[("more.txt", b"more")])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "declaration_pending"
    assert OwnershipDeclaration.objects.count() == 1
    assert [f for f in media_files() if f.startswith("evidence/")] == []


def test_after_a_rejection_the_owner_can_declare_again(api_client, ada, make_user):
    work_id = offered_work(api_client)
    declare(api_client, work_id)
    mod = make_user("mo", role=Role.MODERATOR, is_staff=True)
    declaration_decide(
        declaration_id=OwnershipDeclaration.objects.get().pk,
        accept=False,
        moderator=mod,
        note="Send a photo of the original.",
    )
    work = api_client.get(f"{WORKS}{work_id}/").json()
    assert work["declaration"]["state"] == "rejected"
    assert work["declaration"]["decision_note"] == "Send a photo of the original."
    assert declare(api_client, work_id, "Photo attached.").status_code == 201
    assert OwnershipDeclaration.objects.filter(state=State.PENDING).count() == 1


def test_declaration_input_is_checked(api_client, ada, settings, make_user):
    work_id = offered_work(api_client)
    blank = declare(api_client, work_id, statement="   ")
    assert blank.status_code == 400 and "statement" in blank.json()["error"]["fields"]

    settings.EVIDENCE_MAX_BYTES = 100
    too_big = declare(api_client, work_id, evidence=[("scan.tif", b"x" * 101)])
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "file_too_large"
    assert "scan.tif" in too_big.json()["error"]["message"]

    settings.EVIDENCE_MAX_FILES = 1
    too_many = declare(api_client, work_id, evidence=[("a.txt", b"a"), ("b.txt", b"b")])
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "too_many_files"
    assert not OwnershipDeclaration.objects.exists()
    assert [f for f in media_files() if f.startswith("evidence/")] == []

    api_client.force_authenticate(artist(make_user, "bob"))
    assert declare(api_client, work_id).status_code == 404


# --- moderators in the admin ------------------------------------------------------------


def _action(client, model: str, action: str, ids, note: str = ""):
    return client.post(
        f"/admin/marketplace/{model}/",
        {"action": action, "_selected_action": [str(i) for i in ids], "note": note},
    )


def test_a_moderator_accepts_a_declaration_in_the_admin_and_the_work_publishes(
    api_client, ada, client, moderator
):
    work_id = offered_work(api_client)
    declare(api_client, work_id, evidence=[("proof.txt", b"receipt")])
    declaration = OwnershipDeclaration.objects.get()

    listing = client.get("/admin/marketplace/ownershipdeclaration/?state__exact=pending")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "I painted it in 2019." in html and "proof.txt" in html

    response = _action(client, "ownershipdeclaration", "accept", [declaration.pk], "Checked.")
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert (declaration.state, declaration.decided_by) == (State.ACCEPTED, moderator)
    assert declaration.decision_note == "Checked."
    assert Asset.objects.get().status == AssetStatus.PUBLISHED
    assert api_client.get(f"{WORKS}{work_id}/").json()["status"] == "published"


def test_rejecting_needs_a_note(api_client, ada, client, moderator):
    work_id = offered_work(api_client)
    declare(api_client, work_id)
    declaration = OwnershipDeclaration.objects.get()

    _action(client, "ownershipdeclaration", "reject", [declaration.pk])
    declaration.refresh_from_db()
    assert declaration.state == State.PENDING

    _action(client, "ownershipdeclaration", "reject", [declaration.pk], "Not your work.")
    declaration.refresh_from_db()
    assert (declaration.state, declaration.decision_note) == (State.REJECTED, "Not your work.")
    assert Asset.objects.get().status == AssetStatus.CANDIDATE
    # A decided declaration is not decided again.
    _action(client, "ownershipdeclaration", "accept", [declaration.pk])
    declaration.refresh_from_db()
    assert declaration.state == State.REJECTED


def test_a_moderator_releases_a_hold_in_the_admin_and_the_work_publishes(
    api_client, ada, client, moderator, make_user
):
    data = jpeg(77)
    api_client.force_authenticate(artist(make_user, "first"))
    upload(api_client, data)
    api_client.force_authenticate(ada)
    work_id = upload(api_client, data).json()["works"][0]["id"]
    offer = {"uses": {"ai_training": "0.25"}, "terms_version": current_terms().version}
    api_client.put(f"{WORKS}{work_id}/offer/", offer, format="json")
    declare(api_client, work_id)
    _action(client, "ownershipdeclaration", "accept", [OwnershipDeclaration.objects.get().pk])
    work = Work.objects.get(pk=work_id)
    assert work.hold == "matches_other_owner" and work.asset.status == AssetStatus.CANDIDATE

    listing = client.get("/admin/marketplace/work/?hold__exact=matches_other_owner")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert f"/admin/marketplace/work/{work_id}/change/" in html and "<img" in html
    assert client.get(f"/admin/marketplace/work/{work_id}/change/").status_code == 200

    response = _action(client, "work", "release_hold", [work_id], "Same artist, two accounts.")
    assert response.status_code == 302
    work.refresh_from_db()
    work.asset.refresh_from_db()
    assert work.hold == "" and work.asset.status == AssetStatus.PUBLISHED
    assert work.hold_detail["asset_ids"]  # what matched stays on record
    event = ProvenanceEvent.objects.get(kind="upload.hold_released")
    assert event.actor == "mo" and event.data["note"] == "Same artist, two accounts."


def test_the_admin_shows_which_registry_entry_held_a_work(api_client, ada, client, moderator):
    data = jpeg(78)
    listed = hashlib.sha256(data).hexdigest()
    OptOut.objects.create(kind=OptOutKind.SHA256, value=listed, note="Artist's request")
    work_id = upload(api_client, data).json()["works"][0]["id"]

    page = client.get(f"/admin/marketplace/work/{work_id}/change/").content.decode()
    assert "The same file is on the opt-out registry" in page
    assert f"/admin/catalog/optout/?q={listed}" in page
    registry = client.get(f"/admin/catalog/optout/?q={listed}").content.decode()
    assert "Artist&#x27;s request" in registry


def test_moderators_cannot_add_or_delete_works_or_declarations(client, moderator):
    assert client.get("/admin/marketplace/work/add/").status_code == 403
    assert client.get("/admin/marketplace/ownershipdeclaration/add/").status_code == 403
    assert client.get("/admin/marketplace/work/").status_code == 200
    assert moderator.has_perm("marketplace.change_ownershipdeclaration")
    assert not moderator.has_perm("marketplace.delete_work")


def test_evidence_is_served_to_staff_only_as_a_download(
    api_client, ada, client, moderator, make_user
):
    work_id = offered_work(api_client)
    declare(api_client, work_id, evidence=[("page.html", b"<script>alert(1)</script>")])
    declaration = OwnershipDeclaration.objects.get()
    url = f"/admin/marketplace/ownershipdeclaration/{declaration.pk}/evidence/0/"

    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(url.replace("/0/", "/5/")).status_code == 404

    client.logout()
    assert client.get(url).status_code == 302  # to the admin's sign-in
    client.force_login(make_user("carol", role=Role.BUYER))
    assert client.get(url).status_code == 302  # not staff
    client.force_login(make_user("sam", role=Role.BUYER, is_staff=True))
    assert client.get(url).status_code == 403  # staff without the moderator's permissions
