"""Uploading works: what is accepted, what is refused (and that nothing is then stored),
what the stored file carries, where it is stored, and the dedupe holds."""

import hashlib
import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image, PngImagePlugin

from catalog.images import decode_image, phash_bands
from catalog.models import Asset, AssetStatus, OptOut, OptOutKind
from catalog.upload_files import upload_verify
from marketplace.models import Work
from marketplace.models.works import HoldReason
from provenance.models import ProvenanceEvent, ProvenanceRecord
from tests.catalog.images import encode, jpeg, picture, png_bomb
from tests.marketplace.works_helpers import (
    GPS_IFD,
    ORIENTATION,
    artist,
    bucket_keys,
    gps_exif,
    gps_jpeg,
    image_file,
    jar_archive,
    media_files,
    upload,
    upload_batch,
    use_s3,
    zip_archive,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(make_user, api_client):
    user = artist(make_user, "ada", display_name="Ada Lovelace")
    api_client.force_authenticate(user)
    return user


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored(key: str) -> bytes:
    with default_storage.open(key) as handle:
        return handle.read()


# --- accepted ---------------------------------------------------------------------------


def test_a_jpeg_becomes_a_candidate_opt_in_asset_with_its_files_and_provenance(api_client, ada):
    data = jpeg(7, size=(800, 600))
    response = upload(
        api_client,
        data,
        "harbour.jpg",
        title="Harbour at dawn",
        description="Oil on board.",
        creation_date="1921-05-03",
        tags=["sea", "boats", "Sea"],
    )

    assert response.status_code == 201, response.json()
    (body,) = response.json()["works"]
    assert body["title"] == "Harbour at dawn"
    assert body["status"] == "candidate"
    assert body["hold"] == ""
    assert body["declaration"] is None and body["offer"] is None
    assert body["tags"] == ["sea", "boats"]
    assert body["thumbnail_url"]

    work = Work.objects.get(pk=body["id"])
    asset = work.asset
    assert work.owner == ada
    assert (asset.source, asset.license, asset.status) == ("opt_in", "opt-in", "candidate")
    assert (asset.width, asset.height, asset.mime_type) == (800, 600, "image/jpeg")
    assert asset.creator == "Ada Lovelace"
    assert (asset.description, asset.creation_date, asset.year) == (
        "Oil on board.",
        "1921-05-03",
        1921,
    )
    original = stored(asset.original_key)
    assert asset.sha256 == sha256(original) and asset.byte_size == len(original)
    assert (
        asset.original_key == f"originals/{asset.sha256[:2]}/{asset.sha256[2:4]}/{asset.sha256}.jpg"
    )
    assert (
        asset.thumbnail_key
        == f"thumbnails/{asset.sha256[:2]}/{asset.sha256[2:4]}/{asset.sha256}.jpg"
    )
    assert len(asset.perceptual_hash) == 16
    bands = (asset.phash_band0, asset.phash_band1, asset.phash_band2, asset.phash_band3)
    assert bands == phash_bands(asset.perceptual_hash)
    with Image.open(io.BytesIO(stored(asset.thumbnail_key))) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("JPEG", (384, 288))
    # The pixels are the uploaded ones, byte for byte (no re-compression).
    with Image.open(io.BytesIO(data)) as sent, Image.open(io.BytesIO(original)) as kept:
        assert sent.tobytes() == kept.tobytes()

    record = ProvenanceRecord.objects.get(asset_id=asset.pk)
    assert (record.source, record.license, record.uploader_id) == ("opt_in", "opt-in", ada.pk)
    assert record.sha256 == asset.sha256 and record.cloned_at is not None
    event = ProvenanceEvent.objects.get(asset_id=asset.pk)
    assert event.kind == "upload.stored" and event.actor == "ada"
    assert event.data["filename"] == "harbour.jpg"


@pytest.mark.parametrize(
    ("name", "fmt", "options", "mime"),
    [
        ("flat.png", "PNG", {}, "image/png"),
        ("flat.webp", "WEBP", {"quality": 90}, "image/webp"),
        ("flat.tiff", "TIFF", {"compression": "tiff_lzw"}, "image/tiff"),
    ],
)
def test_png_webp_and_tiff_are_accepted_with_their_real_extension(
    api_client, ada, name, fmt, options, mime
):
    response = upload(api_client, encode(picture(3), fmt, **options), name)
    assert response.status_code == 201, response.json()
    asset = Work.objects.get().asset
    assert asset.mime_type == mime
    assert asset.original_key.endswith("." + {"PNG": "png", "WEBP": "webp", "TIFF": "tif"}[fmt])
    with Image.open(io.BytesIO(stored(asset.original_key))) as kept:
        assert kept.format == fmt and kept.size == (320, 240)


def test_the_creator_is_the_username_without_a_profile(api_client, make_user):
    api_client.force_authenticate(artist(make_user, "grace"))
    assert upload(api_client, jpeg(1)).status_code == 201
    assert Asset.objects.get().creator == "grace"


# --- location and other metadata never reach buyers --------------------------------------


def test_a_jpeg_with_gps_exif_is_stored_without_location_or_exif_but_keeps_its_orientation(
    api_client, ada
):
    data = gps_jpeg(2, orientation=6)
    with Image.open(io.BytesIO(data)) as sent:  # the test file really carries all of it
        assert sent.getexif().get_ifd(GPS_IFD) and "xmp" in sent.info and "comment" in sent.info

    assert upload(api_client, data, "holiday.jpeg").status_code == 201

    asset = Asset.objects.get()
    original = stored(asset.original_key)
    with Image.open(io.BytesIO(original)) as kept:
        exif = kept.getexif()
        assert dict(exif) == {ORIENTATION: 6}  # nothing but the orientation
        assert not exif.get_ifd(GPS_IFD)
        assert "xmp" not in kept.info and "comment" not in kept.info
        with Image.open(io.BytesIO(data)) as sent:
            assert kept.tobytes() == sent.tobytes()
    assert b"GPS" not in original and b"xmpmeta" not in original and b"shot at home" not in original
    with Image.open(io.BytesIO(stored(asset.thumbnail_key))) as thumbnail:
        assert not thumbnail.getexif() and not thumbnail.info.get("exif")
        assert thumbnail.size == (288, 384)  # turned upright, as orientation 6 says
    evidence = ProvenanceRecord.objects.get(asset_id=asset.pk).evidence
    assert {"exif", "gps", "xmp", "comment"} <= set(evidence["metadata_removed"])


def test_a_png_with_gps_exif_and_text_chunks_is_stored_without_them(api_client, ada):
    data = encode(
        picture(4), "PNG", exif=gps_exif(), pnginfo=_png_text("Location", "Home, 12 Elm St")
    )
    assert upload(api_client, data, "garden.png").status_code == 201
    original = stored(Asset.objects.get().original_key)
    with Image.open(io.BytesIO(original)) as kept:
        assert not kept.getexif() and "Location" not in kept.info
    assert b"Elm St" not in original


def test_a_tiff_with_gps_is_stored_without_it(api_client, ada):
    exif = Image.Exif()
    exif.load(gps_exif().tobytes())
    data = encode(picture(5), "TIFF", exif=exif)
    with Image.open(io.BytesIO(data)) as sent:
        assert sent.getexif().get_ifd(GPS_IFD)
    assert upload(api_client, data, "scan.tif").status_code == 201
    with Image.open(io.BytesIO(stored(Asset.objects.get().original_key))) as kept:
        assert not kept.getexif().get_ifd(GPS_IFD) and GPS_IFD not in kept.tag_v2
        assert 0x010F not in kept.tag_v2  # the camera maker is gone too


def _png_text(key: str, value: str):
    info = PngImagePlugin.PngInfo()
    info.add_text(key, value)
    return info


# --- refused: each a real file; nothing is stored ----------------------------------------


def _gif(animated: bool) -> bytes:
    frames = [picture(1).convert("P"), picture(2).convert("P")]
    if animated:
        return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    return encode(frames[0], "GIF")


REFUSED = {
    "zero_bytes": ("empty.jpg", lambda: b"", "empty_file"),
    "truncated_jpeg": ("cut.jpg", lambda: jpeg(1)[:2500], "corrupt_image"),
    "decompression_bomb": ("bomb.png", lambda: png_bomb(), "image_too_large"),
    "extension_lies_png_as_jpg": (
        "photo.jpg",
        lambda: encode(picture(1), "PNG"),
        "extension_mismatch",
    ),
    "extension_lies_jpeg_as_webp": ("photo.webp", lambda: jpeg(1), "extension_mismatch"),
    "svg": ("logo.svg", lambda: SVG, "unsupported_type"),
    "svg_named_png": ("logo.png", lambda: SVG, "unsupported_type"),
    "html_named_jpg": (
        "page.jpg",
        lambda: b"<!doctype html><script>alert(1)</script>",
        "unsupported_type",
    ),
    "jpeg_with_zip_appended": ("poly.jpg", lambda: jpeg(1) + zip_archive(), "polyglot"),
    "jpeg_with_script_appended": (
        "poly.jpg",
        lambda: jpeg(1) + b"<html><script>alert(document.cookie)</script></html>",
        "polyglot",
    ),
    "gifar_like_jpeg_with_jar": ("gifar.jpg", lambda: jpeg(1) + jar_archive(), "polyglot"),
    "gifar": ("gifar.gif", lambda: _gif(False) + jar_archive(), "unsupported_type"),
    "png_with_zip_appended": (
        "poly.png",
        lambda: encode(picture(1), "PNG") + zip_archive(),
        "polyglot",
    ),
    "webp_with_script_appended": (
        "poly.webp",
        lambda: encode(picture(1), "WEBP") + b"<script>alert(1)</script>",
        "polyglot",
    ),
    "tiff_that_is_also_a_zip": (
        "poly.tif",
        lambda: encode(picture(1), "TIFF") + zip_archive(),
        "polyglot",
    ),
    "cmyk_tiff": ("print.tif", lambda: encode(picture(1).convert("CMYK"), "TIFF"), "cmyk"),
    "animated_gif": ("loop.gif", lambda: _gif(True), "unsupported_type"),
    "still_gif": ("still.gif", lambda: _gif(False), "unsupported_type"),
    "animated_webp": (
        "loop.webp",
        lambda: encode(picture(1), "WEBP", save_all=True, append_images=[picture(2)]),
        "animated",
    ),
    "animated_png_apng": (
        "loop.png",
        lambda: encode(picture(1), "PNG", save_all=True, append_images=[picture(2)]),
        "animated",
    ),
    "multi_page_tiff": (
        "pages.tif",
        lambda: encode(picture(1), "TIFF", save_all=True, append_images=[picture(2)]),
        "multi_page",
    ),
    "not_an_image": ("notes.png", lambda: b"\x89PNG but not really" + bytes(200), "not_an_image"),
    "pdf_named_jpg": ("scan.jpg", lambda: b"%PDF-1.7\n" + bytes(300), "not_an_image"),
}
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>'
)


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_files_get_a_4xx_naming_the_file_and_nothing_is_stored(api_client, ada, case):
    name, make, reason = REFUSED[case]
    response = upload(api_client, make(), name)

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == reason
    assert error["message"].startswith(f"{name}: ")
    assert error["fields"]["file"][0].startswith(f"{name}: ")
    assert "Nothing was stored" in error["message"]
    assert media_files() == []
    assert not Asset.objects.exists() and not Work.objects.exists()
    assert not ProvenanceEvent.objects.exists()


