"""A real Celery worker, started here, runs the project's tasks through the Redis broker."""

import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from config.celery import app as project_app

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(subprocess_env):
    """`celery worker` in its own process on the test database, on a queue of its own. Its
    broker is the test run's Redis database (TEST_REDIS_URL, emptied before each test with
    the cache), so runs side by side, each with its own, never share or empty one another's
    queues."""
    broker = settings.TEST_REDIS_URL
    db = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex}"
    env = {
        **subprocess_env,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # Not the current app: shared tasks elsewhere in the suite stay on the eager project app.
    client = Celery("test-client", broker=broker, backend=broker, set_as_current=False)
    try:
        yield client, queue
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
        redis.Redis.from_url(broker).flushdb()
    assert b"Traceback" not in output, output.decode()


def test_worker_runs_the_session_cleanup_from_the_beat_schedule(worker):
    client, queue = worker
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="current", session_data="", expire_date=now + timedelta(1))

    task_name = settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]["task"]
    result = client.send_task(task_name, queue=queue)
    result.get(timeout=60)

    assert result.status == "SUCCESS"
    assert list(Session.objects.values_list("session_key", flat=True)) == ["current"]


def test_every_scheduled_task_is_registered():
    project_app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in project_app.tasks
