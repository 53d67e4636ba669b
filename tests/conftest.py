"""Test services: PostgreSQL, a real Celery worker on Redis, and Chromium.

Under CI=true every one of them is required and the run stops at once, naming what is
missing. Outside CI, tests that need a missing service are skipped with a message that
says what to start.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def missing_services() -> list[str]:
    """What CI needs and does not have, in words that say what to start."""
    missing = []
    database_url = os.environ.get("DATABASE_URL", "")
    if connection.vendor != "postgresql":
        missing.append(
            "PostgreSQL: DATABASE_URL must point at PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/harbour)"
        )
    elif not _reachable(database_url, 5432):
        missing.append(f"PostgreSQL at {urlparse(database_url).netloc} does not answer — start PostgreSQL")
    broker = settings.CELERY_BROKER_URL
    if not broker:
        missing.append("Redis: CELERY_BROKER_URL is not set (e.g. redis://127.0.0.1:6379/15)")
    elif not _reachable(broker, 6379):
        missing.append(f"Redis at {urlparse(broker).netloc} does not answer — start redis-server")
    if not os.path.exists(CHROMIUM):
        missing.append(f"Chromium: {CHROMIUM} is missing — apt-get install chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright: the Python package is not installed — pip install -e '.[test]'")
    return missing


def pytest_sessionstart(session):
    # Password hashing is deliberately slow; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if CI:
        missing = missing_services()
        if missing:
            pytest.exit("CI=true but required services are missing:\n  - " + "\n  - ".join(missing), returncode=3)


def pytest_collection_modifyitems(config, items):
    if CI:
        return
    skips = {}
    if connection.vendor != "postgresql":
        skips["postgres"] = pytest.mark.skip(
            reason="needs PostgreSQL: start it and set DATABASE_URL=postgres://postgres@127.0.0.1:5432/harbour"
        )
    if not settings.CELERY_BROKER_URL or not _reachable(settings.CELERY_BROKER_URL, 6379):
        skips["worker"] = pytest.mark.skip(
            reason="needs a Celery broker: start redis-server and set CELERY_BROKER_URL=redis://127.0.0.1:6379/15"
        )
    if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None:
        skips["browser"] = pytest.mark.skip(reason="needs Chromium: apt-get install chromium")
    for item in items:
        for marker, skip in skips.items():
            if marker in item.keywords:
                item.add_marker(skip)


def _purge_test_queue(app) -> None:
    """Drop tasks left on this run's queue by earlier tests (their rows are gone with their flush)."""
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)


@pytest.fixture
def celery_worker(transactional_db, django_db_blocker):
    """A real Celery worker on Redis, in threads of this process, for this test only.

    Started per test and stopped after it, so it never runs tasks of other tests concurrently
    with their assertions or their closing flush. Data is committed (transactional_db), so the
    worker sees it.
    """
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    _purge_test_queue(app)
    with (
        django_db_blocker.unblock(),
        start_worker(
            app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10
        ),
    ):
        yield app
    _purge_test_queue(app)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def no_recent_verification_trigger():
    """Each test sends its own verification tasks: one an earlier test sent is gone with its queue."""
    from declarations.services import crosscheck

    crosscheck._last_trigger["at"] = float("-inf")


@pytest.fixture(autouse=True)
def fresh_reference_cache():
    """Each test reads the reference tables afresh: a test's rows roll back without a signal."""
    from portal.reference_cache import reference_cache_clear

    reference_cache_clear()
    yield
    reference_cache_clear()


@pytest.fixture(autouse=True)
def reference_data_after_flush(request):
    """Transactional tests empty every table when they end; give each one the reference data back.

    (Migration 0002 loads it once into the test database; ordinary tests roll back and keep it.)
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from portal.models import Port
    from portal.reference import reference_data_load

    if not Port.objects.exists():
        reference_data_load()
