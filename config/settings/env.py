"""Turn environment values into Django settings for the parts that take more than one line.

Pure functions over a mapping so the rules are testable without reloading settings.
"""

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from botocore.config import Config

S3_STORAGE_BACKEND = "storages.backends.s3.S3Storage"
LOCAL_STORAGE_BACKEND = "django.core.files.storage.FileSystemStorage"


def storages_from_env(env: Mapping[str, str], *, media_root: Path, static_backend: str) -> dict:
    """Local media folder by default; S3 as soon as a bucket is named."""
    bucket = env.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if bucket:
        default = {
            "BACKEND": S3_STORAGE_BACKEND,
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": env.get("AWS_S3_ENDPOINT_URL") or None,
                "region_name": env.get("AWS_S3_REGION_NAME") or None,
                # Objects stay private: buyers get short-lived presigned URLs only.
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": int(env.get("AWS_QUERYSTRING_EXPIRE", "300")),
                "file_overwrite": False,
                "client_config": Config(
                    connect_timeout=5,
                    read_timeout=60,
                    retries={"max_attempts": 3, "mode": "standard"},
                    signature_version="s3v4",
                    s3={"addressing_style": env.get("AWS_S3_ADDRESSING_STYLE", "auto")},
                ),
            },
        }
    else:
        default = {
            "BACKEND": LOCAL_STORAGE_BACKEND,
            "OPTIONS": {"location": str(media_root)},
        }
    return {"default": default, "staticfiles": {"BACKEND": static_backend}}


def caches_from_env(env: Mapping[str, str]) -> dict:
    """Redis when `CACHE_URL` is set (shared by every process), process memory otherwise."""
    url = env.get("CACHE_URL", "").strip()
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"CACHE_URL must be a redis:// URL, got {url!r}")
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": env.get("CACHE_KEY_PREFIX", "marketplace"),
            }
        }
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


EAGER_BROKER = "memory://localhost/"


def celery_from_env(env: Mapping[str, str]) -> dict:
    """No broker means tasks run eagerly in-process (the demo); a broker URL means workers.
    Eager tasks still pass through a producer: kombu's in-memory transport keeps it from
    looking for a broker on localhost (and warning that it found no hostname)."""
    broker = env.get("CELERY_BROKER_URL", "").strip()
    return {
        "CELERY_BROKER_URL": broker or EAGER_BROKER,
        "CELERY_RESULT_BACKEND": env.get("CELERY_RESULT_BACKEND", "").strip() or None,
        "CELERY_TASK_ALWAYS_EAGER": not broker,
        "CELERY_TASK_EAGER_PROPAGATES": not broker,
    }


def public_base_url(text: str) -> str:
    """The address people reach this site at (https://api.example.org), without a trailing
    slash; empty when not set."""
    text = text.strip().rstrip("/")
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ValueError(f"{text!r} is not an http(s) address such as https://api.example.org")
    return text


def media_origins(env: Mapping[str, str]) -> list[str]:
    """Where the browser loads media from besides this site (the admin shows thumbnails):
    `CSP_MEDIA_ORIGINS` when set, else the S3 endpoint's origin (or AWS's addresses for
    the bucket), else none (local media are served by this site)."""
    listed = [o.strip().rstrip("/") for o in env.get("CSP_MEDIA_ORIGINS", "").split(",")]
    if any(listed):
        return [origin for origin in listed if origin]
    bucket = env.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        return []
    endpoint = env.get("AWS_S3_ENDPOINT_URL", "").strip()
    if endpoint:
        parts = urlsplit(endpoint)
        host = f"{parts.scheme}://{parts.netloc}"
        return [host, f"{parts.scheme}://{bucket}.{parts.netloc}"]
    region = env.get("AWS_S3_REGION_NAME", "").strip()
    origins = [f"https://{bucket}.s3.amazonaws.com"]
    if region:
        origins.append(f"https://{bucket}.s3.{region}.amazonaws.com")
    return origins
