"""Hand probe (not part of ``make bench``): what serving a filing over HTTP adds to its CPU — a gunicorn sync worker's
CPU per filing (``/proc``, user and system) against the same filings sent in-process through Django's test client.

    eval "$(.venv/bin/python tests/service_env.py)"
    .venv/bin/python -m tests.benchmarks.probe_http [count]

One call at a time on each side, after 50 not counted; the load's declarations (``load_mix.declaration_body``), filed
in one call by the load's trader against the bench database.
"""

import os
import subprocess
import sys
import time

WARM_UP = 50


def worker_cpu(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process so far."""
    text = open(f"/proc/{pid}/stat").read()  # noqa: SIM115 — read once
    fields = text[text.rfind(")") + 2 :].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def main(argv: list[str]) -> None:
    from tests.benchmarks.__main__ import bench_database_url
    from tests.benchmarks.support import child_environment

    os.environ["DATABASE_URL"] = bench_database_url()
    os.environ.update(
        child_environment(DJANGO_SETTINGS_MODULE="tests.benchmarks.load_settings", ALLOWED_HOSTS="testserver")
    )
    import django

    django.setup()
    from django.test import Client

    from tests.benchmarks import load_mix
    from tests.benchmarks.bench_load import load_plan, purge_load_rows
    from tests.benchmarks.support import Gunicorn, bench_users, purge_bench_queue, use_bench_queue

    count = int(argv[0]) if argv else 300
    use_bench_queue()
    bench_users()
    token = load_plan("http://testserver")["tokens"]["load.trader"]
    path = load_mix.FIRST_CALL[1]
    purge_load_rows()
    server = Gunicorn(workers=1, settings_module="tests.benchmarks.load_settings")
    try:
        (worker,) = map(
            int,
            subprocess.run(
                ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True, check=True
            ).stdout.split(),
        )
        for number in range(WARM_UP + count):
            if number == WARM_UP:
                before = worker_cpu(worker)
            status, body = server.request("POST", path, load_mix.declaration_body(), token)
            if status != 201:
                raise SystemExit(f"filing over HTTP answered {status}: {body[:300]!r}")
        user, system = (1000 * (after - start) / count for after, start in zip(worker_cpu(worker), before, strict=True))
        print(
            f"over HTTP: {user + system:.2f} ms CPU per filing in the gunicorn worker (user {user:.2f}, system {system:.2f})"
        )
        client = Client(HTTP_AUTHORIZATION=f"Token {token}")
        for number in range(WARM_UP + count):
            if number == WARM_UP:
                started = time.process_time()
            response = client.post(path, load_mix.declaration_body(), content_type="application/json")
            if response.status_code != 201:
                raise SystemExit(f"filing in-process answered {response.status_code}")
        print(
            f"in-process: {1000 * (time.process_time() - started) / count:.2f} ms CPU per filing (test client included)"
        )
    finally:
        server.stop()
        purge_load_rows()
        purge_bench_queue()


if __name__ == "__main__":
    main(sys.argv[1:])
