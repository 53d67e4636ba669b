"""What the target load costs in CPU (issue 10): the load day's requests (``load_mix``) sent in-process at the
target's proportions, each request's CPU in this process and in its PostgreSQL backend, and the worker's
verifications of what they queued; the sum per second of the target is the cores the load needs before HTTP,
the kernel and the load generator take theirs."""

from __future__ import annotations

import collections
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, reset_queries
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from declarations.models import VerificationRequest
from declarations.services.crosscheck import declarations_verify_queued
from portal.models import User

from . import load_mix
from .bench_load import OFFICER_ROUND_SECONDS, load_plan, purge_load_rows
from .support import ROOT, bench_users, child_environment, median, purge_bench_queue, spread, use_bench_queue

ROUNDS = 3  # each round replays SIMULATED_SECONDS of the target mix; figures are medians of the rounds
SIMULATED_SECONDS = 10
# Not measured: 2,000 declared containers (as many as the load day keeps for its terminals) at 50 submissions/s.
WARM_UP_SECONDS = 20
TARGET_CORES = 2  # the machine
# Requests per second of the target, by kind (a declaration is filed, ``load_mix.FILING``; a round is a person's).
PER_SECOND = {
    "declaration": load_mix.TRADERS * load_mix.TRADER_TASKS_PER_SECOND * 10 / 11,
    "financing request": load_mix.TRADERS * load_mix.TRADER_TASKS_PER_SECOND / 11,
    "container events": load_mix.TERMINALS * load_mix.TERMINAL_CALLS_PER_SECOND / 2,
    "sensor readings": load_mix.TERMINALS * load_mix.TERMINAL_CALLS_PER_SECOND / 2,
    "manifests": load_mix.CARRIERS * load_mix.CARRIER_CALLS_PER_SECOND,
    "officer round": (load_mix.OFFICERS + load_mix.SUPERVISORS) / OFFICER_ROUND_SECONDS,
    "bank round": load_mix.BANK_OFFICERS * load_mix.BANK_ROUNDS_PER_SECOND,
}
ROW_LINK = re.compile(r'<a href="/declarations/(\d+)/">')

