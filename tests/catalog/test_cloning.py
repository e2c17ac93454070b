"""Cloning against a real HTTP server on loopback: each original stored once, checked and
deduplicated, or refused with its reason. A stored asset waits for the classifiers' scores;
they publish it, or hold it for review when nudity is over the hold threshold."""

import hashlib
import io
from datetime import timedelta

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.utils import timezone
from PIL import Image

from catalog import cloning
from catalog.connectors.base import Fetcher
from catalog.models import Asset, AssetStatus, CloneState, OptOut
from provenance.models import ProvenanceEvent, ProvenanceRecord
from provenance.services import Decision, decisions_record
from tests.catalog.images import encode, jpeg, picture, png_bomb

pytestmark = pytest.mark.django_db

STORED = (AssetStatus.CANDIDATE, CloneState.DONE)  # waiting for the classifiers


@pytest.fixture(autouse=True)
def _fast_clone_settings(settings):
    settings.CLONE_CONCURRENCY = 4
    settings.CLONE_BATCH_SIZE = 50
    settings.INGEST_HTTP_ATTEMPTS = 2


def candidate_asset(url: str, record_id: str | None = None) -> Asset:
    asset = Asset.objects.create(
        source="cleveland_museum", source_record_id=record_id or url.rsplit("/", 1)[-1],
        original_url=url, license="cc0-1.0", status=AssetStatus.CANDIDATE,
    )  # fmt: skip
    decisions_record(
        decisions=[Decision(asset_id=asset.pk, source=asset.source,
                            source_record_id=asset.source_record_id, decision="accepted",
                            retrieved_at=asset.created_at, license="cc0-1.0")],
        kinds={asset.pk: "ingest.accepted"}, actor="test",
    )  # fmt: skip
    return asset


def clone(**kwargs):
    with Fetcher(rate_per_host=0, attempts=2) as fetcher:
        return cloning.clone_pending(fetcher=fetcher, **kwargs)


def test_an_image_is_stored_and_described(local_server):
    data = jpeg(1, size=(640, 480))
    asset = candidate_asset(local_server.add("/a.jpg", body=data))
    report = clone()
    asset.refresh_from_db()
    assert (asset.status, asset.clone_state) == STORED
    assert (asset.width, asset.height, asset.mime_type, asset.byte_size) == (
        640,
        480,
        "image/jpeg",
        len(data),
    )
    assert (
        asset.original_key == f"originals/{asset.sha256[:2]}/{asset.sha256[2:4]}/{asset.sha256}.jpg"
    )
    assert default_storage.open(asset.original_key).read() == data
    with Image.open(default_storage.open(asset.thumbnail_key)) as thumb:
        assert max(thumb.size) == 384
        assert not thumb.getexif()
    assert len(asset.perceptual_hash) == 16
    assert ProvenanceRecord.objects.get(asset_id=asset.pk).sha256 == asset.sha256
    assert (report.seen, report.accepted) == (1, 1)


def test_a_finished_asset_is_never_downloaded_again(local_server):
    candidate_asset(local_server.add("/a.jpg", body=jpeg(1)))
    clone()
    second = clone()
    assert local_server.hits["/a.jpg"] == 1
    assert second.seen == 0


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"X-Robots-Tag": "noai"}, "opt_out_header"),
        ({"X-Robots-Tag": "googlebot: noimageai, noarchive"}, "opt_out_header"),
        ({"tdm-reservation": "1"}, "opt_out_header"),
    ],
)
def test_opt_out_response_headers_reject(local_server, headers, reason):
    asset = candidate_asset(local_server.add("/a.jpg", body=jpeg(1), headers=headers))
    report = clone()
    asset.refresh_from_db()
    assert (asset.status, asset.rejection_reason) == ("rejected", reason)
    assert not asset.original_key
    assert report.rejected_ids == {str(asset.pk): reason}


