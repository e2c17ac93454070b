"""Suite-wide fixtures. Tests run on real PostgreSQL and Redis; S3 is a moto server on
loopback started here; Celery integration tests start a real worker (see the worker test)."""

import os
import socket

import psycopg
import pytest
import redis
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from marketplace.accounts import role_group
from marketplace.models import Role, User


def pytest_configure(config):
    """Stop at once, with the variable to set, when PostgreSQL or Redis is not there."""
    try:
        psycopg.connect(django_settings.TEST_DATABASE_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.exit(
            f"PostgreSQL is not reachable at {django_settings.TEST_DATABASE_URL} ({exc}).\n"
            "Start it, or set TEST_DATABASE_URL=postgres://USER@HOST:PORT/DBNAME.",
            returncode=3,
        )
    try:
        redis.Redis.from_url(django_settings.TEST_REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.exit(
            f"Redis is not reachable at {django_settings.TEST_REDIS_URL} ({exc}).\n"
            "Start it, or set TEST_REDIS_URL=redis://HOST:PORT/DB.",
            returncode=3,
        )


def pytest_collection_modifyitems(config, items):
    """Browser tests last: once Playwright has started, Django's guard against database
    calls from async code is off for the rest of the session (tests/marketplace/web)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _isolated_cache_and_media(settings, tmp_path):
    """Each test starts with an empty cache (throttle counters) and its own media folder."""
    from django.core.cache import cache

    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db):
    def make(username: str = "someone", *, role: Role = Role.BUYER, **fields) -> User:
        fields.setdefault("email", f"{username}@example.org")
        user = User.objects.create_user(username=username, password="a-long-passphrase", **fields)
        user.groups.add(role_group(role))
        return user

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """A moto S3 server on loopback, with test credentials in the environment for boto3."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "test-access-key")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def subprocess_env(tmp_path) -> dict[str, str]:
    """A clean environment for running the project in a child process: only what a shell
    needs, so every setting is at its documented default unless the test sets it."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    env["PYTHONPATH"] = str(django_settings.BASE_DIR)
    env["VAR_DIR"] = str(tmp_path / "var")
    return env
