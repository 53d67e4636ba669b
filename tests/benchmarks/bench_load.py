"""Load and scale-out figures (issue 10): a scaled-down day replayed over HTTP with 1 and 2 gunicorn
workers × 1 and 2 Celery worker processes, each configuration started fresh on loopback, every
configuration run ``BENCH_LOAD_REPEATS`` times in interleaved rounds; figures are medians."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from declarations.models import Declaration, VerificationRequest, VerificationRun
from declarations.services import declaration_create_draft, declaration_submit
from declarations.services.crosscheck import verification_request
from declarations.tasks import declaration_verify as verify_task
from finance.choices import ProductKind
from finance.models import FinancingProduct
from finance.services import product_upsert
from portal.choices import OrganisationKind, Role
from portal.demo import DEMO_PASSWORD, demo_seed
from portal.models import User
from portal.services import organisation_create, user_create
from portal.validators import uscc_check_character

from .bench_declarations import declaration_body, service_input
from .support import (
    BENCH_QUEUE,
    BIN,
    ROOT,
    Gunicorn,
    api_token,
    bench_users,
    child_environment,
    cpu_snapshot,
    cpu_used,
    load_average,
    median,
    niced,
    purge_bench_queue,
    spread,
    use_bench_queue,
)

SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "30"))  # measured per run
REPEATS = int(os.environ.get("BENCH_LOAD_REPEATS", "3"))  # runs per configuration, in interleaved rounds
WARM_UP_SECONDS = int(os.environ.get("BENCH_LOAD_WARM_UP_SECONDS", "8"))  # per run, not measured
MAX_REQUESTS = 30_000  # per run: the run stops at whichever bound comes first
# A sync gunicorn worker waits while PostgreSQL answers: two per CPU keep the machine busy (gunicorn's advice).
SIZED_WEB = 2 * (os.cpu_count() or 1)
# (gunicorn workers, Celery worker processes, gunicorn workers of a second server for the officers' pages —
# 0: one server for all): the scale-out steps, the machine's own size, and that size with the pages apart.
CONFIGURATIONS = [(1, 1, 0), (2, 1, 0), (1, 2, 0), (2, 2, 0), (SIZED_WEB, 2, 0), (SIZED_WEB - 1, 2, 2)]
API_NICE = 10  # the API server's and Celery's nice value when the officers' pages have their own server
DRAIN_DECLARATIONS = int(os.environ.get("BENCH_LOAD_DRAIN_DECLARATIONS", "3000"))  # queued at once, per round
CAPACITY_STEPS = int(os.environ.get("BENCH_LOAD_CAPACITY_STEPS", "4"))  # bisection runs of the capacity search
CAPACITY_CEILING = 2.0  # the capacity search looks this far beyond the target when the full load is sustained
SUSTAINED = 0.95  # a rate is sustained when at least this share of what arrived is accepted
USERNAMES = ["load.trader", "terminal", "carrier", "officer.shunde", "supervisor", "bank.gbtb"]
LOAD_TRADER = "Load-day trader Co., Ltd."  # the load's declarant: no other data in the bench database is its
PRODUCT_NAME = "Load benchmark pre-shipment financing"
TARGET_SUBMISSIONS, TARGET_RECORDS, TARGET_OFFICER_P95 = 50, 2000, 300
OFFICER_ROUND_SECONDS = 4  # each officer's round: a person reads a declaration before deciding it
OFFICER_PAGES = ("officer: queue page", "officer: queue list, filtered", "officer: declaration page")

CAPACITY_CONFIGURATIONS = [CONFIGURATIONS[0], CONFIGURATIONS[-2], CONFIGURATIONS[-1]]  # 1 × 1, the size, pages apart
RUNS = len(CONFIGURATIONS) * REPEATS + len(CAPACITY_CONFIGURATIONS) * CAPACITY_STEPS
NOTES_INTRODUCTION = f"""
How the load figures are taken (`tests/benchmarks/bench_load.py`, users in `tests/benchmarks/load_day.py`):

- **the day**: locust (as a library, in a child process: it patches the standard library with gevent)
  runs 24 users against the portal over HTTP on loopback. Each system starts its calls as a Poisson
  process (random gaps, as independent callers' arrive; `load_day.poisson_throughput`) at a rate such
  that together they offer the issue's target: 10 trader systems of one trader organisation kept for
  the load (`POST /api/v1/declarations?submit=true`: a declaration with 3 items and 2 containers filed
  in one call — with `LOAD_FILING=two-calls` created, then `…/submit` —, 5
  declarations/s each = 50/s; one time in eleven a pre-shipment financing request pledging a
  declaration just submitted), 3 terminal systems (container events and sensor readings, 250 per
  bulk POST, 2.2 POSTs/s each), 1 barge line (5 manifests of 40 bills of lading per POST, 2/s) — about
  2,000 logistics records/s offered — 8 customs officers in the browser (session log-in; one round
  every {OFFICER_ROUND_SECONDS} s each: the queue page as it opens, risk-ordered over the whole
  database; the queue's list filtered to the load's trader and "under review", the fragment the open
  page's htmx poll fetches, so officers pick this run's declarations and never decide other modules'
  data; one of them opened; a decision through the page's form) and 2 bank officers (list of
  requests, one request, approve; a round every 2 s on average). A server that cannot keep up answers
  later, so the measured rates fall below the offered ones; the shortfall is the finding.
- **one run**: a fresh gunicorn and a fresh Celery worker on a free loopback port and a
  benchmark-only queue (purged before and after), one PostgreSQL (`harbour_bench`) and one Redis;
  {WARM_UP_SECONDS} s of warm-up (log-ins, imports, connections; not counted), then {SECONDS} s measured or
  {MAX_REQUESTS:,} requests, whichever comes first (`BENCH_LOAD_WARM_UP_SECONDS`, `BENCH_LOAD_SECONDS`).
  Before each run the declarations, logistics records and financing requests of earlier load runs
  are deleted and the tables vacuumed and analyzed, so every run starts from the same data.
- **configurations**: 1 and 2 `gunicorn` sync workers × 1 and 2 Celery worker processes
  (`celery worker --concurrency`), then the machine's own size: {SIZED_WEB} sync workers (two per CPU: a
  sync worker waits while PostgreSQL answers) × 2 Celery processes, and last the same with the
  officers' pages apart, as a reverse proxy would route them: {SIZED_WEB - 1} workers for the API and the
  Celery worker at `nice {API_NICE}` (the systems' server and the background verification yield the CPU to
  the people's pages, as a smaller CPU weight of their containers would) and a second gunicorn of 2
  workers for the pages. On one server an officer's
  page waits behind whatever API calls the sync workers are busy with.
- **capacity**: on the smallest configuration (1 × 1: where the scale-out starts), on the machine's own
  size ({SIZED_WEB} × 2) and on that size with the officers' pages apart, the load is scaled (the traders', terminals' and carrier's rates together; officers and bank officers keep
  their pace) and the largest share of the target that configuration sustains is bisected in
  {CAPACITY_STEPS} runs (`BENCH_LOAD_CAPACITY_STEPS`): between 0 and 1 when a run at the full load was
  not sustained, between 1 and {CAPACITY_CEILING:g} when all were (so the figure says how far beyond the
  target one machine goes, up to {CAPACITY_CEILING:g}× it). Sustained means at least {SUSTAINED:.0%} of the
  submissions and records that arrived accepted (arrived: the run's Poisson draw of the offered rates,
  counted from the planned call times in the measured window) with the officers' pages at p95 ≤
  {TARGET_OFFICER_P95} ms. One run per step: the note lists every step. The scale-out figures are the
  larger configurations' capacities over the smallest's.
