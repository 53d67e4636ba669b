"""Writes to the ledger: appending an event and signing a checkpoint."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping

from django.db import connection, transaction
from django.utils import timezone

from portal.exceptions import DomainError

from .canonical import canonical_bytes, datetime_text, to_json_value
from .documents import entry_leaf_hash
from .merkle import Frontier
from .models import LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerNode
from .signing import LEDGER_ORIGIN, sign_tree_head


class LedgerUsageError(RuntimeError):
    """The ledger was called the wrong way (outside a transaction, with an unknown public field)."""


def _locked_head() -> LedgerHead:
    # Row lock held until the caller's transaction ends: appends are serialised, so sequence
    # numbers follow commit order, and a rollback releases the number it had taken.
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        LedgerHead.objects.bulk_create([LedgerHead(pk=1, size=0, frontier=b"")], ignore_conflicts=True)
        head = LedgerHead.objects.select_for_update().get(pk=1)
    return head


def ledger_append(*, kind: str, subject: str, payload: Mapping, public_fields: Iterable[str] = ()) -> LedgerEntry:
    """Record an event in the ledger, in the caller's transaction.

    Requires an open ``transaction.atomic()`` block — the one that makes the change the
    event describes — so that the entry exists exactly when the change committed.
    ``payload`` is made canonical (Decimals, aware datetimes; floats and naive datetimes
    are refused); ``public_fields`` names the payload fields anyone may read, the others
    are published only as salted hashes. Locks the ledger head until commit, writes the
    entry, the perfect subtree nodes it completes and the new head. Schedules nothing.
    """
    if not connection.in_atomic_block:
        raise LedgerUsageError("ledger_append must be called inside the transaction.atomic() of the change")
    if not kind or not subject:
        raise LedgerUsageError("a ledger event needs a kind and a subject")
    if not isinstance(payload, Mapping):
        raise LedgerUsageError("the payload must be a mapping of field names to values")
    native = to_json_value(payload)
    public = sorted(set(public_fields))
    unknown = [name for name in public if name not in native]
    if unknown:
        raise LedgerUsageError(f"public fields {unknown} are not in the payload")
    payload_text = canonical_bytes(native).decode("utf-8")

    if connection.vendor == "postgresql":
        return _append_postgresql(kind=kind, subject=subject, native=native, payload_text=payload_text, public=public)
    head = _locked_head()
    entry, frontier, completed = _entry_extending(
        head.size,
        head.frontier,
        kind=kind,
        subject=subject,
        native=native,
        payload_text=payload_text,
        public=public,
        salt=secrets.token_hex(16),
    )
    entry.save(force_insert=True)
    if completed:
        LedgerNode.objects.bulk_create(
            [LedgerNode(level=level, index=index, hash=digest) for level, index, digest in completed]
        )
    LedgerHead.objects.filter(pk=1).update(size=frontier.size, frontier=frontier.packed())
    return entry


def _entry_extending(
    size: int, packed: bytes, *, kind: str, subject: str, native, payload_text: str, public: list[str], salt: str
) -> tuple[LedgerEntry, Frontier, list]:
    """The entry that extends a tree of ``size`` leaves with right edge ``packed``, that tree's new
    frontier and the perfect subtrees the new leaf completes (not saved)."""
    # Taken after the head it extends was read or written, so times follow sequence numbers.
    created_at = timezone.now()
    leaf = entry_leaf_hash(
        seq=size,
        kind=kind,
        subject=subject,
        created_at=datetime_text(created_at),
        payload=native,
        public_fields=public,
        salt=salt,
    )
    frontier = Frontier.unpack(size, packed)
    completed = frontier.append(leaf)
    entry = LedgerEntry(
        seq=size,
        kind=kind,
        subject=subject,
        payload=payload_text,
        public_fields=public,
        salt=salt,
        leaf_hash=leaf,
        created_at=created_at,
    )
    return entry, frontier, completed


# This process's belief about the head after its last append, per database. An append first writes
# conditioned on that belief — one round trip when it holds; when another process appended meanwhile
# (or the believed append rolled back), the condition fails, nothing is written, and it locks and reads
# the head and writes again. The condition covers the size AND the frontier, so a different tree of the same size
# can never be extended with the wrong right edge.
_head_belief: dict[tuple[str, str], tuple[int, bytes]] = {}


def _append_postgresql(*, kind: str, subject: str, native, payload_text: str, public: list[str]) -> LedgerEntry:
    key = (connection.alias, str(connection.settings_dict["NAME"]))
    belief = _head_belief.pop(key, None)
    salt = secrets.token_hex(16)
    while True:
        size, packed = belief if belief is not None else _head_postgresql_locked()
        entry, frontier, completed = _entry_extending(
            size, packed, kind=kind, subject=subject, native=native, payload_text=payload_text, public=public, salt=salt
        )
        if _write_postgresql(entry, completed, frontier, expected_size=size, expected_frontier=packed):
            break
        belief = None  # someone else moved the head: lock it, read it, and write again (cannot miss now)
    _head_belief[key] = (frontier.size, frontier.packed())
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


def _head_postgresql_locked() -> tuple[int, bytes]:
    """The head, locked until commit: the write that follows is then certain to match it (two round trips)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT size, frontier FROM portal_ledgerhead WHERE id = 1 FOR UPDATE")
        row = cursor.fetchone()
    if row is None:
        head = _locked_head()
        return head.size, bytes(head.frontier)
    return row[0], bytes(row[1])


