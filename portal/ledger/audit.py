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
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from .canonical import datetime_text
from .documents import stored_leaf_hash
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


def _entry_rows(first_seq: int, limit: int) -> list[tuple]:
    """Entries from ``first_seq`` on, as (seq, kind, subject, payload, public names, salt, leaf, created_at text).

    A plain cursor rather than the ORM: at a million rows Django's per-value converters cost
    more than the hashing. Values are normalised here for both PostgreSQL and SQLite.
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


def _chunk_nodes(start: int, end: int, max_level: int) -> dict[tuple[int, int], bytes]:
    """Stored nodes completed by leaves [start, end): those whose last leaf lies in the chunk."""
    condition = Q()
    for level in range(1, max_level + 1):
        width = 1 << level
        low = -(-(start + 1) // width) - 1  # ceil((start+1)/width) - 1
        high = end // width - 1
        if high >= low:
            condition |= Q(level=level, index__gte=low, index__lte=high)
    if not condition:
        return {}
    return {
        (level, index): bytes(digest)
        for level, index, digest in LedgerNode.objects.filter(condition).values_list("level", "index", "hash")
    }


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
    while True:
        rows = _entry_rows(expected, chunk_size)
        if not rows:
            break
        chunk_start = expected
        chunk_end = rows[-1][0] + 1
        stored_nodes = _chunk_nodes(chunk_start, chunk_end, max(chunk_end.bit_length(), 1))
        gap_reported = False
        for seq, kind, subject, payload, public_fields, salt, stored_leaf, created_at in rows:
            if seq != expected:
                if not gap_reported:
                    report.problem(f"entry {expected} is missing (the next stored entry is {seq})", seq=expected)
                    gap_reported = True
                # Past a gap the tree cannot be recomputed: only leaves are checked from here on.
                frontier = None
                expected = seq
            stored_leaf = bytes(stored_leaf)
            try:
                computed = stored_leaf_hash(seq, kind, subject, created_at, payload, public_fields, salt)
            except (ValueError, TypeError) as error:
                report.problem(f"entry {seq}: the stored payload is not canonical JSON ({error})", seq=seq)
                computed = None
            if computed is not None and computed != stored_leaf:
                report.problem(f"entry {seq}: the stored payload does not hash to its leaf hash", seq=seq)
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
            break

    if frontier is None:
        # A gap: finish counting the leaves quickly without the tree.
        return _finish_after_gap(report, expected, chunk_size)
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


def _finish_after_gap(report: AuditReport, expected: int, chunk_size: int) -> AuditReport:
    while True:
        rows = _entry_rows(expected, chunk_size)
        if not rows:
            return report
        for seq, kind, subject, payload, public_fields, salt, stored_leaf, created_at in rows:
            if seq != expected:
                report.problem(f"entry {expected} is missing (the next stored entry is {seq})", seq=expected)
            try:
                computed = stored_leaf_hash(seq, kind, subject, created_at, payload, public_fields, salt)
            except (ValueError, TypeError):
                computed = None
            if computed != bytes(stored_leaf):
                report.problem(f"entry {seq}: the stored payload does not hash to its leaf hash", seq=seq)
            report.entries += 1
            expected = seq + 1
