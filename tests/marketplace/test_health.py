"""Liveness and readiness probes, including each dependency broken for real."""

import json
import subprocess
import sys

import boto3
import pytest
from django.conf import settings

from config.celery import app as celery_app
from config.settings.env import storages_from_env
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

PROBE = """
import json, django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
response = Client().get("/readyz")
print(json.dumps({"status": response.status_code, "body": response.json()}))
"""


def probe_in_child(env: dict[str, str]) -> tuple[int, dict]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    return out["status"], out["body"]


def test_healthz_answers_without_auth(api_client):
    response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_readyz_reports_each_part_ready(api_client):
    response = api_client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert body["failing"] == []
    assert body["checks"]["database"] == {"ok": True, "detail": "postgresql"}
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["storage"] == {"ok": True, "detail": "local folder"}


def test_readyz_names_unwritable_storage(api_client, settings, tmp_path):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(not_a_folder / "media")},
        },
    }
    response = api_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]
    assert response.json()["checks"]["storage"]["ok"] is False


def test_readyz_checks_the_real_redis_broker(api_client, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "broker_url", settings.TEST_REDIS_URL)
    response = api_client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["broker"] == {"ok": True, "detail": "redis"}

    closed_port = free_port()
    monkeypatch.setitem(celery_app.conf, "broker_url", f"redis://127.0.0.1:{closed_port}/0")
    response = api_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


def test_readyz_checks_the_s3_bucket(api_client, settings, s3_endpoint, tmp_path):
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="ready-bucket")
    env = {"AWS_STORAGE_BUCKET_NAME": "ready-bucket", "AWS_S3_ENDPOINT_URL": s3_endpoint}
    settings.STORAGES = storages_from_env(env, media_root=tmp_path, static_backend="x")
    response = api_client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["storage"] == {"ok": True, "detail": "s3"}

    env["AWS_STORAGE_BUCKET_NAME"] = "no-such-bucket"
    settings.STORAGES = storages_from_env(env, media_root=tmp_path, static_backend="x")
    response = api_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]


def test_readyz_in_a_process_whose_database_is_down(subprocess_env):
    subprocess_env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{free_port()}/nothing"
    status, body = probe_in_child(subprocess_env)
    assert status == 503
    assert body["failing"] == ["database"]
    assert body["checks"]["database"]["detail"] == "unreachable (OperationalError)"


def test_readyz_in_a_process_whose_broker_is_down(subprocess_env):
    subprocess_env["DATABASE_URL"] = settings.TEST_DATABASE_URL
    subprocess_env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    status, body = probe_in_child(subprocess_env)
    assert status == 503
    assert body["failing"] == ["broker"]