def test_header_parsing_is_not_fooled():

    assert not cloning.opt_out_headers(httpx.Headers({"X-Robots-Tag": "noindex, nofollow"}))
    assert not cloning.opt_out_headers(httpx.Headers({"tdm-reservation": "0"}))
    assert cloning.opt_out_headers(
        httpx.Headers([("X-Robots-Tag", "noindex"), ("X-Robots-Tag", "NoAI")])
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not_an_image"),
        (b"<html>not an image</html>", "not_an_image"),
        (jpeg(2)[:2000], "corrupt_image"),
        (png_bomb(), "image_too_large"),
        (encode(picture(3), "BMP"), "not_an_image"),
    ],
    ids=["empty", "html", "truncated-jpeg", "decompression-bomb", "bmp"],
)
def test_bad_files_are_rejected_with_a_reason_and_nothing_stored(local_server, body, reason):
    asset = candidate_asset(local_server.add("/bad", body=body))
    clone()
    asset.refresh_from_db()
    assert (asset.status, asset.rejection_reason) == ("rejected", reason)
    assert not asset.original_key
    assert not default_storage.exists("originals")


def test_oversized_downloads_are_abandoned(local_server, settings):
    settings.CLONE_MAX_BYTES = 1000
    asset = candidate_asset(local_server.add("/big.jpg", body=jpeg(4)))
    clone()
    asset.refresh_from_db()
    assert (asset.status, asset.rejection_reason) == ("rejected", "file_too_large")


def test_a_missing_original_is_rejected(local_server):
    asset = candidate_asset(local_server.base_url + "/nothing-here.jpg")
    clone()
    asset.refresh_from_db()
    assert (asset.status, asset.rejection_reason) == ("rejected", "original_gone")


def test_server_errors_are_retried_on_a_later_run_then_given_up(local_server, settings):
    settings.CLONE_MAX_ATTEMPTS = 2
    url = local_server.add("/flaky.jpg", body=jpeg(5), failures=[500, 500, 500, 500])
    asset = candidate_asset(url)
    first = clone()
    asset.refresh_from_db()
    assert (asset.status, asset.clone_state, asset.clone_attempts) == ("candidate", "failed", 1)
    assert first.errors == 1
    clone()
    asset.refresh_from_db()
    assert (asset.clone_state, asset.clone_attempts) == ("gave_up", 2)
    assert clone().seen == 0  # given up: left for an operator
    assert ProvenanceEvent.objects.filter(kind="clone.failed").count() == 2


def test_a_failure_then_success_stores(local_server):
    asset = candidate_asset(local_server.add("/later.jpg", body=jpeg(6), failures=[503, 503]))
    clone()
    asset.refresh_from_db()
    assert asset.clone_state == "failed"
    clone()
    asset.refresh_from_db()
    assert (asset.status, asset.clone_state) == STORED


def test_exact_duplicates_link_to_the_first_and_store_one_file(local_server):
    data = jpeg(7)
    first = candidate_asset(local_server.add("/one.jpg", body=data))
    second = candidate_asset(local_server.add("/two.jpg", body=data))
    report = clone()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.rejection_reason) == (
        "candidate",
        "rejected",
        "duplicate",
    )
    assert second.canonical_id == first.pk
    assert first.original_key == second.original_key
    assert report.duplicates == 1


def test_near_duplicates_link_to_the_first_one_stored(local_server):
    original = picture(8, size=(800, 600))
    first = candidate_asset(local_server.add("/big.jpg", body=encode(original, "JPEG")))
    clone()
    smaller = original.resize((400, 300))
    copy = candidate_asset(local_server.add("/small.png", body=encode(smaller, "PNG")))
    other = candidate_asset(local_server.add("/other.jpg", body=jpeg(9)))
    clone()
    copy.refresh_from_db()
    other.refresh_from_db()
    assert (copy.status, copy.canonical_id) == ("rejected", first.pk)
    assert (other.status, other.clone_state, other.canonical_id) == (*STORED, None)


def test_an_opted_out_hash_never_publishes(local_server):

    data = jpeg(10)
    OptOut.objects.create(kind="sha256", value=hashlib.sha256(data).hexdigest())
    asset = candidate_asset(local_server.add("/a.jpg", body=data))
    clone()
    asset.refresh_from_db()
    assert (asset.status, asset.rejection_reason) == ("rejected", "opt_out")


