"""`make test` stops at once, naming the variable to set, when PostgreSQL is not there."""

import subprocess
import sys

from django.conf import settings

from tests.conftest import free_port


def test_suite_stops_with_the_variable_to_set_when_postgres_is_unreachable(subprocess_env):
    subprocess_env["TEST_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{free_port()}/test"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_migrations.py", "-p", "no:cacheprovider"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 3
    assert "PostgreSQL is not reachable" in result.stdout + result.stderr
    assert "set TEST_DATABASE_URL=" in result.stdout + result.stderr
