"""Files and calls shared by the works tests: real generated images (with GPS, hidden
payloads, animations ...) and the upload requests a client sends."""

import io
import json
import zipfile
from pathlib import Path

import boto3
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from config.settings.env import storages_from_env
from marketplace.models import RightsHolderProfile, Role
from tests.catalog.images import encode, picture

WORKS = "/api/v1/works/"
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def gps_exif(orientation: int = 1) -> Image.Exif:
    """EXIF with a camera maker, an orientation and a GPS position (the Eiffel Tower)."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Camera maker"
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    return exif


def gps_jpeg(seed: int = 1, *, orientation: int = 1, size=(640, 480)) -> bytes:
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
        b'02/22-rdf-syntax-ns#"><rdf:Description exif:GPSLatitude="48,51.48N"/></rdf:RDF>'
        b"</x:xmpmeta>"
    )
    return encode(
        picture(seed, size), "JPEG", quality=92, exif=gps_exif(orientation), xmp=xmp,
        comment=b"shot at home",
    )  # fmt: skip


def zip_archive(name: str = "payload.txt", text: str = "hidden") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, text)
    return out.getvalue()


def jar_archive() -> bytes:
    """A minimal Java archive, as in GIFAR attacks."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: A\n")
        archive.writestr("A.class", b"\xca\xfe\xba\xbe" + b"\x00" * 32)
    return out.getvalue()


def image_file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def upload(client, data: bytes | None = None, name: str = "work.jpg", **fields):
    """POST one file with its metadata (title defaults to one) as multipart."""
    payload = {"title": "Harbour at dawn", **fields}
    if data is not None:
        payload["file"] = image_file(name, data)
    return client.post(WORKS, payload, format="multipart")


def upload_batch(client, files: list[tuple[str, bytes]], metadata: list[dict] | str):
    return client.post(
        WORKS,
        {
            "files": [image_file(name, data) for name, data in files],
            "metadata": metadata if isinstance(metadata, str) else json.dumps(metadata),
        },
        format="multipart",
    )


def media_files() -> list[str]:
    """Every file in the test's local media folder, relative to it."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def artist(make_user, username: str = "ada", *, display_name: str = "", trusted=False):
    user = make_user(username, role=Role.RIGHTS_HOLDER)
    if display_name or trusted:
        RightsHolderProfile.objects.create(
            user=user, display_name=display_name or username, trusted=trusted
        )
    return user


def use_s3(settings, endpoint: str, bucket: str) -> None:
    """Switch default storage to a fresh bucket on the moto server."""
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = storages_from_env(
        {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_QUERYSTRING_EXPIRE": "60",
        },
        media_root=Path(settings.MEDIA_ROOT),
        static_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
    )


def bucket_keys(endpoint: str, bucket: str) -> list[str]:
    listing = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))
