"""The full audit behind ``manage.py verify_ledger``: one streaming pass over the log.

It trusts nothing stored except the payloads and the public key, and checks:

* sequence continuity — entries 0 … size−1 all present (a deleted entry is named);
* every leaf hash, recomputed from the stored payload, salt, kind, subject and time;
* every stored perfect node (levels ≥ 1), recomputed from the leaves as they stream by
  (the same :class:`~portal.ledger.merkle.Frontier` that appends use), and that there is
  no node beyond the tree;
* every checkpoint's root, taken from the running frontier when the pass reaches its
  size, and its Ed25519 signature and key id;
* the head row (size and frontier) against the recomputed tree.

Entries are read in keyset-paginated chunks with one query per chunk (plus one for the
nodes the chunk completes), so memory stays flat and a million entries take seconds.

Where the time goes, and what keeps it short (see docs/BENCHMARKS.md for the figures):

* leaf hashes are recomputed by :func:`~portal.ledger.documents.spliced_leaf_hash`, which
  writes the leaf document from slices of the stored canonical payload instead of parsing
  and re-encoding it; an entry whose spliced hash does not match is recomputed the defined
  way (:func:`~portal.ledger.documents.stored_leaf_hash`), which alone decides whether it
  is reported, so the verdict and the messages are those of the defined form;
* on PostgreSQL the rows are read with the hash as hex text, the public field list as text
  and the time already in its canonical text, and each level of a chunk's nodes as one
  concatenated value (bytea, JSON and timestamp conversions per value cost more in Python
  than the hashing).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from .canonical import datetime_text
from .documents import spliced_leaf_hash, stored_leaf_hash
from .merkle import Frontier
from .models import LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerNode
from .signing import public_key_info
from .verifier import VerificationError, verify_checkpoint_signature

MAX_PROBLEMS = 100


@dataclass
class AuditReport:
    entries: int = 0
    nodes: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, message: str, seq: int | None = None) -> None:
        if seq is not None and (self.first_bad_seq is None or seq < self.first_bad_seq):
            self.first_bad_seq = seq
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)


_PUBLIC_NAMES: dict[str, frozenset] = {}


def _public_names(text: str) -> frozenset:
    """The set of public field names; memoised, as almost every entry of a kind has the same list."""
    names = _PUBLIC_NAMES.get(text)
    if names is None:
        names = frozenset(json.loads(text))
        if len(_PUBLIC_NAMES) < 10_000:
            _PUBLIC_NAMES[text] = names
    return names


def _portable_entry_rows(first_seq: int, limit: int) -> list[tuple]:
    """Entries from ``first_seq`` on, as (seq, kind, subject, payload, public names, salt, leaf, created_at text).

    A plain cursor rather than the ORM: at a million rows Django's per-value converters cost
    more than the hashing. Values are normalised here for any database (SQLite included).
    """
    table = connection.ops.quote_name(LedgerEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seq, kind, subject, payload, public_fields, salt, leaf_hash, created_at FROM {table} "  # noqa: S608
            "WHERE seq >= %s ORDER BY seq LIMIT %s",
            [first_seq, limit],
        )
        rows = cursor.fetchall()
    result = []
    for seq, kind, subject, payload, public_fields, salt, leaf, created_at in rows:
        if isinstance(created_at, str):  # SQLite: UTC as text, or a naive UTC datetime
            created_at = dt.datetime.fromisoformat(created_at)
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=dt.UTC)
        if not isinstance(public_fields, str):
            public_fields = json.dumps(public_fields)
        result.append(
            (seq, kind, subject, payload, _public_names(public_fields), salt, bytes(leaf), datetime_text(created_at))
        )
    return result


def _portable_chunk_nodes(start: int, end: int) -> dict[tuple[int, int], bytes]:
    """Stored nodes completed by leaves [start, end): those whose last leaf lies in the chunk."""
    condition = Q()
    for level, low, high in _node_ranges(start, end):
        condition |= Q(level=level, index__gte=low, index__lte=high)
    if not condition:
        return {}
    return {
        (level, index): bytes(digest)
        for level, index, digest in LedgerNode.objects.filter(condition).values_list("level", "index", "hash")
    }


# On PostgreSQL the time is formatted by the server exactly as canonical.datetime_text does
# (UTC, "YYYY-MM-DDTHH:MM:SS", ".ffffff" only when the microseconds are not zero, "Z"); a test
# compares the two on random times.
_POSTGRES_ENTRY_SQL = """
    SELECT seq, kind, subject, payload, public_fields, salt, leaf_hash,
           to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')
           || CASE WHEN date_trunc('second', utc) = utc THEN '' ELSE to_char(utc, '.US') END || 'Z'
    FROM (
        SELECT seq, kind, subject, payload, public_fields::text AS public_fields, salt,
               encode(leaf_hash, 'hex') AS leaf_hash, created_at AT TIME ZONE 'UTC' AS utc
        FROM {table} WHERE seq >= %s ORDER BY seq LIMIT %s
    ) AS entry