# One round trip for the entry, the nodes it completes and the new head (the benchmark's
# append/INSERT ratio depends on it); the ORM path below does the same in three statements.
APPEND_SQL = """
WITH head AS (
    -- The row lock taken here is held until commit: appends are serialised in commit order, and
    -- a rollback frees the sequence number. The entry and nodes are written only if the head
    -- was what this append was computed from.
    UPDATE portal_ledgerhead SET size = %s, frontier = %s
    WHERE id = 1 AND size = %s AND frontier = %s
    RETURNING 1
), new_entry AS (
    INSERT INTO portal_ledgerentry (seq, kind, subject, payload, public_fields, salt, leaf_hash, created_at)
    SELECT %s, %s, %s, %s, %s::jsonb, %s, %s, %s FROM head
), new_nodes AS (
    INSERT INTO portal_ledgernode (level, "index", hash)
    SELECT nodes.* FROM unnest(%s::smallint[], %s::bigint[], %s::bytea[]) AS nodes, head
)
SELECT count(*) FROM head
"""


def _write_postgresql(
    entry: LedgerEntry,
    completed: list[tuple[int, int, bytes]],
    frontier: Frontier,
    *,
    expected_size: int,
    expected_frontier: bytes,
) -> bool:
    """One round trip: the head, the entry and the nodes it completes — or nothing, if the head moved."""
    with connection.cursor() as cursor:
        cursor.execute(
            APPEND_SQL,
            [
                frontier.size,
                frontier.packed(),
                expected_size,
                expected_frontier,
                entry.seq,
                entry.kind,
                entry.subject,
                entry.payload,
                json.dumps(entry.public_fields),
                entry.salt,
                entry.leaf_hash,
                entry.created_at,
                [level for level, _index, _digest in completed],
                [index for _level, index, _digest in completed],
                [digest for _level, _index, digest in completed],
            ],
        )
        return cursor.fetchone()[0] == 1


class NothingToCheckpoint(DomainError):
    code = "nothing_to_checkpoint"
    status_code = 409


@transaction.atomic
def checkpoint_create(*, only_if_grown: bool = True) -> tuple[LedgerCheckpoint, bool]:
    """Sign the current tree head with the portal's Ed25519 key.

    Returns ``(checkpoint, created)``. When the tree has not grown since the latest
    checkpoint, returns that one with ``created`` False (and for an empty log with
    ``only_if_grown`` raises :class:`NothingToCheckpoint`). Safe to run twice at once:
    ``tree_size`` is unique and the loser returns the winner's checkpoint.
    """
    # No lock: the head is one row, so this read is a consistent (size, frontier) snapshot.
    head = LedgerHead.objects.filter(pk=1).first()
    frontier = Frontier.unpack(head.size, head.frontier) if head else Frontier()
    latest = LedgerCheckpoint.objects.order_by("-tree_size").first()
    if latest is not None and latest.tree_size >= frontier.size:
        return latest, False
    if latest is None and frontier.size == 0 and only_if_grown:
        raise NothingToCheckpoint("The ledger is empty; there is nothing to sign yet.")
    root = frontier.root()
    signature, key_id = sign_tree_head(frontier.size, root)
    checkpoint = LedgerCheckpoint(
        tree_size=frontier.size,
        root_hash=root,
        origin=LEDGER_ORIGIN,
        key_id=key_id,
        signature=signature,
        created_at=timezone.now(),
    )
    created = LedgerCheckpoint.objects.bulk_create([checkpoint], ignore_conflicts=True)
    stored = LedgerCheckpoint.objects.get(tree_size=frontier.size)
    return stored, bool(created) and stored.created_at == checkpoint.created_at
