"""Fixtures that several marketplace test modules share: a real Celery worker and an S3
storage on the moto server (defined beside the tests that introduced them)."""

from tests.marketplace.test_celery_worker import worker  # noqa: F401
from tests.marketplace.test_storage_s3 import s3_storage  # noqa: F401
