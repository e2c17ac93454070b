"""Readiness checks: can this process reach the database, the broker and the storage?"""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from celery import current_app as celery_app  # the project's app (config.celery)
from django.core.files.storage import storages
from django.db import connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection.vendor


def check_broker() -> str:
    if celery_app.conf.task_always_eager:
        return "eager: no broker configured, tasks run in-process"
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=5)
        return conn.transport_cls


def check_storage() -> str:
    storage = storages["default"]
    bucket_name = getattr(storage, "bucket_name", None)
    if bucket_name:
        storage.connection.meta.client.head_bucket(Bucket=bucket_name)
        return "s3"
    location = storage.location
    os.makedirs(location, exist_ok=True)
    if not os.access(location, os.W_OK):
        raise PermissionError(f"media folder {location} is not writable")
    return "local folder"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
}


def readiness() -> list[CheckResult]:
    results = []
    for name, check in CHECKS.items():
        try:
            results.append(CheckResult(name, True, check()))
        except Exception as exc:  # any failure means "not ready"
            # The probe is public: name the failure's kind, keep hosts and paths in the log.
            logger.warning("readiness check %s failed: %r", name, exc)
            results.append(CheckResult(name, False, f"unreachable ({type(exc).__name__})"))
    return results
