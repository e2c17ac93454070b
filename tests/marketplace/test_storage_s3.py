"""The S3 storage path, against a moto S3 server on loopback, with real boto3 calls."""

import uuid

import boto3
import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from config.settings.env import storages_from_env


@pytest.fixture
def s3_storage(settings, s3_endpoint, tmp_path):
    # A bucket per test: the S3 server lives for the whole run, and a test that lists what
    # is stored must not see what another test left there.
    bucket = f"media-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = storages_from_env(
        {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": s3_endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_QUERYSTRING_EXPIRE": "60",
        },
        media_root=tmp_path,
        static_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
    )
    return bucket, s3_endpoint


def test_upload_read_back_and_fetch_by_presigned_url(s3_storage):
    bucket, endpoint = s3_storage
    payload = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64

    key = default_storage.save("originals/ab/abcdef.png", ContentFile(payload))
    assert key == "originals/ab/abcdef.png"

    stored = boto3.client("s3", endpoint_url=endpoint).get_object(Bucket=bucket, Key=key)
    assert stored["Body"].read() == payload
    with default_storage.open(key) as handle:
        assert handle.read() == payload

    url = default_storage.url(key)
    assert url.startswith(f"{endpoint}/{bucket}/{key}?")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == payload


def test_objects_are_private_without_a_signature(s3_storage):
    key = default_storage.save("originals/private.bin", ContentFile(b"secret"))
    unsigned = default_storage.url(key).split("?")[0]
    assert httpx.get(unsigned, timeout=10).status_code == 403


def test_saving_twice_under_one_name_keeps_both(s3_storage):
    first = default_storage.save("uploads/same.txt", ContentFile(b"one"))
    second = default_storage.save("uploads/same.txt", ContentFile(b"two"))
    assert first != second
    assert default_storage.open(first).read() == b"one"
    assert default_storage.open(second).read() == b"two"