"""


def _postgres_entry_rows(first_seq: int, limit: int) -> list[tuple]:
    """:func:`_portable_entry_rows` on PostgreSQL, with the conversions done by the server."""
    table = connection.ops.quote_name(LedgerEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_POSTGRES_ENTRY_SQL.format(table=table), [first_seq, limit])
        rows = cursor.fetchall()
    names, fromhex = _public_names, bytes.fromhex
    return [
        (seq, kind, subject, payload, names(public_fields), salt, fromhex(leaf), created_at)
        for seq, kind, subject, payload, public_fields, salt, leaf, created_at in rows
    ]


def _node_ranges(start: int, end: int) -> list[tuple[int, int, int]]:
    """(level, first index, last index) of the nodes completed by leaves [start, end)."""
    ranges = []
    for level in range(1, max(end.bit_length(), 1) + 1):
        width = 1 << level
        low = -(-(start + 1) // width) - 1  # ceil((start+1)/width) - 1
        high = end // width - 1
        if high >= low:
            ranges.append((level, low, high))
    return ranges


def _postgres_chunk_nodes(start: int, end: int) -> dict[tuple[int, int], bytes]:
    """:func:`_portable_chunk_nodes` on PostgreSQL.

    Each level's nodes come as one concatenated value (a row per node costs more to convert
    than the hashing); when a level is not the dense run of 32-byte hashes it should be (a
    node missing or of the wrong length), the chunk's nodes are read one row per node instead,
    so the audit names exactly what is wrong.
    """
    ranges = _node_ranges(start, end)
    if not ranges:
        return {}
    table = connection.ops.quote_name(LedgerNode._meta.db_table)
    condition = " OR ".join(['(level = %s AND "index" BETWEEN %s AND %s)'] * len(ranges))
    parameters = [value for triple in ranges for value in triple]
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT level, min("index"), max("index"), count(*), string_agg(hash, \'\'::bytea ORDER BY "index") '  # noqa: S608
            f"FROM {table} WHERE {condition} GROUP BY level",
            parameters,
        )
        levels = cursor.fetchall()
    nodes: dict[tuple[int, int], bytes] = {}
    for level, low, high, count, joined in levels:
        joined = bytes(joined)
        if high - low + 1 != count or len(joined) != 32 * count:
            break
        hashes = [joined[offset : offset + 32] for offset in range(0, len(joined), 32)]
        nodes.update(zip([(level, index) for index in range(low, high + 1)], hashes, strict=True))
    else:
        return nodes
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT level, "index", hash FROM {table} WHERE {condition}', parameters)  # noqa: S608
        return {(level, index): bytes(digest) for level, index, digest in cursor.fetchall()}


def _entry_rows(first_seq: int, limit: int) -> list[tuple]:
    if connection.vendor == "postgresql":
        return _postgres_entry_rows(first_seq, limit)
    return _portable_entry_rows(first_seq, limit)


def _chunk_nodes(start: int, end: int) -> dict[tuple[int, int], bytes]:
    if connection.vendor == "postgresql":
        return _postgres_chunk_nodes(start, end)
    return _portable_chunk_nodes(start, end)


def _check_leaf(report: AuditReport, row: tuple) -> None:
    """The defined recomputation of one leaf, for an entry whose spliced hash did not match."""
    seq, kind, subject, payload, public_names, salt, stored_leaf, created_at = row
    try:
        computed = stored_leaf_hash(seq, kind, subject, created_at, payload, public_names, salt)
    except (ValueError, TypeError) as error:
        report.problem(f"entry {seq}: the stored payload is not canonical JSON ({error})", seq=seq)
        return
    except AttributeError:  # valid JSON, but not an object
        report.problem(f"entry {seq}: the stored payload is not canonical JSON (not an object)", seq=seq)
        return
    if computed != stored_leaf:
        report.problem(f"entry {seq}: the stored payload does not hash to its leaf hash", seq=seq)


def ledger_audit(*, chunk_size: int = 20_000, progress: Callable[[int], None] | None = None) -> AuditReport:
    """Re-verify the whole ledger; the report names the first bad sequence number."""
    report = AuditReport()
    head = LedgerHead.objects.filter(pk=1).first()
    head_size = head.size if head else 0
    public_key = public_key_info()
    checkpoints = list(
        LedgerCheckpoint.objects.order_by("tree_size").values_list(
            "id", "tree_size", "root_hash", "origin", "key_id", "signature"
        )
    )
    pending = iter(checkpoints)
    next_checkpoint = next(pending, None)

    def check_checkpoints_at(size: int, frontier: Frontier) -> None:
        nonlocal next_checkpoint
        while next_checkpoint is not None and next_checkpoint[1] == size:
            checkpoint_id, tree_size, root, origin, signer, signature = next_checkpoint
            report.checkpoints += 1
            first_seq = max(tree_size - 1, 0)
            if bytes(root) != frontier.root():
                report.problem(
                    f"checkpoint {checkpoint_id} (size {tree_size}): its root hash is not the root "
                    f"of the first {tree_size} entries",
                    seq=first_seq,
                )
            if signer != public_key.key_id:
                report.problem(
                    f"checkpoint {checkpoint_id} (size {tree_size}): signed with key {signer}, "
                    f"not the portal's key {public_key.key_id}",
                    seq=first_seq,
                )
            else:
                try:
                    verify_checkpoint_signature(public_key.raw, origin, tree_size, bytes(root), bytes(signature))
                except VerificationError:
                    report.problem(
                        f"checkpoint {checkpoint_id} (size {tree_size}): the signature is not valid", seq=first_seq
                    )
            next_checkpoint = next(pending, None)

    frontier = Frontier()
    check_checkpoints_at(0, frontier)
    expected = 0
    while rows := _entry_rows(expected, chunk_size):
        # Past a gap the tree cannot be recomputed: only leaves are checked from there on.
        stored_nodes = _chunk_nodes(expected, rows[-1][0] + 1) if frontier is not None else {}
        for row in rows:
            seq, kind, subject, payload, public_names, salt, stored_leaf, created_at = row
            if seq != expected:
                report.problem(f"entry {expected} is missing (the next stored entry is {seq})", seq=expected)
                frontier = None
                expected = seq
            if spliced_leaf_hash(seq, kind, subject, created_at, payload, public_names, salt) != stored_leaf:
                _check_leaf(report, row)
            if frontier is not None:
                for level, index, digest in frontier.append(stored_leaf):
                    report.nodes += 1
                    stored = stored_nodes.get((level, index))
                    if stored != digest:
                        first, last = index << level, ((index + 1) << level) - 1
                        state = "is missing" if stored is None else "does not match the entries below it"
                        report.problem(f"node {level}/{index} over entries {first}–{last} {state}", seq=last)
                if next_checkpoint is not None and next_checkpoint[1] == frontier.size:
                    check_checkpoints_at(frontier.size, frontier)
            expected = seq + 1
            report.entries += 1
        if progress:
            progress(report.entries)

    if frontier is None:
        return report
    if frontier.size != head_size:
        report.problem(
            f"the ledger head says {head_size} entries but {frontier.size} are stored",
            seq=min(frontier.size, head_size),
        )
    elif head is not None and bytes(head.frontier) != frontier.packed():
        report.problem("the ledger head's right edge does not match the stored entries", seq=max(head_size - 1, 0))
    extra_nodes = (
        LedgerNode.objects.filter(
            Q(*[Q(level=level, index__gte=frontier.size >> level) for level in range(1, 64)], _connector=Q.OR)
        ).count()
        if frontier.size
        else LedgerNode.objects.count()
    )
    if extra_nodes:
        report.problem(f"{extra_nodes} stored nodes lie beyond the last entry", seq=frontier.size)
    if next_checkpoint is not None:
        report.problem(
            f"checkpoint {next_checkpoint[0]} is for {next_checkpoint[1]} entries but only {frontier.size} are stored",
            seq=frontier.size,
        )
    return report
