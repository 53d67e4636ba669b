"""Settings of the benchmark's gunicorn child: the portal's, plus the bare comparison views (bare_urls)."""

from portal.settings import *  # noqa: F403 — the portal's settings, unchanged but for the URLconf

ROOT_URLCONF = "tests.benchmarks.bare_urls"