- **verification capacity**: during the day the worker verifies what arrives (its backlog stays
  small), so its rate is a count, not a capacity. The capacity of 1 and 2 Celery processes is
  measured apart, with no HTTP load: {DRAIN_DECLARATIONS:,} declarations of the load's trader are
  queued at once, due at once, for a fresh worker that has answered a ping (batches claimed with
  `SKIP LOCKED`, each full claim sending the next task); the rate is the declarations over the
  time from the first task sent until the last is verified (polled every 50 ms); {REPEATS}
  rounds, 1 and 2 processes alternating.
- **repeats**: every configuration is run {REPEATS} times (`BENCH_LOAD_REPEATS`), in interleaved rounds
  (1×1, 2×1, 1×2, 2×2, then again in the same order, …), so a burst of load from other work on the
  machine spreads over all configurations instead of falling on one. Every figure of a
  configuration is the **median of its {REPEATS} runs**, with the range (lowest–highest) in the note;
  the officer p95 is, per run, the slowest p95 of the three officer pages (queue page, filtered list, declaration page), then the median of those.
  The per-request-kind tables below give, per configuration, the median over its runs of each column.
- **scale-out ratios** are taken between the medians of two configurations (e.g. median requests/s
  of 2×1 over median of 1×1); the note gives the range of the same ratio taken within each round
  (the two configurations' runs of one round, a minute or two apart).
- **verifications/s**: the verification runs the worker(s) completed for the load's declarations
  during the measured seconds (sum of `VerificationRun.runs`, read when the measurement starts and
  when it stops — `load_day` marks both moments) divided by the measured time; "backlog" is how
  many submitted declarations were still waiting for their first verification at the end.
- **the machine**: 2 CPUs, shared with other engineers' tests and benchmarks; locust, gunicorn,
  Celery, PostgreSQL and Redis all run on it. Each figure notes the load averages at the end of
  its runs. The {RUNS} runs take about {RUNS * (WARM_UP_SECONDS + SECONDS + 8) / 60:.0f} minutes (about 8 s
  per run to start, stop and clean up).

Changes to the load generator because of what it showed (2026-11-21, 2 web × 1 worker at 6% of the
target, the access log of gunicorn giving each request's time in the server beside locust's):

- **arrivals** (measured with `run_configuration(2, 1, scale=0.06)` and gunicorn's access log turned on
  through its environment, `GUNICORN_CMD_ARGS="--access-logfile <file> --access-logformat '%(m)s %(U)s %(s)s
  %(M)s'"`; the plain client was `http.client` asking `GET /api/v1/declarations?page_size=1` every 250 ms):
  the systems were paced with locust's `constant_throughput`. Users spawned together
  then call in the same instant every round, so ten traders' declarations reached two sync workers at
  once and nine of them waited. A trader's create took 11 ms in the server (p50) against 66–160 ms
  measured by locust, and a plain client asking every 250 ms beside the load saw 10 ms. The officers'
  pages waited behind those crowds: officer p95 330–450 ms at 6% in the earlier runs. With Poisson
  arrivals at the same rates: create p50 **17 ms** (66–160 before), officer pages p95 **150–180 ms**
  (190–460 before), in one run each.
- **vacuum**: the runs delete the rows of earlier runs; with autovacuum off their dead entries stayed in
  the queue's index, and the queue's index-only counts visited the heap for each, run after run.
  `purge_load_rows` now runs `VACUUM (ANALYZE)` where it ran `ANALYZE`.
- **officers in step** (2026-11-21, third session; gunicorn's access log beside locust's figures, and a
  plain `http.client` beside the load): at 2% of the target load the officers' pages took 10–33 ms in
  the server and 13–35 ms for the plain client, but locust timed them at 56–80 ms (p50). Locust's
  `constant_pacing` counts each user's rounds from the moment the user object was created, so the random
  delay each officer waited before its first round was undone from the second round on: the six officers
  opened the queue page in the same millisecond every 4 s and two sync workers served them one after
  another. The officers now pace from their own first round (`pacing.steady_pacing`, tested in
  `tests/tooling/test_load_pacing.py`). The officers alone against a probe server of 2 workers, 2 runs
  each, alternating: queue page p50 70 / 51 ms → 26 / 29 ms, filtered list p50 48 / 44 ms → 13 / 14 ms.
  The officer p95 of the runs before this change timed that crowd.
- **what arrived** (same day): a system draws its next planned start when its call ends, so one that was
  waiting for the server had not drawn the starts still due when the measured time ended, and they were
  not counted as arrived. With the officers' crowd gone, the capacity search judged the pages-apart
  configuration to sustain the full load with 25.6 submissions/s accepted of 23.3 "arrived" (50 offered).
  `load_day.arrivals_until` now draws those starts on the same Poisson process: at the full load on
  2 web × 1 worker, 50.6 submissions/s arrived and 31.5 were accepted (not sustained).
- **routine readings** (2026-11-21, fourth session; `run_configuration(2, 2)` at the full load, the commit
  before (47d7634) and after (e062ec7) alternating, 2 rounds each, 14:52–14:58 UTC): sensor readings that no
  rule reads (a closed seal, a dry container's temperature — half the terminals' records) no longer
  re-verify their declarations. Submissions accepted **22.0, 22.2 → 29.0, 31.8/s**, officer p95 **600, 510
  → 390, 310 ms**, Celery **0.45, 0.43 → 0.34, 0.33 cores** (the web processes took what it freed: 0.78
  → 0.86); records accepted ~2,000/s on both. `bench_cost` puts the verifications at 6.4 → 4.3 per
  submission.
- **filing in one call** (2026-11-21, sixth session; `python -m tests.benchmarks.compare_filing 5`:
  `run_configuration(2, 2)` at the full load, the trader systems creating and then submitting
  (`LOAD_FILING=two-calls`) and filing in one call alternating, 5 rounds, 18:57–19:08 UTC, taken with the
  same loop by hand before it was kept as that module; one round with the module at 19:40: 26.1 → 31.9/s,
  p95 530 → 600 ms): submissions accepted **26.2, 15.2, 14.8, 17.0, 15.7 → 25.0, 21.8, 25.8, 27.7, 21.1/s**
  (medians 15.7 → 25.0; within each round 0.95–1.74×), records accepted 1,900–2,200/s on both; the officer p95
  **400, 570, 550, 590, 610 → 600, 740, 760, 740, 700 ms**: with everything on one server, the pages wait
  behind the more declarations the same two workers now take. `bench_cost`: 22–24 → 16–17 ms of CPU per
  declaration.
- **another machine** (2026-11-21, seventh session; `make bench` at 20:17 and `python -m tests.benchmarks load`
  at 20:37 UTC, AMD EPYC, 2 CPUs): `bench_cost` measured about half the CPU per request of the earlier
  sessions' machine (0.93–0.97 cores for the target's requests against 2.0–2.15), and every configuration took
  the full target on 1.2–1.7 cores. The capacity search stopped at 1 then; it now looks beyond the target
  when the full load is sustained (up to 2×): 1.5× sustained on 4 web × 2 Celery and with the pages apart in
  the run at 20:37, 1.25× with the pages apart in the one at 21:05, where 1 web × 1 worker sustained 0.62 (a
  scale-out of 2.0×). A scale-out ratio at the full load is held to > 1 only where the smaller configuration
  fell short of what arrived. The issue target was judged on the medians of the full-load runs, whose offered
  rates are Poisson draws around the target (half fall below 50/s however fast the server); it is now judged
  on the capacity searches (every full-load run sustained, and a run above the target sustained with the
  target's rates accepted), and the searches run on fixed configurations, not on the one whose draws ran highest.
- **the officers' unread count** (2026-11-22, tenth session; Intel Xeon, 2 CPUs): each run left the officers
  notified of every critical warning on its declarations, and the rows stayed when the runs' declarations were
  deleted: after a day of runs each officer had ~35,000 unread, and the navigation badge counted them on every page
  (10–12 ms of PostgreSQL per page; after, 0.3–0.5 ms: `python -m tests.benchmarks.probe_explain officer_round`,
  the probe committed after). The badge now counts up to 99 and shows "99+", the purge
  deletes notifications left pointing at deleted rows, and 23 indexes that served no read left the tables every
  filing, record and verification writes. `python -m tests.benchmarks load` (pages apart, capacity search): at
  5a9e9ff (03:58 UTC) **0.94×** (one of three full-load runs fell behind: 44.8 of 50.9 submissions/s), at 137a367
  (04:44 UTC, `cost load`) **1.125×** (all three full-load runs sustained; 112% sustained with 56.5 submissions/s
  and 2,143 records/s, officer p95 120 ms; at 150% 52.3 submissions/s were still accepted, against 39.0 in the
  last session's run). One run each; `bench_cost` 1.20 cores in-process for both commits, so the CPU per request
  barely moved (filing 9.23 → 9.02 ms, PostgreSQL 3.32 → 3.18 ms): the officers' pages, served first (nice 0), took
  less from the systems' server.
"""
NOTES = NOTES_INTRODUCTION


# Links of notifications (a regular expression whose one group is the row's id) and the table of that row.
DANGLING_NOTIFICATIONS = (
    ("^/declarations/([0-9]+)/$", "declarations_declaration"),
    ("^/financing/(?:bank/)?([0-9]+)/$", "finance_financingrequest"),
)


def purge_load_rows() -> None:
    """Delete what earlier load runs stored — declarations with ``LD-BL-`` transport documents,
    logistics records with ``LD-`` external ids, the load product's financing requests — with every
    row that points at them, and nothing else: other modules keep their data in this database."""
    with connection.cursor() as cursor:
        _delete_with_dependents(
            cursor,
            "declarations_declaration",
            "SELECT id FROM declarations_declaration WHERE transport_document_number LIKE 'LD-BL-%%'",
        )
        _delete_with_dependents(
            cursor,
            "finance_financingrequest",
            "SELECT r.id FROM finance_financingrequest r JOIN finance_financingproduct p "
            "ON p.id = r.product_id WHERE p.name_en = %s",
            [PRODUCT_NAME],
        )
        cursor.execute(
            "DELETE FROM declarations_manifestline WHERE manifest_id IN "
            "(SELECT id FROM declarations_manifest WHERE external_id LIKE 'LD-%%')"
        )
        for table in ("declarations_manifest", "declarations_containerevent", "declarations_sensorreading"):
            cursor.execute(f"DELETE FROM {table} WHERE external_id LIKE 'LD-%%'")  # noqa: S608 — fixed names
        # The notifications the runs sent (to the load's trader, and to the officers of every critical warning on its
        # declarations) name the rows only by their pages' links: those left pointing at a deleted row go too.
        for pattern, table in DANGLING_NOTIFICATIONS:
            exists = f"SELECT 1 FROM {table} t WHERE t.id = substring(n.link from %s)::bigint"  # noqa: S608 — fixed
            dangling = f"DELETE FROM portal_notification n WHERE n.link ~ %s AND NOT EXISTS ({exists})"  # noqa: S608
            cursor.execute(dangling, [pattern, pattern])
        # As autovacuum would (it is off on the benchmark server): each run adds and deletes thousands of rows here,
        # and their dead index entries would otherwise pile up run after run (the queue's index-only counts would
        # visit the heap for each), so later runs would measure a slower database than earlier ones.
        for table in (
            "declarations_declaration",
            "declarations_manifest",
            "declarations_manifestline",
            "declarations_containerevent",
            "declarations_sensorreading",
            "portal_notification",
        ):
            cursor.execute(f"VACUUM (ANALYZE) {table}")  # noqa: S608 — fixed names


def _delete_with_dependents(cursor, table: str, ids_query: str, parameters=(), depth: int = 0) -> None:
    """DELETE the rows of ``table`` whose primary key ``ids_query`` selects, after the rows that reference them."""
    if depth > 5:
        raise RuntimeError(f"foreign keys nest deeper than expected under {table}")
    key = _primary_key(cursor, table)
    cursor.execute(f"DROP TABLE IF EXISTS doomed_{depth}")  # left by an interrupted purge in this session
    cursor.execute(f"CREATE TEMPORARY TABLE doomed_{depth} AS {ids_query}", parameters)  # noqa: S608
    cursor.execute(
        "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c JOIN pg_attribute a "
        "ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
        "WHERE c.contype = 'f' AND c.confrelid = %s::regclass AND c.conrelid <> c.confrelid",
        [table],
    )
    for child, column in cursor.fetchall():
        _delete_with_dependents(
            cursor,
            child,
            f'SELECT "{_primary_key(cursor, child)}" FROM {child} '  # noqa: S608
            f'WHERE "{column}" IN (SELECT * FROM doomed_{depth})',
            depth=depth + 1,
        )
    cursor.execute(f'DELETE FROM {table} WHERE "{key}" IN (SELECT * FROM doomed_{depth})')  # noqa: S608
    cursor.execute(f"DROP TABLE doomed_{depth}")


def _primary_key(cursor, table: str) -> str:
    cursor.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
        [table],
    )
    return cursor.fetchone()[0]


def load_plan(host: str) -> dict:
    """Tokens of the seeded users, the demo password for the officers' log-in, the financing product."""
    if not User.objects.filter(username="bank.gbtb").exists():
        demo_seed()
    load_trader()
    users = {user.username: user for user in User.objects.filter(username__in=USERNAMES)}
    product = FinancingProduct.objects.filter(name_en=PRODUCT_NAME, bank=users["bank.gbtb"].organisation).first()
    if product is None:
        product = product_upsert(
            actor=users["bank.gbtb"],
            kind=ProductKind.PRE_SHIPMENT,
            name_en=PRODUCT_NAME,
            currencies=["USD"],
            max_advance_percent=80,
            min_tenor_days=30,
            max_tenor_days=180,
        )
    return {
        "host": host,
        "tokens": {name: api_token(user) for name, user in users.items()},
        "password": DEMO_PASSWORD,
        "product": product.pk,
        "trader_organisation": users["load.trader"].organisation_id,
        "officer_round_seconds": OFFICER_ROUND_SECONDS,
        "seconds": SECONDS,
        "warm_up_seconds": WARM_UP_SECONDS,
        "max_requests": MAX_REQUESTS,
    }


def load_trader() -> None:
    """The load's trader system and its own organisation, created once in the bench database."""
    if User.objects.filter(username="load.trader").exists():
        return
    base = "91440606LD0000001"
    organisation = organisation_create(
        kind=OrganisationKind.TRADER, name_en=LOAD_TRADER, uscc=base + uscc_check_character(base)
    )
    user_create(username="load.trader", password=DEMO_PASSWORD, organisation=organisation, role=Role.TRADER_STAFF)


class CeleryWorker:
    """``celery worker`` with ``concurrency`` processes consuming the benchmark queue.

    Starting returns at once: the worker forks its processes and connects to the broker while
    gunicorn starts and during the load's warm-up; :meth:`check` says afterwards if it died.
    """

    def __init__(self, *, concurrency: int, nice: int = 0):
        """``nice``: the worker's CPU priority below the others' (as a container's smaller CPU weight would)."""
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 — closed in stop()
        self.name = f"{BENCH_QUEUE}-{time.monotonic_ns()}@localhost"  # for ping: other workers share the broker
        self.process = subprocess.Popen(
            niced(
                [
                    str(BIN / "celery"),
                    "-A",
                    "portal",
                    "worker",
                    "-n",
                    self.name,
                    "-Q",
                    BENCH_QUEUE,
                    f"--concurrency={concurrency}",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=WARNING",
                ],
                nice,
            ),
            cwd=ROOT,
            env=child_environment(),
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        """Return once the worker answers a ping (its processes forked, its queue consumed)."""
        from portal.celery import app

        deadline = time.monotonic() + timeout
        while not app.control.ping(destination=[self.name], timeout=0.5):
            self.check()
            if time.monotonic() > deadline:
                raise RuntimeError("the celery worker did not answer in time")

    def check(self) -> None:
        if self.process.poll() is not None:
            self.log.seek(0)
            raise RuntimeError(f"celery worker exited: {self.log.read()[-2000:]!r}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def verification_state() -> tuple[int, int]:
    """(verification runs completed, declarations still waiting for their first) of the load's declarations."""
    mine = Declaration.objects.filter(transport_document_number__startswith="LD-BL-")
    runs = VerificationRun.objects.filter(declaration__in=mine).aggregate(total=Sum("runs"))["total"] or 0
    return runs, mine.filter(status="submitted").count()


def drain_declarations(count: int) -> list[int]:
    """``count`` declarations of the load's trader, created and submitted in this process (not timed)."""
    trader = User.objects.get(username="load.trader")
    ids = []
    for number in range(count):
        body = declaration_body(items=3)
        body["transport_document_number"] = f"LD-BL-DRAIN-{number:06d}"  # purged with the load's rows
        declaration = declaration_create_draft(actor=trader, **service_input(body))
        declaration_submit(actor=trader, declaration_id=declaration.pk)
        ids.append(declaration.pk)
    return ids


def drain_rate(ids: list[int], processes: int) -> float:
    """A fresh Celery worker of ``processes`` processes, ready, is given every declaration of ``ids`` to
    verify at once (queued and due): declarations verified per second until the last is done."""
    purge_bench_queue()
    worker = CeleryWorker(concurrency=processes)
    try:
        worker.wait_ready()
        since = timezone.now()
        with transaction.atomic():
            verification_request(ids)
            # Due now (not after the debounce): the time is then the worker's alone.
            VerificationRequest.objects.filter(declaration_id__in=ids).update(
                queued_at=F("queued_at") - timedelta(seconds=settings.VERIFICATION_DEBOUNCE_SECONDS)
            )
        started = time.perf_counter()
        verify_task.delay(None)  # claims a batch of the due backlog; each full batch claimed sends the next
        deadline = time.monotonic() + 300
        while VerificationRun.objects.filter(declaration_id__in=ids, finished_at__gt=since).count() < len(ids):
            worker.check()
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not drain the verification queue in 5 minutes")
            time.sleep(0.05)
        return len(ids) / (time.perf_counter() - started)
    finally:
        worker.stop()
        purge_bench_queue()


def drain_figures() -> list[dict]:
    """Verification throughput of 1 and 2 Celery processes draining the same queue, rounds alternating."""
    ids = drain_declarations(DRAIN_DECLARATIONS)
    drain_rate(ids, 2)  # their first verification (starts their review): not timed, every round re-verifies
    rates = {1: [], 2: []}
    for _round in range(REPEATS):
        for processes in (1, 2):
            rates[processes].append(drain_rate(ids, processes))
    one, two = median(rates[1]), median(rates[2])
    rounds = [b / a for a, b in zip(rates[1], rates[2], strict=True) if a]
    figures = [
        {
            "name": f"verification queue drained by {processes} Celery process(es)",
            "value": round(median(rates[processes])),
            "unit": "verifications/s",
            "target": "—",
            "ok": None,
            "repeats": REPEATS,
            "note": f"{spread(rates[processes], 0)}; {len(ids):,} declarations queued at once (3 items, 2 containers), "
            "re-verified in batches; no HTTP load",
        }
        for processes in (1, 2)
    ]
    figures.append(
        {
            "name": "2 / 1 Celery processes: verification queue drained",
            "value": round(two / one, 2) if one else 0.0,
            "unit": "×",
            "target": "> 1",
            "ok": bool(one) and two / one > 1,
            "repeats": REPEATS,
            "note": f"medians {two:,.0f} / {one:,.0f}"
            + (f"; within each round {min(rounds):.2f}–{max(rounds):.2f}" if rounds else ""),
        }
    )
    return figures


def replay_day(plan: dict, folder: Path, roots: dict[str, list[int]]) -> tuple[dict, int]:
    """Run ``load_day`` in a child process; its result and the verification runs done while it measured.

    The child touches ``started`` and ``stopped`` files when its measured time begins and ends; the
    verification runs and the CPU time of each group of processes (``roots``: the web server and the
    Celery worker, by process id; the load child and PostgreSQL are added) are read at those two
    moments, so the warm-up is not counted. The result gets ``cpu``: cores used per group."""
    plan_path, result_path = folder / "plan.json", folder / "result.json"
    plan = {**plan, "started_marker": str(folder / "started"), "stopped_marker": str(folder / "stopped")}
    plan_path.write_text(json.dumps(plan))
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.load_day", str(plan_path), str(result_path)],
        cwd=ROOT,
        env=child_environment(),
    )
    deadline = time.monotonic() + WARM_UP_SECONDS + SECONDS + 120
    runs_at, cpu_at = {}, {}
    roots = {**roots, "load generator": [child.pid]}
    try:
        while child.poll() is None:
            for moment in ("started", "stopped"):
                if moment not in runs_at and (folder / moment).exists():
                    cpu_at[moment] = cpu_snapshot(roots)
                    runs_at[moment] = verification_state()[0]
            if time.monotonic() > deadline:
                raise RuntimeError("the load child did not finish in time")
            time.sleep(0.1)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if child.returncode != 0:
        raise RuntimeError(f"the load child failed with exit code {child.returncode}")
    result = json.loads(result_path.read_text())
    result["cpu"] = cpu_used(cpu_at.get("started"), cpu_at.get("stopped"))
    runs_at.setdefault("stopped", verification_state()[0])  # only if the child ended too fast to be seen
    return result, runs_at["stopped"] - runs_at.get("started", 0)


def run_configuration(web: int, workers: int, pages: int = 0, *, scale: float = 1.0) -> dict:
    """One run of the day against ``web`` gunicorn workers and ``workers`` Celery processes; with ``pages``,
    the officers' pages go to a second gunicorn of that many workers (as a reverse proxy would route them)."""
    purge_load_rows()
    purge_bench_queue()
    # With the pages apart, the systems' server and the background verification yield the CPU to the people's
    # pages (nice), as a smaller CPU weight of their containers would in production.
    worker = CeleryWorker(concurrency=workers, nice=API_NICE if pages else 0)
    servers = []
    try:
        servers.append(
            Gunicorn(workers=web, settings_module="tests.benchmarks.load_settings", nice=API_NICE if pages else 0)
        )
        if pages:
            servers.append(Gunicorn(workers=pages, settings_module="tests.benchmarks.load_settings"))
        hosts = [f"http://127.0.0.1:{server.port}" for server in servers]
        with tempfile.TemporaryDirectory() as folder:
            plan = {**load_plan(hosts[0]), "page_host": hosts[-1], "scale": scale}
            roots = {"web": [server.process.pid for server in servers], "Celery": [worker.process.pid]}
            result, runs = replay_day(plan, Path(folder), roots)
        worker.check()
        _runs, backlog = verification_state()
    finally:
        worker.stop()
        for server in servers:
            server.stop()
        purge_bench_queue()
    result.update(
        web=web,
        workers=workers,
        pages=pages,
        verifications_per_second=runs / result["seconds"],
        backlog=backlog,
        load=load_average(),
    )
    return result


def label(configuration) -> str:
    """``"2 web × 1 worker"``, or ``"3 web + 1 page web × 2 worker"`` when the officers' pages have their own
    gunicorn; from a configuration of :data:`CONFIGURATIONS` or a run's result."""
    if isinstance(configuration, dict):
        configuration = (configuration["web"], configuration["workers"], configuration.get("pages", 0))
    web, workers, pages = configuration
    return f"{web} web{f' + {pages} page web' if pages else ''} × {workers} worker"


def officer_p95(result: dict) -> float:
    """The slower officer page's p95 in one run; infinite when a page was never answered in it."""
    return max(result["kinds"].get(name, {}).get("p95_ms", float("inf")) for name in OFFICER_PAGES)


def submissions(result: dict) -> float:
    return result["accepted_per_second"].get("submissions", 0.0)


def records(result: dict) -> float:
    return result["accepted_per_second"].get("logistics records", 0.0)


def verifications(result: dict) -> float:
    return result["verifications_per_second"]


def requests(result: dict) -> float:
    return result["per_second"]


def loads(runs: list[dict]) -> str:
    return "load averages at the end of the runs: " + "; ".join(run["load"] for run in runs)


def kinds_table(runs: list[dict]) -> str:
    first = runs[0]
    lines = [
        f"Per request kind, {label(first)}, median of {len(runs)} runs of "
        + ", ".join(f"{run['seconds']:.0f}" for run in runs)
        + f" s ({loads(runs)}):\n",
        "| request | requests | failures | per s | p50 ms | p95 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = sorted({name for run in runs for name in run["kinds"]})
    for name in names:
        # A kind no request of which was answered in a run has no latency there: medians of the runs that have it.
        kinds = [run["kinds"][name] for run in runs if name in run["kinds"]]
        shown = name if len(kinds) == len(runs) else f"{name} (in {len(kinds)} of {len(runs)} runs)"

        def middle(key, kinds=kinds):
            return median(kind[key] for kind in kinds)

        lines.append(
            f"| {shown} | {middle('requests'):,.0f} | {middle('failures'):,.0f} | {middle('per_second'):.1f} | "
            f"{middle('p50_ms'):.0f} | {middle('p95_ms'):.0f} | {middle('p99_ms'):.0f} |"
        )
    errors = [error for run in runs for error in run["errors"]]
    if errors:
        lines.append("\nFirst errors: " + "; ".join(f"`{error[:160]}`" for error in errors[:5]))
    return "\n".join(lines) + "\n"


def configuration_figures(runs: list[dict]) -> list[dict]:
    name = label(runs[0])
    count = len(runs)
    per_second = median(requests(run) for run in runs)
    submitted = median(submissions(run) for run in runs)
    accepted = median(records(run) for run in runs)
    p95 = median(officer_p95(run) for run in runs)
    verified = median(verifications(run) for run in runs)
    pages = ", ".join(
        f"{name.removeprefix('officer: ')} p50 "
        + spread((run["kinds"].get(name, {}).get("p50_ms", float("inf")) for run in runs), 0, " ms")
        for name in OFFICER_PAGES
    )
    return [
        {
            "name": f"{name}: requests",
            "value": round(per_second, 1),
            "unit": "requests/s",
            "target": "—",
            "ok": None,
            "repeats": count,
            "note": spread(map(requests, runs))
            + f"; {median(run['requests'] for run in runs):,.0f} requests in {SECONDS} s, "
            f"{median(run['failures'] for run in runs):,.0f} failed, p95 "
            f"{median(run['p95_ms'] for run in runs):.0f} ms (medians); {loads(runs)}",
        },
        {
            "name": f"{name}: declarations submitted",
            "value": round(submitted, 1),
            "unit": "submissions/s",
            "target": f"≥ {TARGET_SUBMISSIONS}/s",
            "ok": submitted >= TARGET_SUBMISSIONS,
            "repeats": count,
            "note": spread(map(submissions, runs))
            + f"; {runs[0]['offered_per_second']['submissions']:.0f}/s offered, arrived (the runs' Poisson draws) "
            + ", ".join(f"{run['arrived_per_second']['submissions']:.1f}" for run in runs),
        },
        {
            "name": f"{name}: logistics records accepted",
            "value": round(accepted),
            "unit": "records/s",
            "target": f"≥ {TARGET_RECORDS:,}/s",
            "ok": accepted >= TARGET_RECORDS,
            "repeats": count,
            "note": spread(map(records, runs), 0) + "; container events, sensor readings, manifests and their lines, "
            f"{runs[0]['offered_per_second']['logistics records']:,.0f}/s offered, arrived "
            + ", ".join(f"{run['arrived_per_second']['logistics records']:,.0f}" for run in runs),
        },
        {
            "name": f"{name}: officer page p95",
            "value": round(p95) if math.isfinite(p95) else "none answered",
            "unit": "ms",
            "target": f"≤ {TARGET_OFFICER_P95} ms",
            "ok": p95 <= TARGET_OFFICER_P95,
            "repeats": count,
            "note": spread(map(officer_p95, runs), 0, " ms")
            + f"; per run the slowest of the three officer pages; {pages}",
        },
        {
            "name": f"{name}: verifications by the worker",
            "value": round(verified, 1),
            "unit": "verifications/s",
            "target": "—",
            "ok": None,
            "repeats": count,
            "note": spread(map(verifications, runs))
            + "; backlog at the end (submitted, not yet verified): "
            + ", ".join(f"{run['backlog']:,}" for run in runs),
        },
        *cpu_figures(name, runs),
    ]


CPU_GROUPS = ("web", "Celery", "PostgreSQL", "load generator", "other")


def cpu_figures(label: str, runs: list[dict]) -> list[dict]:
    """Where the machine's CPU went while the load was measured (medians of the runs), when ``/proc`` tells."""
    measured = [run["cpu"] for run in runs if run.get("cpu")]
    if not measured:
        return []
    split = ", ".join(f"{group} {median(cpu.get(group, 0.0) for cpu in measured):.2f}" for group in CPU_GROUPS)
    return [
        {
            "name": f"{label}: CPU busy while measured",
            "value": round(median(cpu["busy"] for cpu in measured), 2),
            "unit": f"cores of {os.cpu_count()}",
            "target": "—",
            "ok": None,
            "repeats": len(measured),
            "note": f"{spread((cpu['busy'] for cpu in measured), 2)}; cores by process group (medians): {split} "
            "(other: this benchmark's own process, the kernel, time stolen by the hypervisor, other work)",
        }
    ]


def ratio_figure(
    name: str,
    measure,
    numerators: list[dict],
    denominators: list[dict],
    *,
    informational: bool = False,
) -> dict:
    """The ratio of two configurations' medians of ``measure``; the note has each round's own ratio.
    ``informational``: a comparison the issue sets no target for (shown with none).

    A throughput can only grow with more processes where the smaller configuration fell short of what
    arrived: when it sustained the load in every run, the ratio is shown without a target and the note says
    so, with what the processes changed instead (the p95 of all requests)."""
    top, bottom = median(map(measure, numerators)), median(map(measure, denominators))
    value = top / bottom if bottom else 0.0
    rounds = [measure(a) / measure(b) for a, b in zip(numerators, denominators, strict=True) if measure(b)]
    within = f"; within each round {min(rounds):.2f}–{max(rounds):.2f} ({len(rounds)} rounds)" if rounds else ""
    carried = not informational and all(map(sustains, denominators))
    if carried:
        within += (
            f"; {label(denominators[0])} already sustained what arrived in every run, so at this load the rate "
            "follows the offered one and more processes shorten the answers instead: p95 of all requests "
            f"{median(run['p95_ms'] for run in denominators):.0f} → {median(run['p95_ms'] for run in numerators):.0f}"
            " ms (medians); the capacity searches show how far a configuration goes"
        )
    return {
        "name": name,
        "value": round(value, 2),
        "unit": "×",
        "target": "—" if informational or carried else "> 1",
        "ok": None if informational or carried else value > 1,
        "repeats": len(numerators),
        "note": f"medians {top:,.1f} / {bottom:,.1f}{within}",
    }


def meets_targets(submitted: float, accepted: float, p95: float) -> bool:
    """The issue's target: submissions/s, logistics records/s and the officers' p95 (of a run or of medians)."""
    return submitted >= TARGET_SUBMISSIONS and accepted >= TARGET_RECORDS and p95 <= TARGET_OFFICER_P95


def sustains(result: dict) -> bool:
    """The run accepted what arrived (within ``SUSTAINED``) with the officers' pages answered in time.

    What arrived is the run's Poisson sample of the offered rates (``load_day.poisson_throughput``): held
    to the nominal rates, a run would pass or fail by the luck of its draw."""
    arrived = result["arrived_per_second"]
    return (
        submissions(result) >= SUSTAINED * arrived["submissions"]
        and records(result) >= SUSTAINED * arrived["logistics records"]
        and officer_p95(result) <= TARGET_OFFICER_P95
    )


def capacity_search(
    web: int, workers: int, pages: int, *, low: float = 0.0, high: float = 1.0
) -> tuple[float, list[dict]]:
    """The largest share of the target load (traders', terminals' and carrier's rates scaled together; people
    at their pace) that the configuration sustains, bisected over ``CAPACITY_STEPS`` runs between ``low`` (known
    to be sustained, or 0) and ``high``; with ``tried`` every run of the search."""
    tried = []
    for step in range(1, CAPACITY_STEPS + 1):
        scale = round((low + high) / 2, 4)
        print(f"   capacity step {step}/{CAPACITY_STEPS}: {scale:.0%} of the target load", file=sys.stderr, flush=True)
        result = run_configuration(web, workers, pages, scale=scale)
        tried.append(result)
        if sustains(result):
            low = scale
        else:
            high = scale
    return low, tried


def capacity_figure(share: float, tried: list[dict]) -> dict:
    """How far one machine goes: the share of the target load sustained, with every step of the search."""
    full = {name: rate / tried[0]["scale"] for name, rate in tried[0]["offered_per_second"].items()}
    steps = "; ".join(
        f"{run['scale']:.0%}: {submissions(run):.1f} of {run['arrived_per_second']['submissions']:.1f} submissions/s, "
        f"{records(run):,.0f} of {run['arrived_per_second']['logistics records']:,.0f} records/s, officer p95 "
        + (f"{officer_p95(run):,.0f} ms" if math.isfinite(officer_p95(run)) else "none answered")
        + (" — sustained" if sustains(run) else " — not sustained")
        for run in tried
    )
    return {
        "name": f"{label(tried[0])}: share of the target load sustained",
        "value": round(share, 3),
        "unit": "× target",
        "target": "≥ 1",
        "ok": share >= 1,
        "repeats": len(tried),
        "note": f"= {share * full['submissions']:.1f} submissions/s with {share * full['logistics records']:,.0f} "
        "records/s; bisection, one "
        f"run of {SECONDS} s per step, sustained = ≥ {SUSTAINED:.0%} of what arrived accepted (arrived: the run's "
        f"Poisson draw of the offered rates) and officer p95 ≤ {TARGET_OFFICER_P95} ms: {steps}",
    }


def beyond_target(share: float, tried: list[dict]) -> bool:
    """The issue's target met by a configuration: it sustained the full load in every run (its capacity search
    went beyond the target) and a run above the target sustained it with the target's rates accepted."""
    return share > 1 and any(
        run["scale"] > 1 and sustains(run) and meets_targets(submissions(run), records(run), officer_p95(run))
        for run in tried
    )


def scale_out_figure(key, capacity: tuple[float, list[dict]], smallest: tuple[float, list[dict]]) -> dict:
    """How far the scale-out took the load one machine sustains: a configuration's capacity (its share and the
    runs that found it) over the smallest configuration's."""
    (share, tried), (base, base_tried) = capacity, smallest
    return {
        "name": f"scale-out: share of the target sustained, {label(key)} / {label(CONFIGURATIONS[0])}",
        "value": round(share / base, 2) if base else 0.0,
        "unit": "×",
        "target": "> 1",
        "ok": bool(base) and share > base,
        "repeats": len(tried) + len(base_tried),
        "note": f"{share:.2f} / {base:.2f} of the target (the capacity searches above)",
    }


def run() -> list[dict]:
    global NOTES  # noqa: PLW0603 — the runner reads NOTES after run(); it gets the per-kind tables of this run
    use_bench_queue()
    bench_users()
    results = {key: [] for key in CONFIGURATIONS}
    try:
        for round_number in range(1, REPEATS + 1):
            for key in CONFIGURATIONS:
                print(f"   round {round_number}/{REPEATS}: {label(key)}", file=sys.stderr, flush=True)
                results[key].append(run_configuration(*key))
        # The capacity is searched on the smallest configuration (what one process of each kind carries: the
        # scale-out's starting point), on the machine's own size and on that size with the officers' pages apart
        # (the officers' p95 is what gives out first). Not on the one that accepted the most at the full load:
        # where every configuration takes what arrives, that is the one whose Poisson draws ran highest.
        capacities, searched = {}, []
        for key in CAPACITY_CONFIGURATIONS:
            if all(map(sustains, results[key])):  # the whole target: how far beyond it?
                share, tried = capacity_search(*key, low=1.0, high=CAPACITY_CEILING)
                capacities[key] = (share, results[key] + tried)
            else:
                share, tried = capacity_search(*key)
                capacities[key] = (share, tried)
            searched += tried
        print("   verification queue drained by 1 and 2 Celery processes", file=sys.stderr, flush=True)
        drained = drain_figures()
    finally:
        purge_load_rows()
    figures = []
    for runs in results.values():
        figures += configuration_figures(runs)
    one, two_web, two_workers, both, sized, apart = (results[key] for key in CONFIGURATIONS)
    figures += [
        ratio_figure("2 / 1 gunicorn workers (1 Celery): requests/s", requests, two_web, one),
        ratio_figure("2 / 1 gunicorn workers (1 Celery): submissions/s", submissions, two_web, one),
        ratio_figure("2 / 1 gunicorn workers (1 Celery): logistics records/s", records, two_web, one),
        # During the day the verifications follow what arrives (the backlog stays small): a count, not a capacity.
        # The capacity of 1 and 2 Celery processes is the drain figure below.
        ratio_figure(
            "2 / 1 Celery workers (1 gunicorn): verifications/s during the day",
            verifications,
            two_workers,
            one,
            informational=True,
        ),
        ratio_figure("2 × 2 / 1 × 1: requests/s", requests, both, one),
        ratio_figure(
            f"{SIZED_WEB} / 2 gunicorn workers (2 Celery): requests/s", requests, sized, both, informational=True
        ),
        ratio_figure(
            f"{SIZED_WEB} / 2 gunicorn workers (2 Celery): submissions/s",
            submissions,
            sized,
            both,
            informational=True,
        ),
        ratio_figure(
            f"officer p95, {SIZED_WEB} workers with the pages apart / all on one server",
            officer_p95,
            apart,
            sized,
            informational=True,
        ),
        *(capacity_figure(share, tried) for share, tried in capacities.values()),
        *(
            scale_out_figure(key, capacities[key], capacities[CONFIGURATIONS[0]])
            for key in capacities
            if key != CONFIGURATIONS[0]
        ),
        *drained,
    ]
    met = [label(key) for key, (share, tried) in capacities.items() if beyond_target(share, tried)]
    every_run = [result for runs in results.values() for result in runs] + searched
    runs_met = sum(meets_targets(submissions(result), records(result), officer_p95(result)) for result in every_run)
    figures.append(
        {
            "name": "issue target: 50 submissions/s and 2,000 records/s at once, officer p95 ≤ 300 ms",
            "value": len(met),
            "unit": f"of {len(capacities)} configurations searched",
            "target": "≥ 1",
            "ok": bool(met),
            "repeats": sum(len(tried) for _share, tried in capacities.values()),  # the runs it is judged on
            "note": (
                ("met by " + ", ".join(met))
                if met
                else "not met by any configuration searched on this shared 2-CPU machine"
            )
            + " (met: every run at the full load sustained what arrived, and a run of the capacity search above "
            "the target sustained it with at least 50 submissions/s and 2,000 records/s accepted and officer p95 ≤ "
            f"{TARGET_OFFICER_P95} ms — at the full load alone the offered rates are Poisson draws around the "
            "target, and half of them fall below it)"
            + f"; single runs meeting all three (the capacity searches' included): {runs_met} of {len(every_run)}",
        }
    )
    NOTES = NOTES_INTRODUCTION + "\n" + "\n".join(kinds_table(runs) for runs in results.values())
    return figures