def test_an_asset_taken_down_while_cloning_is_not_published(local_server, monkeypatch):

    asset = candidate_asset(local_server.add("/a.jpg", body=jpeg(11)))
    real_settle = cloning.settle

    def takedown_then_settle(*args, **kwargs):  # a moderator acts while the file downloads
        Asset.objects.filter(pk=asset.pk).update(status=AssetStatus.TAKEN_DOWN)
        return real_settle(*args, **kwargs)

    monkeypatch.setattr(cloning, "settle", takedown_then_settle)
    clone()
    asset.refresh_from_db()
    assert asset.status == "taken_down"


def test_a_crashed_run_is_resumed(local_server, settings):

    asset = candidate_asset(local_server.add("/a.jpg", body=jpeg(12)))
    Asset.objects.filter(pk=asset.pk).update(
        clone_state=CloneState.CLAIMED, clone_claimed_at=timezone.now() - timedelta(hours=2)
    )
    clone()
    asset.refresh_from_db()
    assert (asset.status, asset.clone_state) == STORED


def test_limit_stops_the_run(local_server):
    for i in range(5):
        candidate_asset(local_server.add(f"/{i}.jpg", body=jpeg(20 + i)))
    report = clone(limit=3)
    assert report.seen == 3
    assert Asset.objects.filter(clone_state=CloneState.DONE).count() == 3


def test_thumbnails_carry_no_location_or_other_metadata(local_server):

    exif = Image.Exif()
    exif[0x010E] = "secret description"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS
    data = encode(picture(30, size=(900, 600)), "JPEG", exif=exif.tobytes(),
                  comment=b"taken at home")  # fmt: skip
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(0x8825)  # the original does carry GPS
    asset = candidate_asset(local_server.add("/gps.jpg", body=data))
    clone()
    asset.refresh_from_db()
    with Image.open(default_storage.open(asset.thumbnail_key)) as thumb:
        assert thumb.size == (384, 256)
        assert not thumb.getexif()
        assert "comment" not in thumb.info and "exif" not in thumb.info
    assert default_storage.open(asset.original_key).read() == data  # the original is untouched


def test_two_workers_storing_the_same_bytes_leave_one_copy(monkeypatch):

    key = cloning.storage_key("originals", "ab" * 32, "jpg")
    default_storage.save(key, ContentFile(b"same bytes"))  # the other worker got there first
    storage = storages["default"]
    answers = iter([False])  # our worker's look-up happened before the other's write
    real_exists = storage.exists

    def exists(name):
        answer = next(answers, None)
        return real_exists(name) if answer is None else answer

    monkeypatch.setattr(storage, "exists", exists)
    assert cloning._store(key, b"same bytes") == key
    folder = key.rsplit("/", 1)[0]
    assert default_storage.listdir(folder)[1] == [key.rsplit("/", 1)[1]]


def test_the_celery_task_clones_too(local_server, settings, monkeypatch):
    from catalog.tasks import clone_pending_task

    monkeypatch.setattr(
        cloning, "Fetcher", lambda **kwargs: Fetcher(rate_per_host=0, attempts=2)
    )  # no politeness delay against the loopback server
    asset = candidate_asset(local_server.add("/task.jpg", body=jpeg(40)))
    result = clone_pending_task.delay().get()
    asset.refresh_from_db()
    assert (asset.status, asset.clone_state) == STORED
    assert result["stored"] == 1


def test_the_command_prints_a_summary(local_server, monkeypatch, capsys):
    from django.core.management import call_command

    monkeypatch.setattr(cloning, "Fetcher", lambda **kwargs: Fetcher(rate_per_host=0, attempts=1))
    candidate_asset(local_server.add("/ok.jpg", body=jpeg(50)))
    candidate_asset(local_server.add("/bad.jpg", body=b"not an image"))
    call_command("clone_assets")
    assert (
        "clone: tried 2, stored 1 (published once scored), duplicates 0, "
        "rejected 1 (not_an_image 1)"
    ) in capsys.readouterr().out


def clone_and_score(django_capture_on_commit_callbacks):
    """Clone as a worker does: the classifiers' task runs once the batch commits."""
    with django_capture_on_commit_callbacks(execute=True):
        return clone()