NOTES = f"""
How the cost figures are taken (`tests/benchmarks/bench_cost.py`, requests from `tests/benchmarks/load_mix.py`):

- **the mix**: the load day's requests, built by the same functions `load_day` sends over HTTP, sent here
  through Django's test client with the production middleware and token or session log-in, at the
  target's proportions per second: {", ".join(f"{count:g} {kind}" for kind, count in PER_SECOND.items())}
  (a declaration is filed in one call, `POST /api/v1/declarations?submit=true`, or with
  `LOAD_FILING=two-calls` created and then submitted, as before that call existed — this run:
  {load_mix.FILING}; an officer round is the queue page, the queue list filtered to the load's trader and
  "under review", one declaration's page and a release; a bank round is the list, one request and an
  approval). {SIMULATED_SECONDS} simulated seconds per round, the kinds spread evenly over them;
  every `VERIFICATION_DEBOUNCE_SECONDS` simulated seconds the worker's pass (`declarations_verify_queued`
  until nothing is due; what was queued is made due, as the debounce would by then) verifies what the
  requests queued. {ROUNDS} rounds one after the other, medians, after {WARM_UP_SECONDS} simulated seconds not
  measured (by then the terminals' records about declared containers fall on as many as in the load day's
  steady state: its last 2,000). The load's earlier rows are deleted before and after.
- **CPU**: this process's CPU time (`time.process_time`, Python and the database driver) around each
  request or pass, and the CPU time of its PostgreSQL backend (`/proc/<pid>/stat` of
  `pg_backend_pid()`, in clock ticks, summed over all requests of a kind). PostgreSQL's own background
  writers, HTTP parsing in gunicorn, the kernel's loopback traffic, the Celery worker's task handling,
  Redis and the load generator are **not** in it: the cores needed are a lower bound of what the load
  needs on one machine, and the kinds' shares say where the portal spends it.
- **cores needed**: the CPU seconds of one round over its simulated seconds.

Changes measured with it (`python -m tests.benchmarks cost`, 2026-11-21):

- **routine readings re-verify nothing**: every stored sensor reading used to queue its container's
  declarations, though only two rules read readings (a seal reported open, a temperature of a container
  declared with a range; `rules.reading_matters`, with a property test that any other reading leaves every
  finding as it was). Half the terminals' records are readings: verifications per submission **6.4 → 4.3
  and 4.2** (two runs after), the worker's share **0.58 → 0.46 and 0.39 cores** (its CPU per verification
  1.80 → 2.11 and 1.87 ms: smaller batches), all in all 2.25 → 2.20 and 2.09 cores (the requests' part
  varies by ±0.1 between runs).
- **verification reads values, not models, and keeps unchanged warnings**: the batch's evidence is built
  from the rows it has just locked and from tuples (no second read of the declarations, no four-way
  self-join of HS codes per item), and a re-verification that finds a warning again leaves its row alone
  instead of deleting and re-inserting every warning. Old (a93d19e) and new (56e6f61) alternating, two
  runs each, on a slow hour of the machine (everything cost 2.8–3.3 cores): the worker's CPU per
  verification **2.52 and 2.78 → 1.87 and 2.13 ms**, its share **0.53 and 0.59 → 0.39 and 0.45 cores**
  (−24%); alone (a hand-run probe, not kept in the repo: 2,000 `bench_verification` declarations
  re-verified in batches of 100), Python 0.98 → 0.58 ms and PostgreSQL 0.25 → 0.16 ms each.
- **filing in one call**: `POST /api/v1/declarations?submit=true` creates and submits in one request and
  one transaction, without the submit's locked re-read of what the create has just written. Two calls
  and one call alternating, two runs each (`LOAD_FILING=two-calls python -m tests.benchmarks cost`, then
  without the variable, twice, 2026-11-21, a slow
  hour: the same code cost 2.09 cores in the previous session's run): CPU per declaration **24.35 and
  22.13 → 17.29 and 15.79 ms** (−29%; Python 16.4/14.8 → 12.4/11.2 ms, PostgreSQL 8.0/7.4 → 4.9/4.6 ms;
  13 queries instead of 7 + 13), all in all **2.48 and 2.31 → 2.15 and 2.02 cores**. The load's trader
  systems file in one call since (a system that holds a whole declaration has no use for a draft).
- **container events re-verify only what a rule reads** (2026-11-21, eighth session, an Intel Xeon machine that
  slowed during the session: the same commit, 1739cd5, cost 1.57 cores at 22:57 and 1.79–1.88 in four runs
  later; each commit run from a worktree of its own): a weighing,
  loading, discharge or departure, an event recording a seal, or an event at a port off a declaration's route
  (`rules.event_matters`, with a property test that any other event leaves every finding as it was); a gate-in,
  gate-out or arrival on the route re-verifies nothing. Old (1739cd5) and new (bfe5333) alternating, two pairs: verifications
  per submission **4.2 → 2.8** (a count), the worker's share **0.31 and 0.35 → 0.23 and 0.26 cores**.
- **sensor readings, quick check and one INSERT**: as container events already were, plainly right readings skip the
  per-field checker (each container number, kind with its value and time checked once per call) and go in as one
  `INSERT … SELECT FROM unnest(…)`. Old (1739cd5) and new (8998d28) one after the other: CPU per call of 250
  **37.7 → 27.6 ms** (Python 25.0 → 12.7 ms, PostgreSQL 12.7 → 14.9 ms); the worker's share 0.34 → 0.26 cores
  and all in all 1.88 → 1.80 cores in the same pair.
- **a declaration and its history row in one statement, its items and containers in another** (2026-11-22,
  ninth session, an Intel Xeon machine): `portal.history.save_with_history` writes the row and copies it, as
  written (`RETURNING`), into its history table in one statement, instead of the ORM's save and simple-history's
  historical instance built field by field; `portal.rows.instances_insert` writes the items and the containers
  as one statement of column arrays; a submit reads the traders it notifies before it takes the port-year
  counter. A filing's statements 11 → 8 (the counter is then held over 4 round trips to the commit, not 6).
  Python per filing (`python -m tests.benchmarks.probe_kind declaration 400`: 400 filings after this
  benchmark's warm-up, in-process; the probe's procedure, committed after these runs, in worktrees of 27a1b42
  and 983c955 alternating, two pairs): **7.51 and 7.66 → 5.87 and 6.00 ms** (−22%); this module's figures before
  it, on the same machine an hour earlier (27a1b42, `python -m tests.benchmarks cost`, 01:28 UTC): 10.98 ms
  per filing (Python 7.70, PostgreSQL 3.28, 13 queries), all in all 1.37 cores.
"""


TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # of /proc/<pid>/stat's times


def _backend_cpu() -> tuple[int, float] | None:
    """(pid, CPU seconds) of this connection's PostgreSQL backend; None off Linux or when it is not local."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return pid, (int(fields[11]) + int(fields[12])) / TICK


class Meter:
    """CPU per kind: this process's and its PostgreSQL backend's, and SQL queries."""

    def __init__(self):
        self.python = collections.Counter()
        self.database = collections.Counter()
        self.queries = collections.Counter()
        self.count = collections.Counter()
        self.database_seen = True

    def __call__(self, kind: str, call):
        before = _backend_cpu()
        reset_queries()  # the capture counts from the log, which the request's start would otherwise clear
        with CaptureQueriesContext(connection) as queries:
            started = time.process_time()
            result = call()
            self.python[kind] += time.process_time() - started
        after = _backend_cpu()
        if before and after and before[0] == after[0]:
            self.database[kind] += after[1] - before[1]
        else:
            self.database_seen = False  # a new connection meanwhile (or not local): its CPU is not known
        self.queries[kind] += len(queries)
        self.count[kind] += 1
        return result


class Day:
    """The load's people and systems as test clients; each method is one request or round of theirs."""

    def __init__(self, plan: dict, meter: Meter):
        tokens = plan["tokens"]
        self.plan, self.meter = plan, meter
        self.trader = Client(HTTP_AUTHORIZATION=f"Token {tokens['load.trader']}")
        self.terminal = Client(HTTP_AUTHORIZATION=f"Token {tokens['terminal']}")
        self.carrier = Client(HTTP_AUTHORIZATION=f"Token {tokens['carrier']}")
        self.bank = Client(HTTP_AUTHORIZATION=f"Token {tokens['bank.gbtb']}")
        self.officer = Client()
        self.officer.force_login(User.objects.get(username="officer.shunde"))
        self.declared = collections.deque(maxlen=2000)  # as load_day: the terminals report on these too
        self.pledgeable = collections.deque(maxlen=500)
        self.verified = 0

    def _post(self, client: Client, kind: str, path: str, body, expected=(200, 201)):
        response = self.meter(
            kind,
            lambda: client.post(path, None if body is None else body, content_type="application/json", secure=True),
        )
        if response.status_code not in expected:
            raise RuntimeError(f"{kind}: {response.status_code} {response.content[:300]!r}")
        return response

    def _get(self, client: Client, kind: str, path: str):
        response = self.meter(kind, lambda: client.get(path, secure=True))
        if response.status_code != 200:
            raise RuntimeError(f"{kind}: {response.status_code} {response.content[:300]!r}")
        return response

    def _container(self) -> str:
        if self.declared and random.random() < load_mix.DECLARED_SHARE:  # noqa: S311 — a load mix, not a secret
            return random.choice(self.declared)  # noqa: S311
        return load_mix.container_number("TMLU")

    def declaration(self):
        body = load_mix.declaration_body()
        name, path = load_mix.FIRST_CALL
        pk = self._post(self.trader, name, path, body).json()["id"]
        if load_mix.FILING == "two-calls":
            self._post(self.trader, load_mix.SUBMIT_DECLARATION, load_mix.submit_path(pk), None)
        self.declared.extend(container["number"] for container in body["containers"])
        self.pledgeable.append(pk)

    def financing_request(self):
        if self.pledgeable:
            body = load_mix.financing_body(self.plan["product"], self.pledgeable.pop())
            self._post(self.trader, "trader: ask for financing", "/api/v1/finance/requests", body)

    def container_events(self):
        body = load_mix.container_events_body(self._container)
        self._post(self.terminal, "terminal: container events ×250", "/api/v1/logistics/container-events", body)

    def sensor_readings(self):
        body = load_mix.sensor_readings_body(self._container)
        self._post(self.terminal, "terminal: sensor readings ×250", "/api/v1/logistics/sensor-readings", body)

    def manifests(self):
        body = load_mix.manifests_body()
        self._post(self.carrier, "carrier: manifests ×5 (200 lines)", "/api/v1/logistics/manifests", body)

    def officer_round(self):
        self._get(self.officer, "officer: queue page", "/declarations/officer-queue/")
        listing = self._get(
            self.officer,
            "officer: queue list, filtered",
            f"/declarations/officer-queue/list/?trader={self.plan['trader_organisation']}&status=under_review",
        )
        waiting = ROW_LINK.findall(listing.content.decode())
        if not waiting:
            return
        pk = random.choice(waiting)  # noqa: S311
        self._get(self.officer, "officer: declaration page", f"/declarations/{pk}/")
        response = self.meter(
            "officer: decide",
            lambda: self.officer.post(
                f"/declarations/{pk}/decide/",
                {"action": "release", "expected_status": "under_review", "message": ""},
                secure=True,
            ),
        )
        if response.status_code != 302:
            raise RuntimeError(f"officer: decide: {response.status_code} {response.content[:300]!r}")

    def bank_round(self):
        listing = self._get(
            self.bank, "bank: list requests", "/api/v1/finance/bank/requests?status=under_review&page_size=20"
        )
        waiting = listing.json()["results"]
        if not waiting:
            return
        request = random.choice(waiting)  # noqa: S311
        self._get(self.bank, "bank: open request", f"/api/v1/finance/bank/requests/{request['id']}")
        self._post(
            self.bank,
            "bank: decide",
            f"/api/v1/finance/bank/requests/{request['id']}/decide",
            load_mix.BANK_DECISION,
            expected=(200, 409),
        )

    def verification_pass(self):
        """The worker: every waiting entry made due (the debounce has passed by now), claimed in batches."""
        VerificationRequest.objects.filter(started_at__isnull=True).update(
            queued_at=F("queued_at") - timedelta(seconds=settings.VERIFICATION_DEBOUNCE_SECONDS)
        )

        def drain():
            verified = 0
            while claimed := declarations_verify_queued(declaration_id=None):
                verified += len(claimed)
            return verified

        self.verified += self.meter("worker: verification pass", drain)


