"""Shared pieces of the declaration and verification benchmarks (not a benchmark module itself).

Child processes (gunicorn, a Celery worker) get the benchmark database the runner set in
``DATABASE_URL``, production-like settings (``DEBUG=false``, no SSL redirect on loopback),
e-mail to the dummy backend and their own Celery queue, :data:`BENCH_QUEUE`, which is
purged before and after use so no benchmark task outlives the run. The queue is named after the
runner's process, so two benchmark runs on one machine (several engineers share it) neither
consume nor purge each other's tasks.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BENCH_QUEUE = os.environ.get("BENCH_QUEUE") or f"hsw-bench-{os.getpid()}"
BENCH_SECRET_KEY = "harbour-single-window-benchmarks-only-" + "x" * 20  # noqa: S105 — loopback bench server


def bench_users():
    """The demo organisations and people (trader, carrier, terminal …), created once in the bench database."""
    from portal.demo import demo_seed
    from portal.models import Port, User
    from portal.reference import reference_data_load

    if not Port.objects.exists():
        reference_data_load()
    if not User.objects.filter(username="trader").exists():
        demo_seed()
    return {user.username: user for user in User.objects.filter(username__in=["trader", "carrier", "terminal"])}


def api_token(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


def child_environment(**extra: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": BENCH_SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "CELERY_TASK_DEFAULT_QUEUE": BENCH_QUEUE,
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    environment.update(extra)
    return environment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def niced(command: list[str], nice: int) -> list[str]:
    """``command`` run at CPU priority ``nice`` below the others' (as a container's smaller CPU weight would)."""
    return ["nice", "-n", str(nice), *command] if nice else command


class Gunicorn:
    """``gunicorn`` serving the portal (or a benchmark URLconf) on a free loopback port."""

    def __init__(self, *, workers: int = 2, settings_module: str = "portal.settings", nice: int = 0):
        """``nice``: the server's CPU priority below the others' (as a container's smaller CPU weight would)."""
        self.port = free_port()
        self.process = subprocess.Popen(
            niced(
                [
                    str(BIN / "gunicorn"),
                    "portal.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(workers),
                    "--worker-class",
                    "sync",
                    "--log-level",
                    "warning",
                ],
                nice,
            ),
            cwd=ROOT,
            env=child_environment(DJANGO_SETTINGS_MODULE=settings_module),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _body = self.request("GET", "/api/v1/")
                if status < 500:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def request(self, method: str, path: str, body=None, token: str = "") -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        try:
            connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def purge_bench_queue() -> int:
    """Drop every task waiting on :data:`BENCH_QUEUE` (and the default queue of this process)."""
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        return 0
    from kombu import Connection

    purged = 0
    with Connection(settings.CELERY_BROKER_URL) as connection:
        channel = connection.default_channel
        for queue in {BENCH_QUEUE, settings.CELERY_TASK_DEFAULT_QUEUE}:
            purged += channel.queue_purge(queue) or 0  # a queue never declared has nothing: 0
    return purged


def use_bench_queue() -> None:
    """Tasks this process sends go to :data:`BENCH_QUEUE`, and e-mails nowhere."""
    from django.conf import settings

    from portal.celery import app

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    app.conf.task_default_queue = BENCH_QUEUE
    app.conf.task_default_routing_key = BENCH_QUEUE


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def median(values) -> float:
    """The median of repeated measurements (``statistics.median``; a single value is its own median)."""
    import statistics

    return statistics.median(values)


def spread(values, digits: int = 1, unit: str = "") -> str:
    """``"median of 3: 24.4 (20.1–25.0)"`` — how many measurements a median is over, and their range."""
    values = list(values)
    return (
        f"median of {len(values)}: {median(values):,.{digits}f}{unit} "
        f"({min(values):,.{digits}f}–{max(values):,.{digits}f}{unit})"
    )


def clients_run(client, count: int) -> float:
    """Run ``client`` in ``count`` threads at once; the seconds until the last one has finished."""
    threads = [threading.Thread(target=client) for _ in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def cpu_snapshot(roots: dict[str, list[int]]) -> dict | None:
    """CPU seconds used so far per group of processes, read from Linux's ``/proc`` (None elsewhere).

    ``roots`` names groups by their root process ids: each group is those processes and their
    descendants (gunicorn masters and their workers, a Celery worker and its pool). PostgreSQL's processes (the
    server is shared, so other work on it counts too) form the group ``"PostgreSQL"``. ``"machine"``
    is the whole machine's busy CPU seconds and ``"capacity"`` its CPU seconds in all, from
    ``/proc/stat`` (busy includes interrupts and time stolen by the hypervisor)."""
    proc = Path("/proc")
    if not (proc / "stat").exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    parents, used, names = {}, {}, {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        name_end = text.rfind(")")
        fields = text[name_end + 2 :].split()
        pid = int(entry.name)
        parents[pid], names[pid] = int(fields[1]), text[text.find("(") + 1 : name_end]
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    snapshot = {}
    for group, pids in roots.items():
        members, frontier = set(), set(pids)
        while frontier:
            members |= frontier
            frontier = {pid for pid, parent in parents.items() if parent in frontier} - members
        snapshot[group] = {pid: used[pid] for pid in members if pid in used}
    snapshot["PostgreSQL"] = {pid: used[pid] for pid, name in names.items() if name.startswith("postgres")}
    values = [int(value) for value in (proc / "stat").read_text().split("\n", 1)[0].split()[1:9]]
    snapshot["machine"] = (sum(values) - values[3] - values[4]) / tick
    snapshot["capacity"] = sum(values) / tick
    return snapshot


def cpu_used(before: dict | None, after: dict | None) -> dict[str, float]:
    """Cores used on average between two :func:`cpu_snapshot` s, per group, plus ``"other"`` (the rest
    of the machine's busy time: this process, the kernel, other work) and ``"busy"`` (the machine's)."""
    if not before or not after:
        return {}
    seconds = (after["capacity"] - before["capacity"]) / (os.cpu_count() or 1)
    if seconds <= 0:
        return {}
    cores = {
        group: sum(spent - before[group].get(pid, 0.0) for pid, spent in after[group].items()) / seconds
        for group in after
        if group not in ("machine", "capacity")
    }
    busy = (after["machine"] - before["machine"]) / seconds
    cores["other"] = max(0.0, busy - sum(cores.values()))
    cores["busy"] = busy
    return cores
