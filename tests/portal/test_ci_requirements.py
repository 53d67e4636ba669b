"""Under CI=true a missing PostgreSQL or Redis stops the run at once, naming what is missing."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def run_suite_with(**env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CI": "true", **env}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/portal/test_validators.py", "-q", "-p", "no:cacheprovider"],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ci_run_fails_naming_a_stopped_postgres_and_redis():
    result = run_suite_with(
        DATABASE_URL="postgres://postgres@127.0.0.1:1/harbour", CELERY_BROKER_URL="redis://127.0.0.1:1/0"
    )
    assert result.returncode != 0
    assert "PostgreSQL at postgres@127.0.0.1:1 does not answer" in result.stdout + result.stderr
    assert "Redis at 127.0.0.1:1 does not answer" in result.stdout + result.stderr


def test_ci_run_fails_on_sqlite():
    result = run_suite_with(DATABASE_URL="sqlite:///ci-should-not-use.sqlite3", CELERY_BROKER_URL="")
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL" in result.stdout + result.stderr
    assert "CELERY_BROKER_URL is not set" in result.stdout + result.stderr