def schedule(seconds: int) -> list[str]:
    """The kinds of one round in order: each kind's requests spread evenly over the simulated seconds, with a
    verification pass every debounce."""
    moments = []
    for kind, per_second in PER_SECOND.items():
        count = round(per_second * seconds)
        moments += [((index + 0.5) * seconds / count, kind) for index in range(count)]
    every = settings.VERIFICATION_DEBOUNCE_SECONDS
    moments += [(every * step, "verification pass") for step in range(1, int(seconds / every) + 1)]
    return [kind for _moment, kind in sorted(moments)]


def one_round(day: Day, seconds: int) -> dict:
    """``seconds`` simulated seconds of the mix, on a fresh meter; what it measured."""
    day.meter, day.verified = Meter(), 0
    calls = {kind: getattr(day, kind.replace(" ", "_")) for kind in [*PER_SECOND, "verification pass"]}
    for kind in schedule(seconds):
        calls[kind]()
    day.meter.count["verified"] = day.verified
    return {
        "python": day.meter.python,
        "database": day.meter.database,
        "queries": day.meter.queries,
        "count": day.meter.count,
        "database_seen": day.meter.database_seen,
    }


def measure(plan_path: str, result_path: str) -> None:
    """The child's part: the warm-up, then ``ROUNDS`` rounds one after the other; their meters as JSON."""
    plan = json.loads(Path(plan_path).read_text())
    purge_load_rows()
    day = Day(plan, Meter())
    # Imports, templates, caches, connection; and as in the load's steady state, the terminals' records then
    # fall on as many declared containers as the load day keeps (its last 2,000), not on a first few.
    one_round(day, WARM_UP_SECONDS)
    rounds = [one_round(day, SIMULATED_SECONDS) for _round in range(ROUNDS)]
    Path(result_path).write_text(json.dumps(rounds))


def run() -> list[dict]:
    """In a child process with the production settings (``DEBUG`` off when settings are read: templates are
    cached, no query log), as the load's gunicorn has them."""
    use_bench_queue()
    bench_users()
    with tempfile.TemporaryDirectory() as folder:
        plan_path, result_path = Path(folder) / "plan.json", Path(folder) / "result.json"
        plan_path.write_text(json.dumps(load_plan("http://testserver")))
        try:
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import django, sys; django.setup(); "
                    "from tests.benchmarks.bench_cost import measure; measure(sys.argv[1], sys.argv[2])",
                    str(plan_path),
                    str(result_path),
                ],
                cwd=ROOT,
                env=child_environment(
                    DJANGO_SETTINGS_MODULE="tests.benchmarks.load_settings", ALLOWED_HOSTS="testserver"
                ),
                check=True,
            )
            rounds = json.loads(result_path.read_text())
        finally:
            purge_load_rows()
            purge_bench_queue()
    return _figures(rounds)