def test_a_stored_asset_is_published_once_the_classifiers_score_it(local_server, client):
    from moderation.services import assets_score

    asset = candidate_asset(local_server.add("/a.jpg", body=jpeg(40)))
    clone()  # stored; the classifiers have not run yet
    assert client.get(f"/api/v1/assets/{asset.pk}/").status_code == 404

    assert assets_score(asset_ids=[asset.pk]).published == [asset.pk]
    asset.refresh_from_db()
    assert asset.status == AssetStatus.PUBLISHED and asset.nsfw_score is not None
    assert client.get(f"/api/v1/assets/{asset.pk}/").status_code == 200
    published = ProvenanceEvent.objects.get(asset_id=asset.pk, kind="asset.published")
    assert (published.actor, published.data) == ("classifier", {"nsfw_score": asset.nsfw_score})
    assert assets_score(asset_ids=[asset.pk]).published == []  # scoring again changes nothing
    assert ProvenanceEvent.objects.filter(asset_id=asset.pk, kind="asset.published").count() == 1


def test_a_high_score_holds_an_asset_before_it_is_ever_published(
    local_server, client, settings, django_capture_on_commit_callbacks
):
    from catalog.holds import asset_hold_clear

    settings.MODERATION_HOLD_NSFW = 0.0  # every score is over it
    asset = candidate_asset(local_server.add("/a.jpg", body=jpeg(42)))
    clone_and_score(django_capture_on_commit_callbacks)
    asset.refresh_from_db()
    assert asset.status == AssetStatus.HELD
    assert client.get(f"/api/v1/assets/{asset.pk}/").status_code == 404
    assert not ProvenanceEvent.objects.filter(asset_id=asset.pk, kind="asset.published").exists()
    held = ProvenanceEvent.objects.get(asset_id=asset.pk, kind="moderation.held")
    assert held.data["previous_status"] == "candidate"

    asset_hold_clear(asset_id=asset.pk, actor="moderator")  # a moderator looked: it is fine
    asset.refresh_from_db()
    assert asset.status == AssetStatus.PUBLISHED
    assert client.get(f"/api/v1/assets/{asset.pk}/").status_code == 200
    assert (
        ProvenanceEvent.objects.get(asset_id=asset.pk, kind="asset.published").actor == "moderator"
    )


def test_copies_of_assets_waiting_for_scores_or_held_are_duplicates(local_server):
    waiting = candidate_asset(local_server.add("/w.jpg", body=jpeg(43)))
    held = candidate_asset(local_server.add("/h.jpg", body=jpeg(44)))
    clone()
    Asset.objects.filter(pk=held.pk).update(status=AssetStatus.HELD)
    copies = [candidate_asset(local_server.add(f"/copy-{name}.jpg", body=jpeg(seed)))
              for name, seed in (("w", 43), ("h", 44))]  # fmt: skip
    clone()
    for copy, canonical in zip(copies, (waiting, held), strict=True):
        copy.refresh_from_db()
        assert (copy.status, copy.canonical_id) == ("rejected", canonical.pk)


def test_an_upload_waiting_for_its_offer_is_not_the_canonical_copy(local_server):
    data = jpeg(45)
    upload = candidate_asset(local_server.add("/u.jpg", body=data))
    clone()
    Asset.objects.filter(pk=upload.pk).update(source="opt_in", license="opt-in")
    base = candidate_asset(local_server.add("/base.jpg", body=data))
    clone()
    base.refresh_from_db()
    assert (base.status, base.clone_state, base.canonical_id) == (*STORED, None)


def test_a_camera_rotated_original_gets_an_upright_thumbnail_and_is_stored_as_it_came(
    local_server,
):
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show the stored pixels rotated 90° clockwise
    data = encode(picture(31, size=(640, 480)), "JPEG", exif=exif.tobytes())
    asset = candidate_asset(local_server.add("/turned.jpg", body=data))
    clone()
    asset.refresh_from_db()
    assert (asset.width, asset.height) == (640, 480)  # the file's own pixels
    assert default_storage.open(asset.original_key).read() == data
    with Image.open(default_storage.open(asset.thumbnail_key)) as thumb:
        assert thumb.size == (288, 384)  # upright
        assert not thumb.getexif()
