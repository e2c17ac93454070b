"""The demo's embedded PostgreSQL: manage.py starts it on the demo defaults, the project
migrates onto it and answers a search from it, it stops when the process ends (Ctrl-C
included) and a second start finds the same data."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from tests.conftest import free_port

MANAGE = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
ADD_ASSET = """
from catalog.models import Asset
from catalog.search_documents import search_documents_refresh
asset = Asset.objects.create(source="sample_images", source_record_id="harbour",
    title="Fishing boats in a harbour", tags=["harbour", "boats"], license="cc0-1.0",
    status="published")
search_documents_refresh([asset.pk])
"""


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([*MANAGE, *args], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def postmaster_running(var_dir: Path) -> bool:
    return (var_dir / "postgres" / "postmaster.pid").exists()


def _as_from_a_terminal() -> None:
    """Ctrl-C's default action in the child, as a shell gives it: a suite started in the
    background (`make test &`) would otherwise hand down SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def serve(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [*MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_from_a_terminal,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.3)
    server.kill()
    pytest.fail("the demo server did not answer: " + server.stderr.read())


@pytest.mark.integration
def test_the_embedded_server_starts_migrates_answers_a_search_and_keeps_its_data(
    subprocess_env,
):
    var_dir = Path(subprocess_env["VAR_DIR"])
    assert "DATABASE_URL" not in subprocess_env
    run(subprocess_env, "migrate", "--noinput", "-v0")
    assert not postmaster_running(var_dir)  # stopped when the command ended
    run(subprocess_env, "shell", "-c", ADD_ASSET)

    port = free_port()
    server = serve(subprocess_env, port)
    try:
        found = httpx.get(f"http://127.0.0.1:{port}/api/v1/assets/", params={"q": "boats"})
        assert found.status_code == 200
        assert [a["title"] for a in found.json()["results"]] == ["Fishing boats in a harbour"]
        assert postmaster_running(var_dir)
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C
        server.wait(timeout=30)
    assert not postmaster_running(var_dir)

    # A second start reuses the data folder: the asset is still there.
    again = run(subprocess_env, "shell", "-c",
                "from catalog.models import Asset; print(Asset.objects.count())")  # fmt: skip
    assert again.stdout.split()[-1] == "1"


@pytest.mark.integration
def test_a_process_killed_outright_does_not_keep_the_server_running(subprocess_env):
    """A demo killed with kill -9 never says it ended: the next one still stops the server
    when it exits."""
    var_dir = Path(subprocess_env["VAR_DIR"])
    run(subprocess_env, "check")
    killed = subprocess.Popen(["true"])  # noqa: S607 - its pid, once it has ended
    killed.wait()
    (var_dir / "postgres" / ".handle_pids.json").write_text(json.dumps([killed.pid]))
    run(subprocess_env, "check")
    assert not postmaster_running(var_dir)


@pytest.mark.integration
def test_a_set_database_url_is_used_and_no_server_is_started(subprocess_env):
    subprocess_env["DATABASE_URL"] = settings.TEST_DATABASE_URL
    run(subprocess_env, "check", "--database", "default")
    assert not (Path(subprocess_env["VAR_DIR"]) / "postgres").exists()