def test_an_image_over_the_pixel_limit_is_refused(api_client, ada, settings):
    settings.UPLOAD_MAX_PIXELS = 320 * 240 - 1
    response = upload(api_client, jpeg(1), "wide.jpg")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "image_too_large"
    assert "320x240" in response.json()["error"]["message"]
    assert media_files() == [] and not Asset.objects.exists()


def test_pillows_own_bomb_limit_applies_even_with_a_higher_setting(api_client, ada, settings):
    settings.UPLOAD_MAX_PIXELS = 500_000_000
    # 90 million pixels claimed: above Pillow's DecompressionBombWarning threshold.
    with pytest.warns(Image.DecompressionBombWarning):
        response = upload(api_client, png_bomb(10_000, 9_000), "huge.png")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "image_too_large"
    assert media_files() == [] and not Asset.objects.exists()


def test_an_oversized_file_is_refused_while_it_is_read(api_client, ada, settings):
    settings.UPLOAD_MAX_BYTES = 10_000
    data = jpeg(1, size=(800, 600))
    assert len(data) > 10_000
    response = upload(api_client, data, "large.jpg")

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "file_too_large"
    assert error["fields"]["file"] == ["large.jpg: larger than 10000 bytes."]
    assert media_files() == [] and not Asset.objects.exists()


