"""Ledger figures: append overhead, proofs at a million entries, the audit rate."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import random
import secrets
import statistics
import time

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from portal.ledger import selectors
from portal.ledger.audit import ledger_audit
from portal.ledger.canonical import datetime_text
from portal.ledger.documents import entry_leaf_hash
from portal.ledger.merkle import Frontier
from portal.ledger.models import LedgerHead
from portal.ledger.services import checkpoint_create, ledger_append

MILLION = 1_000_000
PUBLIC_FIELDS = ["reference", "status"]
BASE_TIME = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

NOTES = """
How the ledger figures are taken (`tests/benchmarks/bench_ledger.py`):

- **append ratio**: `ledger_append` in its own `transaction.atomic()` (lock the head row,
  insert the entry, insert the completed subtree nodes, update the head) against a plain
  `INSERT` of the same entry row into a copy of the entry table, also in its own transaction;
  rounds alternate between the two and the ratio is of the medians, measured in the same run
  on a log that already holds a million entries.
- **proofs at 1,000,000 entries**: the million entries and their ~1,000,000 subtree nodes
  are bulk-loaded with `COPY` from hashes computed by the same code that appends; proofs are
  then asked for random entries against the signed checkpoint through the selectors (the
  API adds serialisation only); queries are counted with Django's query capture.
- **verify_ledger rate**: the full audit (`portal.ledger.audit.ledger_audit`, what
  `manage.py verify_ledger` runs) over the whole million: every leaf recomputed from its
  payload, every node and checkpoint checked.

Changes made because of these figures (before → after, same machine):

- append ratio: the first version wrote through the ORM (locking `SELECT … FOR UPDATE`,
  `INSERT` entry, `INSERT` nodes, `UPDATE` head: five round trips with the commit) and
  measured **3.31×** (100,000-entry log, 3 rounds × 100). Now PostgreSQL takes the lock with
  one plain query and writes entry, nodes and head in one statement (data-modifying CTE):
  **1.04×** in the run above.
- verify_ledger: the first version read rows through `values_list` and canonicalised with a
  recursive type check per value: **26,900 entries/s** (100,000 entries, idle machine).
  Now it reads plain cursor rows and hashes without the type walk (payloads are parsed with
  a loader that refuses fractions, so they are canonical by construction; a property test
  proves the fast leaf hash equals the defined one). The target is **not yet met**: the run
  above measured about 20,000 entries/s on a 2-CPU machine shared with other test runs
  (see the load average). Next step: hash leaves in a second process while the main one
  streams the tree, or compute the canonical time text in SQL.
"""


def _copy_escape(text: str) -> str:
    """Text for PostgreSQL's COPY text format."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def bench_payload(number: int) -> dict:
    return {
        "reference": f"BENCH-{number:07d}",
        "status": "released",
        "declarant": f"Trader {number % 997}",
        "value": f"{(number * 37) % 100000}.{number % 100:02d}",
        "containers": number % 4 + 1,
    }


