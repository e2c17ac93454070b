"""Settings come from the environment: each documented variable does what the README says."""

import json
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from config.settings.env import (
    LOCAL_STORAGE_BACKEND,
    S3_STORAGE_BACKEND,
    caches_from_env,
    celery_from_env,
    public_base_url,
    storages_from_env,
)

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST"),
    "socket": db.get("OPTIONS", {}).get("host"),
    "port": db.get("PORT"), "user": db.get("USER"), "debug": s.DEBUG,
    "storage": s.STORAGES["default"]["BACKEND"], "cache": s.CACHES["default"]["BACKEND"],
    "eager": s.CELERY_TASK_ALWAYS_EAGER, "broker": s.CELERY_BROKER_URL,
    "hosts": s.ALLOWED_HOSTS, "throttle": s.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
}))
"""


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
    )


def test_defaults_are_the_embedded_demo(subprocess_env):
    result = load_settings(subprocess_env)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    # The embedded PostgreSQL that manage.py starts, listening in its data folder.
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["socket"] == f"{subprocess_env['VAR_DIR']}/postgres"
    assert loaded["storage"] == LOCAL_STORAGE_BACKEND
    assert loaded["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert loaded["eager"] is True
    assert loaded["broker"] == "memory://localhost/"
    assert loaded["debug"] is True


def test_environment_selects_postgres_redis_s3_and_workers(subprocess_env):
    subprocess_env.update(
        DATABASE_URL="postgres://market:pw@db.internal:6543/marketplace",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        CACHE_URL="redis://127.0.0.1:6379/1",
        AWS_STORAGE_BUCKET_NAME="media-bucket",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="api.example.org,admin.example.org",
        API_THROTTLE_ANON="5/min",
    )
    result = load_settings(subprocess_env)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert (loaded["engine"], loaded["name"], loaded["host"], loaded["port"], loaded["user"]) == (
        "django.db.backends.postgresql",
        "marketplace",
        "db.internal",
        6543,
        "market",
    )
    assert loaded["eager"] is False
    assert loaded["broker"] == "redis://127.0.0.1:6379/0"
    assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["storage"] == S3_STORAGE_BACKEND
    assert loaded["debug"] is False
    assert loaded["hosts"] == ["api.example.org", "admin.example.org"]
    assert loaded["throttle"]["anon"] == "5/min"


def test_storages_from_env_local_then_s3(tmp_path):
    local = storages_from_env({}, media_root=tmp_path, static_backend="static")
    assert local["default"] == {
        "BACKEND": LOCAL_STORAGE_BACKEND,
        "OPTIONS": {"location": str(tmp_path)},
    }
    s3 = storages_from_env(
        {
            "AWS_STORAGE_BUCKET_NAME": "media",
            "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
            "AWS_QUERYSTRING_EXPIRE": "120",
        },
        media_root=tmp_path,
        static_backend="static",
    )
    options = s3["default"]["OPTIONS"]
    assert s3["default"]["BACKEND"] == S3_STORAGE_BACKEND
    assert options["bucket_name"] == "media"
    assert options["endpoint_url"] == "http://127.0.0.1:9000"
    assert options["querystring_expire"] == 120
    assert options["default_acl"] is None  # private objects, presigned URLs only
    assert s3["staticfiles"] == {"BACKEND": "static"}


def test_cache_url_must_be_redis():
    assert caches_from_env({"CACHE_URL": "redis://h:6379/2"})["default"]["LOCATION"] == (
        "redis://h:6379/2"
    )
    with pytest.raises(ValueError, match="CACHE_URL must be a redis:// URL"):
        caches_from_env({"CACHE_URL": "memcached://h:11211"})


def test_celery_is_eager_only_without_broker():
    assert celery_from_env({})["CELERY_TASK_ALWAYS_EAGER"] is True
    assert celery_from_env({"CELERY_BROKER_URL": " "})["CELERY_TASK_ALWAYS_EAGER"] is True
    workers = celery_from_env({"CELERY_BROKER_URL": "redis://r:6379/0"})
    assert workers["CELERY_TASK_ALWAYS_EAGER"] is False
    assert workers["CELERY_BROKER_URL"] == "redis://r:6379/0"


def production_env(subprocess_env, **overrides) -> dict[str, str]:
    env = {
        **subprocess_env,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "market.example.org",
        "DATABASE_URL": settings.TEST_DATABASE_URL,
        "STRIPE_SECRET_KEY": "sk_live_" + secrets.token_hex(12),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(12),
        "STRIPE_CURATION_PRICE_ID": "price_curation",
        "RECEIPT_KEY_SECRET": secrets.token_urlsafe(32),
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.BASE_DIR,
    )


def test_check_deploy_is_clean_with_production_settings(subprocess_env):
    result = manage(production_env(subprocess_env), "check", "--deploy", "--fail-level", "DEBUG")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS must name the hosts"),
        ({"DATABASE_URL": None}, "DATABASE_URL must name the production PostgreSQL"),
        ({"DATABASE_URL": "sqlite:///var/db.sqlite3"}, "DATABASE_URL must point at PostgreSQL"),
        ({"STRIPE_SECRET_KEY": None}, "STRIPE_SECRET_KEY must be set in production"),
        ({"STRIPE_WEBHOOK_SECRET": None}, "STRIPE_WEBHOOK_SECRET must be set in production"),
        ({"RECEIPT_KEY_SECRET": None}, "RECEIPT_KEY_SECRET must be set"),
        ({"RECEIPT_KEY_SECRET": "short"}, "RECEIPT_KEY_SECRET must be set"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(subprocess_env, overrides, message):
    result = manage(production_env(subprocess_env, **overrides), "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_production_forces_debug_off_and_secure_cookies(subprocess_env):
    env = production_env(subprocess_env, DJANGO_DEBUG="true")
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False, True, True, 31536000, True]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", ""), ("  ", ""), ("https://api.example.org/", "https://api.example.org"),
     ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
     ("https://example.org/market/", "https://example.org/market")],
)  # fmt: skip
def test_public_base_url_is_an_address_without_its_trailing_slash(text, expected):
    assert public_base_url(text) == expected


@pytest.mark.parametrize(
    "text", ["api.example.org", "ftp://example.org", "https://", "https://x.org/?a=1"]
)
def test_a_public_base_url_that_is_no_address_is_refused(text):
    with pytest.raises(ValueError, match="not an http"):
        public_base_url(text)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("SEARCH_RANK_WINDOW", "0", "SEARCH_RANK_WINDOW must be at least 1"),
     ("PUBLIC_BASE_URL", "market.example.org", "is not an http(s) address"),
     ("WEBHOOK_DELIVERY_DAYS", "0", "WEBHOOK_DELIVERY_DAYS must be at least 1"),
     ("MANIFEST_EXPORT_DAYS", "0", "MANIFEST_EXPORT_DAYS (0) must be at least 1")],
)  # fmt: skip
def test_settings_that_would_break_the_site_stop_it_at_start(subprocess_env, name, value, message):
    result = load_settings({**subprocess_env, name: value})
    assert result.returncode != 0
    assert message in result.stderr