def test_a_request_larger_than_any_allowed_upload_is_refused_before_it_is_read(
    api_client, ada, settings
):
    settings.UPLOAD_MAX_BYTES = 1_000
    settings.UPLOAD_BATCH_MAX_FILES = 1
    response = upload(api_client, b"\xff\xd8" + bytes(2 * 1024 * 1024), "huge.jpg")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert "at most" in response.json()["error"]["message"]
    assert media_files() == []


def test_an_upload_without_a_file_or_title_is_refused(api_client, ada):
    no_file = upload(api_client, None)
    assert no_file.status_code == 400 and "file" in no_file.json()["error"]["fields"]
    no_title = api_client.post(
        "/api/v1/works/", {"file": image_file("a.jpg", jpeg(1))}, format="multipart"
    )
    assert no_title.status_code == 400 and "title" in no_title.json()["error"]["fields"]
    assert media_files() == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"creation_date": "2021-02-30"}, "creation_date"),
        ({"creation_date": "2999"}, "creation_date"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"tags": [f"tag{i}" for i in range(21)]}, "tags"),
        ({"title": "t" * 501}, "title"),
    ],
)
def test_invalid_metadata_is_refused_with_the_field_named(api_client, ada, fields, field):
    response = upload(api_client, jpeg(1), **fields)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert media_files() == []