def load_million(size: int = MILLION) -> float:
    """Replace the ledger with ``size`` generated entries and all their nodes, via COPY; seconds taken."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE portal_ledgerentry, portal_ledgernode, portal_ledgerhead, portal_ledgercheckpoint")
    frontier = Frontier()
    raw = connection.connection if connection.connection else None
    if raw is None:
        connection.ensure_connection()
        raw = connection.connection
    chunk = 100_000
    public_json = json.dumps(PUBLIC_FIELDS)
    with raw.cursor() as cursor:
        for chunk_start in range(0, size, chunk):
            entries, nodes = io.StringIO(), io.StringIO()
            for seq in range(chunk_start, min(size, chunk_start + chunk)):
                payload = bench_payload(seq)
                created_at = datetime_text(BASE_TIME + dt.timedelta(seconds=seq))
                salt = secrets.token_hex(16)
                leaf = entry_leaf_hash(
                    seq=seq,
                    kind="bench.event",
                    subject=f"bench.Record:{seq}",
                    created_at=created_at,
                    payload=payload,
                    public_fields=PUBLIC_FIELDS,
                    salt=salt,
                )
                payload_text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                entries.write(
                    f"{seq}\tbench.event\tbench.Record:{seq}\t{_copy_escape(payload_text)}\t"
                    f"{public_json}\t{salt}\t\\\\x{leaf.hex()}\t{created_at}\n"
                )
                for level, index, digest in frontier.append(leaf):
                    nodes.write(f"{level}\t{index}\t\\\\x{digest.hex()}\n")
            entries.seek(0)
            nodes.seek(0)
            cursor.copy_expert(
                "COPY portal_ledgerentry (seq, kind, subject, payload, public_fields, salt, "
                "leaf_hash, created_at) FROM STDIN",
                entries,
            )
            cursor.copy_expert('COPY portal_ledgernode (level, "index", hash) FROM STDIN', nodes)
        raw.commit()
    LedgerHead.objects.create(pk=1, size=frontier.size, frontier=frontier.packed())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE portal_ledgerentry")
        cursor.execute("ANALYZE portal_ledgernode")
    checkpoint_create()
    return time.perf_counter() - started


def proof_figures(size: int) -> list[dict]:
    rng = random.Random(9162)  # noqa: S311 - benchmark sampling
    samples = [rng.randrange(size) for _ in range(300)]
    query_limit = 2 * math.ceil(math.log2(size))
    times, queries = [], []
    for seq in samples:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            proof = selectors.inclusion_proof_get(seq=seq)
            times.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured.captured_queries))
        assert proof.tree_size == size
    consistency_times = []
    for _ in range(100):
        first = rng.randrange(1, size)
        started = time.perf_counter()
        selectors.consistency_proof_get(first=first, second=size)
        consistency_times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    return [
        {
            "name": f"inclusion proof at {size:,} entries, median",
            "value": round(median, 3),
            "unit": "ms",
            "target": "≤ 10 ms",
            "ok": median <= 10,
            "note": f"p95 {p95:.2f} ms over {len(times)} random entries",
        },
        {
            "name": f"inclusion proof at {size:,} entries, queries",
            "value": max(queries),
            "unit": "queries",
            "target": f"≤ 2·log2 n = {query_limit}",
            "ok": max(queries) <= query_limit,
            "note": "latest checkpoint, tree size, entry leaves, stored nodes",
        },
        {
            "name": f"consistency proof at {size:,} entries, median",
            "value": round(statistics.median(consistency_times), 3),
            "unit": "ms",
            "target": "—",
            "ok": None,
            "note": "random first size against the signed size",
        },
    ]


def audit_figure(size: int) -> dict:
    started = time.perf_counter()
    report = ledger_audit()
    elapsed = time.perf_counter() - started
    assert report.ok, report.problems[:3]
    rate = report.entries / elapsed
    return {
        "name": "verify_ledger rate",
        "value": round(rate),
        "unit": "entries/s",
        "target": "≥ 50,000/s",
        "ok": rate >= 50_000,
        "note": f"{report.entries:,} entries, {report.nodes:,} nodes in {elapsed:.1f} s",
    }


def append_figures(rounds: int = 7, per_round: int = 200) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain_entry")
        cursor.execute("CREATE TABLE bench_plain_entry (LIKE portal_ledgerentry INCLUDING ALL)")
    start_seq = selectors.ledger_size()
    plain_rows = []
    for number in range(rounds * per_round):
        payload = bench_payload(start_seq + number)
        plain_rows.append(
            (
                10**12 + number,
                "bench.event",
                f"bench.Record:{number}",
                json.dumps(payload, sort_keys=True, separators=(",", ":")),
                json.dumps(PUBLIC_FIELDS),
                secrets.token_hex(16),
                secrets.token_bytes(32),
                BASE_TIME,
            )
        )
    append_medians, plain_medians = [], []
    for round_number in range(rounds):
        timings = []
        for number in range(round_number * per_round, (round_number + 1) * per_round):
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO bench_plain_entry (seq, kind, subject, payload, public_fields, salt, "
                    "leaf_hash, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    plain_rows[number],
                )
            timings.append(time.perf_counter() - started)
        plain_medians.append(statistics.median(timings))
        timings = []
        for number in range(round_number * per_round, (round_number + 1) * per_round):
            started = time.perf_counter()
            with transaction.atomic():
                ledger_append(
                    kind="bench.event",
                    subject=f"bench.Record:{start_seq + number}",
                    payload=bench_payload(start_seq + number),
                    public_fields=PUBLIC_FIELDS,
                )
            timings.append(time.perf_counter() - started)
        append_medians.append(statistics.median(timings))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_plain_entry")
    append_ms = statistics.median(append_medians) * 1000
    plain_ms = statistics.median(plain_medians) * 1000
    ratio = append_ms / plain_ms
    return [
        {
            "name": "append cost / plain INSERT",
            "value": round(ratio, 2),
            "unit": "×",
            "target": "≤ 2×",
            "ok": ratio <= 2,
            "note": f"append {append_ms:.3f} ms vs INSERT {plain_ms:.3f} ms (medians of "
            f"{rounds} rounds × {per_round}, each in its own transaction)",
        },
    ]


def run() -> list[dict]:
    load_seconds = load_million()
    figures = [
        {
            "name": "bulk load of 1,000,000 entries and their nodes",
            "value": round(load_seconds, 1),
            "unit": "s",
            "target": "a few minutes",
            "ok": load_seconds < 300,
            "note": "COPY of precomputed hashes",
        }
    ]
    figures += proof_figures(MILLION)
    figures.append(audit_figure(MILLION))
    figures += append_figures()
    return figures