def _figures(meters: list[dict]) -> list[dict]:
    kinds = list(meters[0]["count"])
    kinds.remove("verified")
    figures = []
    database_seen = all(meter["database_seen"] for meter in meters)
    for kind in kinds:
        python = [meter["python"].get(kind, 0) / max(1, meter["count"].get(kind, 0)) * 1000 for meter in meters]
        database = [meter["database"].get(kind, 0) / max(1, meter["count"].get(kind, 0)) * 1000 for meter in meters]
        queries = [meter["queries"].get(kind, 0) / max(1, meter["count"].get(kind, 0)) for meter in meters]
        per = "pass" if kind.startswith("worker") else "request"
        figures.append(
            {
                "name": f"{kind}: CPU per {per}",
                "value": round(median(python) + (median(database) if database_seen else 0), 2),
                "unit": "ms",
                "target": "",
                "ok": None,
                "repeats": len(meters),
                "note": f"this process {spread(python, 2, ' ms')}"
                + (f", its PostgreSQL backend {spread(database, 2, ' ms')}" if database_seen else "")
                + f"; {median(queries):.1f} queries; {meters[0]['count'][kind]} per round",
            }
        )
    verified = [meter["count"]["verified"] for meter in meters]
    submitted = [
        meter["count"].get(load_mix.FILE_DECLARATION, 0) + meter["count"].get(load_mix.SUBMIT_DECLARATION, 0)
        for meter in meters
    ]
    per_verification = [
        (meter["python"]["worker: verification pass"] + meter["database"].get("worker: verification pass", 0))
        / max(1, meter["count"]["verified"])
        * 1000
        for meter in meters
    ]
    figures.append(
        {
            "name": "worker: CPU per declaration verified",
            "value": round(median(per_verification), 2),
            "unit": "ms",
            "target": "",
            "ok": None,
            "repeats": len(meters),
            "note": f"{spread(per_verification, 2, ' ms')}; {median(verified):.0f} verifications for "
            f"{median(submitted):.0f} submissions per round ({median(verified) / max(1, median(submitted)):.1f} each: "
            "the terminals' records on declared containers re-verify them)",
        }
    )
    worker = "worker: verification pass"
    web_python = [
        sum(meter["python"].get(kind, 0) for kind in kinds if kind != worker) / SIMULATED_SECONDS for meter in meters
    ]
    web_database = [
        sum(meter["database"].get(kind, 0) for kind in kinds if kind != worker) / SIMULATED_SECONDS for meter in meters
    ]
    worker_cores = [
        (meter["python"].get(worker, 0) + meter["database"].get(worker, 0)) / SIMULATED_SECONDS for meter in meters
    ]
    needed = [sum(parts) for parts in zip(web_python, web_database, worker_cores, strict=True)]
    shares = collections.Counter()
    for meter in meters:
        for kind in kinds:
            shares[kind] += (
                (meter["python"].get(kind, 0) + meter["database"].get(kind, 0)) / SIMULATED_SECONDS / len(meters)
            )
    biggest = ", ".join(f"{kind} {cores:.2f}" for kind, cores in shares.most_common(5))
    figures.append(
        {
            "name": "cores the target load needs (in-process, lower bound)",
            "value": round(median(needed), 2),
            "unit": "cores",
            "target": f"≤ {TARGET_CORES}",
            "ok": median(needed) <= TARGET_CORES,
            "repeats": len(meters),
            "note": f"{spread(needed, 2)}; the requests {median(web_python):.2f} in Python"
            + (f" and {median(web_database):.2f} in PostgreSQL" if database_seen else " (PostgreSQL not seen)")
            + f", the worker's verifications {median(worker_cores):.2f}; "
            f"largest kinds (cores, mean of the rounds): {biggest}; without HTTP, the kernel, Celery's task "
            "handling, Redis, PostgreSQL's background writers and the load generator",
        }
    )
    return figures