def test_free_text_dates_and_comma_separated_tags_are_accepted(api_client, ada):
    response = upload(api_client, jpeg(1), creation_date="c. 1850", tags="sea, dawn,  boats ")
    assert response.status_code == 201, response.json()
    asset = Asset.objects.get()
    assert (asset.creation_date, asset.year, asset.tags) == (
        "c. 1850",
        1850,
        ["sea", "dawn", "boats"],
    )


# --- batches ----------------------------------------------------------------------------


def test_a_batch_creates_one_work_per_file_in_order(api_client, ada):
    response = upload_batch(
        api_client,
        [("one.jpg", jpeg(11)), ("two.png", encode(picture(12), "PNG"))],
        [{"title": "One", "tags": ["a"]}, {"title": "Two", "creation_date": "2020"}],
    )
    assert response.status_code == 201, response.json()
    works = response.json()["works"]
    assert [w["title"] for w in works] == ["One", "Two"]
    assert [w["mime_type"] for w in works] == ["image/jpeg", "image/png"]
    assert Work.objects.filter(owner=ada).count() == 2


def test_a_batch_with_one_bad_file_stores_nothing_and_names_it(api_client, ada):
    response = upload_batch(
        api_client,
        [("good.jpg", jpeg(11)), ("bad.jpg", jpeg(12)[:3000]), ("worse.gif", _gif(True))],
        [{"title": "Good"}, {"title": "Bad"}, {"title": "Worse"}],
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "upload_refused"  # two different reasons
    assert set(error["fields"]) == {"files.1", "files.2"}
    assert error["fields"]["files.1"][0].startswith("bad.jpg: ")
    assert media_files() == [] and not Asset.objects.exists()


def test_a_batch_needs_one_metadata_object_per_file(api_client, ada):
    response = upload_batch(api_client, [("a.jpg", jpeg(1)), ("b.jpg", jpeg(2))], [{"title": "A"}])
    assert response.status_code == 400
    assert "metadata" in response.json()["error"]["fields"]
    bad_item = upload_batch(api_client, [("a.jpg", jpeg(1))], [{"description": "no title"}])
    assert bad_item.status_code == 400
    assert "metadata.0.title" in bad_item.json()["error"]["fields"]
    assert media_files() == []
    deep = upload_batch(api_client, [("a.jpg", jpeg(1))], "[" * 100_000 + "]" * 100_000)
    assert deep.status_code == 400
    assert deep.json()["error"]["fields"] == {"metadata": ["A JSON list of 1 object."]}
    assert media_files() == []


def test_a_batch_over_the_cap_is_refused(api_client, ada, settings):
    settings.UPLOAD_BATCH_MAX_FILES = 2
    files = [(f"{i}.jpg", jpeg(i)) for i in range(3)]
    response = upload_batch(api_client, files, [{"title": str(i)} for i in range(3)])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_files"
    assert "At most 2 files" in response.json()["error"]["message"]
    assert media_files() == []


def test_the_same_file_twice_in_one_batch_is_refused(api_client, ada):
    data = jpeg(5)
    response = upload_batch(
        api_client, [("a.jpg", data), ("b.jpg", data)], [{"title": "A"}, {"title": "B"}]
    )
    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {
        "files.1": ["b.jpg: the same file as a.jpg in this upload."]
    }
    assert not Work.objects.exists()


# --- storage on S3 ----------------------------------------------------------------------


def test_an_upload_is_stored_in_s3_under_its_content_hash(api_client, ada, settings, s3_endpoint):
    use_s3(settings, s3_endpoint, "uploads-s3")
    response = upload(api_client, gps_jpeg(9), "s3.jpg")
    assert response.status_code == 201, response.json()
    asset = Asset.objects.get()
    assert bucket_keys(s3_endpoint, "uploads-s3") == sorted(
        [asset.original_key, asset.thumbnail_key]
    )
    assert asset.original_key.startswith("originals/") and asset.thumbnail_key.startswith(
        "thumbnails/"
    )
    original = stored(asset.original_key)
    assert sha256(original) == asset.sha256 and b"GPS" not in original
    # Thumbnails are served through the site from the bucket, never from a bucket URL.
    thumbnail = api_client.get(response.json()["works"][0]["thumbnail_url"])
    assert b"".join(thumbnail.streaming_content) == stored(asset.thumbnail_key)


# --- dedupe: holds and re-uploads --------------------------------------------------------


def _base_set_asset(data: bytes, **fields) -> Asset:
    image = decode_image(data, max_pixels=10**8, thumbnail_size=64)
    bands = phash_bands(image.perceptual_hash)
    values = {
        "source": "smithsonian",
        "source_record_id": f"rec-{image.sha256[:8]}",
        "license": "cc0-1.0",
        "status": AssetStatus.PUBLISHED,
        "sha256": image.sha256,
        "perceptual_hash": image.perceptual_hash,
        "phash_band0": bands[0],
        "phash_band1": bands[1],
        "phash_band2": bands[2],
        "phash_band3": bands[3],
        "original_key": "originals/x.jpg",
        "clone_state": "done",
        **fields,
    }
    return Asset.objects.create(**values)


def test_an_exact_copy_of_a_base_set_file_is_held(api_client, ada):
    data = jpeg(21)
    base = _base_set_asset(data)
    response = upload(api_client, data, "copy.jpg")
    assert response.status_code == 201
    assert response.json()["works"][0]["hold"] == "matches_base_set"
    work = Work.objects.get()
    assert work.hold == HoldReason.MATCHES_BASE_SET
    assert work.hold_detail["asset_ids"] == [base.pk] and work.hold_detail["distance"] == 0
    assert work.hold_detail["matches"][0]["same_file"] is True


def test_a_near_copy_of_a_base_set_image_is_held_with_its_distance(api_client, ada):
    base = _base_set_asset(encode(picture(22), "PNG"))
    response = upload(api_client, encode(picture(22), "JPEG", quality=70), "recompressed.jpg")
    assert response.status_code == 201
    work = Work.objects.get()
    assert work.hold == HoldReason.MATCHES_BASE_SET
    assert work.hold_detail["asset_ids"] == [base.pk]
    assert 0 <= work.hold_detail["distance"] <= 3
    assert work.hold_detail["matches"][0]["same_file"] is False


def test_a_different_image_is_not_held(api_client, ada):
    _base_set_asset(jpeg(23))
    assert upload(api_client, jpeg(24)).status_code == 201
    assert Work.objects.get().hold == ""


def test_another_persons_work_is_held_as_matching_another_owner(api_client, ada, make_user):
    data = jpeg(31)
    assert upload(api_client, data, "mine.jpg").status_code == 201
    first = Work.objects.get()

    api_client.force_authenticate(artist(make_user, "mallory"))
    response = upload(api_client, data, "also-mine.jpg")
    assert response.status_code == 201
    second = Work.objects.exclude(pk=first.pk).get()
    assert second.hold == HoldReason.MATCHES_OTHER_OWNER
    assert second.hold_detail["asset_ids"] == [first.asset_id]
    assert first.hold == ""  # the first uploader is not held


def test_a_file_on_the_opt_out_registry_is_held_naming_the_entry(api_client, ada):
    data = gps_jpeg(41)  # its metadata is removed, so the stored file differs from the upload
    OptOut.objects.create(kind=OptOutKind.SHA256, value=sha256(data))
    response = upload(api_client, data, "listed.jpg")
    assert response.status_code == 201
    assert response.json()["works"][0]["hold"] == "opted_out"
    work = Work.objects.get()
    assert work.hold == HoldReason.OPTED_OUT
    assert work.hold_detail == {"opted_out_sha256": [sha256(data)]}
    event = ProvenanceEvent.objects.get(kind="upload.held")
    assert event.reason == "opted_out" and event.asset_id == work.asset_id


def test_the_cleaned_file_on_the_opt_out_registry_is_held_too(api_client, ada):
    data = gps_jpeg(42)
    cleaned = upload_verify(data, filename="x.jpg", max_pixels=10**8).image.sha256
    assert cleaned != sha256(data)
    OptOut.objects.create(kind=OptOutKind.SHA256, value=cleaned)
    assert upload(api_client, data, "listed.jpg").status_code == 201
    assert Work.objects.get().hold_detail == {"opted_out_sha256": [cleaned]}


def test_a_creator_name_on_the_registry_does_not_hold_the_rights_holders_upload(api_client, ada):
    OptOut.objects.create(kind=OptOutKind.CREATOR, value="ada lovelace")
    OptOut.objects.create(kind=OptOutKind.SHA256, value="0" * 64)
    assert upload(api_client, jpeg(43), "mine.jpg").status_code == 201
    assert Work.objects.get().hold == ""


def test_the_same_owner_uploading_the_same_file_again_gets_409_naming_the_work(api_client, ada):
    data = gps_jpeg(32)
    first = upload(api_client, data, "a.jpg").json()["works"][0]["id"]
    files_before = media_files()

    response = upload(api_client, data, "a-again.jpg")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "already_uploaded"
    assert f"work {first}" in error["message"]
    assert Work.objects.count() == 1 and media_files() == files_before


def test_the_same_owners_near_copy_is_a_new_work_without_hold(api_client, ada):
    assert upload(api_client, encode(picture(33), "JPEG", quality=95), "a.jpg").status_code == 201
    response = upload(api_client, encode(picture(33), "JPEG", quality=60), "b.jpg")
    assert response.status_code == 201
    assert list(Work.objects.values_list("hold", flat=True)) == ["", ""]


def test_far_too_many_files_are_refused_before_they_are_read(api_client, ada, settings):
    files = [
        (f"{i}.jpg", jpeg(i, size=(16, 16))) for i in range(settings.UPLOAD_BATCH_MAX_FILES + 3)
    ]
    response = upload_batch(api_client, files, [{"title": "x"}] * len(files))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_files"
    assert media_files() == []
