"""Uploads whose own metadata speaks against the uploader: a file naming another creator
or rights holder, or reserving AI training (IPTC PLUS, C2PA/CAWG), is held for a moderator,
not refused. Real files: XMP written by Pillow, IPTC-IIM blocks, C2PA manifests signed in
the test with a test authority, and one tampered after signing."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from catalog.models import OptOut, OptOutKind
from catalog.selectors import upload_verify
from marketplace.models import Role, Work
from marketplace.models.works import HoldReason
from provenance.models import EventKind, ProvenanceEvent, ProvenanceRecord
from tests.catalog.consent.files import (
    image,
    iptc_jpeg,
    make_authority,
    signed_by_someone,
    tampered,
    xmp,
)
from tests.marketplace.test_works_api import confirm, post_form, s3, start  # noqa: F401
from tests.marketplace.works_helpers import artist, upload, upload_batch

pytestmark = pytest.mark.django_db

NOT_ALLOWED = {"cawg.ai_generative_training": {"use": "notAllowed"},
               "cawg.ai_training": {"use": "notAllowed"}}  # fmt: skip


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    return make_authority(tmp_path_factory.mktemp("c2pa-uploads"))


@pytest.fixture
def ada(make_user, api_client):
    user = artist(make_user, "ada", display_name="Ada Lovelace")
    api_client.force_authenticate(user)
    return user


def uploaded(api_client, data: bytes, name: str = "work.jpg") -> tuple[dict, Work]:
    response = upload(api_client, data, name=name)
    assert response.status_code == 201, response.json()
    body = response.json()["works"][0]
    return body, Work.objects.select_related("asset").get(pk=body["id"])


def moderator_client(make_user) -> Client:
    client = Client()
    client.force_login(make_user("mod", role=Role.MODERATOR, is_staff=True))
    return client


def test_a_file_reserving_ai_training_in_its_xmp_is_held_with_the_reason_and_raw_metadata(
    api_client, ada, make_user
):
    data = image("JPEG", packet=xmp(data_mining="DMI-PROHIBITED-AIMLTRAINING"))
    body, work = uploaded(api_client, data)

    assert body["hold"] == "reserves_training"
    assert "reserves AI training" in body["hold_why"]
    assert "DMI-PROHIBITED-AIMLTRAINING" in body["hold_why"]
    assert body["status"] == "candidate"
    metadata = work.hold_detail["file_metadata"]
    assert metadata["reasons"] == ["reserves_training"]
    assert "plus:DataMining" in metadata["raw"]["xmp"]  # the packet as it was in the file
    # The audit log has the reason and the signals, not the raw packet.
    event = ProvenanceEvent.objects.get(asset_id=work.asset_id, kind=EventKind.UPLOAD_HELD)
    assert event.reason == "reserves_training"
    assert event.data["file_metadata"]["signals"][0]["kind"] == "iptc_plus_data_mining"
    assert "raw" not in event.data["file_metadata"]

    # The moderator's review queue shows why, and the raw XMP.
    moderator = moderator_client(make_user)
    page = moderator.get(f"/admin/moderation/reviewitem/{work.asset_id}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "reserves AI training" in text
    assert "DMI-PROHIBITED-AIMLTRAINING" in text and "Raw metadata as uploaded" in text
    # And the work's own admin page.
    admin_page = moderator.get(reverse("admin:marketplace_work_change", args=[work.pk]))
    assert "DMI-PROHIBITED-AIMLTRAINING" in admin_page.content.decode()


def test_the_stored_file_still_carries_no_metadata(api_client, ada):
    data = image("PNG", packet=xmp(data_mining="DMI-PROHIBITED", creators=["Charles Babbage"]))
    _, work = uploaded(api_client, data, name="work.png")
    with default_storage.open(work.asset.original_key) as handle:
        assert b"DataMining" not in handle.read()


def test_a_file_naming_another_creator_is_held_and_the_owner_sees_who(api_client, ada):
    data = image("JPEG", packet=xmp(creators=["Charles Babbage"], rights="© 2026 C. Babbage"))
    body, work = uploaded(api_client, data)
    assert body["hold"] == "names_another"
    assert "“Charles Babbage”" in body["hold_why"] and "“© 2026 C. Babbage”" in body["hold_why"]
    assert work.hold_detail["file_metadata"]["other_creators"] == ["Charles Babbage"]

    listed = api_client.get(f"/api/v1/works/{work.pk}/").json()
    assert listed["hold"] == "names_another" and "Charles Babbage" in listed["hold_why"]


def test_the_uploaders_own_names_in_the_file_hold_nothing(api_client, ada):
    data = image(
        "JPEG",
        packet=xmp(creators=["ada  LOVELACE"], rights="© 2026 Ada Lovelace. All rights reserved."),
    )
    body, work = uploaded(api_client, data)
    assert body["hold"] == "" and body["hold_why"] == ""
    assert work.hold_detail == {}


def test_a_rights_line_naming_nobody_holds_nothing(api_client, ada):
    packet = xmp(rights="Copyright (c) 2024. All rights reserved.")
    body, _ = uploaded(api_client, image("JPEG", seed=12, packet=packet))
    assert body["hold"] == ""


def test_an_iptc_by_line_naming_someone_else_holds_the_upload(api_client, ada):
    body, work = uploaded(api_client, iptc_jpeg("Grace Hopper", "Copyright Grace Hopper"))
    assert body["hold"] == "names_another"
    assert work.hold_detail["file_metadata"]["raw"]["iptc"]["by_line"] == ["Grace Hopper"]


def test_a_valid_c2pa_training_mining_not_allowed_holds_the_upload(
    api_client, ada, authority, settings
):
    settings.C2PA_TRUST_ANCHORS = str(authority.anchors_path)
    data = signed_by_someone(image("JPEG", seed=3), "JPEG", authority, NOT_ALLOWED)
    body, work = uploaded(api_client, data)
    assert body["hold"] == "reserves_training"
    metadata = work.hold_detail["file_metadata"]
    assert metadata["c2pa_state"] == "Trusted"
    assert {s["kind"] for s in metadata["signals"]} == {"cawg_training_mining"}
    assert metadata["raw"]["c2pa"]["state"] == "Trusted"


def test_the_older_c2pa_label_is_read_too(api_client, ada, authority):
    data = signed_by_someone(
        image("PNG", seed=4), "PNG", authority, {"c2pa.ai_training": {"use": "notAllowed"}},
        label="c2pa.training-mining",
    )  # fmt: skip
    body, _ = uploaded(api_client, data, name="work.png")
    assert body["hold"] == "reserves_training"


def test_a_tampered_manifest_is_recorded_invalid_and_trusted_neither_way(
    api_client, ada, authority, settings
):
    settings.C2PA_TRUST_ANCHORS = str(authority.anchors_path)
    signed = signed_by_someone(image("JPEG", seed=5), "JPEG", authority, NOT_ALLOWED)
    body, work = uploaded(api_client, tampered(signed))

    assert body["hold"] == ""  # its notAllowed is not believed ...
    record = ProvenanceRecord.objects.get(asset_id=work.asset_id)
    assert record.evidence["c2pa_state"] == "Invalid"  # ... and it is recorded as invalid
    signals = record.evidence["embedded_signals"]
    assert signals and all(s["valid"] is False for s in signals)


def test_a_tampered_manifest_does_not_stop_a_real_xmp_reservation(api_client, ada, authority):
    allowed = {"cawg.ai_training": {"use": "allowed"},
               "cawg.ai_generative_training": {"use": "allowed"}}  # fmt: skip
    with_xmp = image("JPEG", seed=6, packet=xmp(data_mining="DMI-PROHIBITED-GENAIMLTRAINING"))
    data = tampered(signed_by_someone(with_xmp, "JPEG", authority, allowed))
    body, work = uploaded(api_client, data)
    assert body["hold"] == "reserves_training"
    kinds = {
        (s["kind"], s.get("valid", True)) for s in work.hold_detail["file_metadata"]["signals"]
    }
    assert kinds == {("iptc_plus_data_mining", True), ("cawg_training_mining", False)}


def test_an_other_hold_keeps_its_reason_and_adds_the_file_metadata(api_client, ada):
    data = image("JPEG", seed=7, packet=xmp(data_mining="DMI-PROHIBITED"))
    verified = upload_verify(data, filename="a.jpg", max_pixels=10**8)
    OptOut.objects.create(kind=OptOutKind.SHA256, value=verified.received_sha256)
    body, work = uploaded(api_client, data)
    assert body["hold"] == HoldReason.OPTED_OUT
    assert work.hold_detail["opted_out_sha256"] == [verified.received_sha256]
    assert work.hold_detail["file_metadata"]["reasons"] == ["reserves_training"]
    assert "reserves AI training" in body["hold_why"]


def test_a_batch_holds_each_file_on_its_own_metadata(api_client, ada):
    response = upload_batch(
        api_client,
        [("a.jpg", image("JPEG", seed=8)),
         ("b.jpg", image("JPEG", seed=9, packet=xmp(creators=["Someone Else"])))],
        [{"title": "A"}, {"title": "B"}],
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    holds = [w["hold"] for w in response.json()["works"]]
    assert holds == ["", "names_another"]


def test_the_work_page_says_why_it_is_held(make_user):
    owner = artist(make_user, "ada", display_name="Ada Lovelace")
    client = Client()
    client.force_login(owner)
    data = image("JPEG", seed=10, packet=xmp(creators=["Charles Babbage"]))
    response = client.post(
        "/works/upload/batch/",
        {"files": [SimpleUploadedFile("w.jpg", data)], "metadata": '[{"title": "Sea"}]'},
    )
    assert response.status_code == 201, response.content[:500]
    work = Work.objects.get()
    page = client.get(f"/works/{work.pk}/").content.decode()
    assert "Held for review" in page
    assert "names another creator" in page and "Charles Babbage" in page


def test_a_direct_upload_is_held_on_its_metadata_when_confirmed(
    api_client,
    ada,
    s3,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks,
):
    data = image("JPEG", seed=11, packet=xmp(data_mining="DMI-PROHIBITED-GENAIMLTRAINING"))
    form = start(api_client, data, name="scan.jpg").json()
    assert post_form(form, data, name="scan.jpg").status_code in (200, 201, 204)
    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(api_client, form["id"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["hold"] == "reserves_training"
    assert "DMI-PROHIBITED-GENAIMLTRAINING" in body["hold_why"]
