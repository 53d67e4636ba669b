"""Reads of the ledger used by the API, the pages and the audit: heads, entries, proofs."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from portal.exceptions import DomainError

from . import merkle
from .canonical import canonical_text
from .documents import stored_entry_document
from .merkle import Coord, Frontier
from .models import LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerNode
from .registry import VerifiableRecord, find_record
from .signing import public_key_info
from .verifier import VerificationError, canonical_bytes, leaf_hash, verify_checkpoint_signature, verify_inclusion


class LedgerRangeError(DomainError):
    """A tree size or sequence number the ledger cannot answer for; ``field`` names the parameter."""

    code = "invalid"
    status_code = 400


class LedgerNotFound(DomainError):
    code = "not_found"
    status_code = 404


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    audit_path: list[bytes]
    root_hash: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    consistency_path: list[bytes]


def fetch_nodes(coords: set[Coord]) -> dict[Coord, bytes]:
    """Stored perfect nodes by (level, index): one query for the leaves, one for the rest."""
    found: dict[Coord, bytes] = {}
    leaves = [index for level, index in coords if level == 0]
    inner = [(level, index) for level, index in coords if level > 0]
    if leaves:
        for seq, digest in LedgerEntry.objects.filter(seq__in=leaves).values_list("seq", "leaf_hash"):
            found[(0, seq)] = bytes(digest)
    if inner:
        condition = Q()
        for level, index in inner:
            condition |= Q(level=level, index=index)
        for level, index, digest in LedgerNode.objects.filter(condition).values_list("level", "index", "hash"):
            found[(level, index)] = bytes(digest)
    return found


def ledger_size() -> int:
    return LedgerHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0


def ledger_frontier() -> Frontier:
    head = LedgerHead.objects.filter(pk=1).first()
    return Frontier.unpack(head.size, head.frontier) if head else Frontier()


def _check_size(value: int, *, field: str, current: int, minimum: int = 0) -> None:
    if value < minimum:
        message = _("Must be at least %(minimum)s; %(value)s was given.") % {"minimum": minimum, "value": value}
        raise LedgerRangeError(message, field=field)
    if value > current:
        raise LedgerRangeError(
            _("The ledger has only %(current)s entries; %(value)s was given.") % {"current": current, "value": value},
            field=field,
        )


def tree_head_get(*, tree_size: int | None = None) -> tuple[int, bytes]:
    """(size, root) of the tree of ``tree_size`` entries, by default the current tree."""
    frontier = ledger_frontier()
    if tree_size is None or tree_size == frontier.size:
        return frontier.size, frontier.root()
    _check_size(tree_size, field="tree_size", current=frontier.size)
    return tree_size, merkle.tree_head(tree_size, fetch_nodes)


def entry_get(*, seq: int) -> LedgerEntry:
    entry = LedgerEntry.objects.filter(seq=seq).first()
    if entry is None:
        raise LedgerNotFound(_("There is no ledger entry %(seq)s.") % {"seq": seq}, field="seq")
    return entry


def entry_latest_for_subject(*, subject: str) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(subject=subject).order_by("-seq").first()


def checkpoint_latest() -> LedgerCheckpoint | None:
    return LedgerCheckpoint.objects.order_by("-tree_size").first()


def checkpoint_list():
    return LedgerCheckpoint.objects.order_by("-tree_size")


def inclusion_proof_get(*, seq: int, tree_size: int | None = None) -> InclusionProof:
    """PATH(seq, D[tree_size]) with the leaf and the root; ``tree_size`` defaults to the latest checkpoint's."""
    if tree_size is None:
        latest = checkpoint_latest()
        if latest is None:
            raise LedgerRangeError(_("No checkpoint has been signed yet; give tree_size."), field="tree_size")
        tree_size = latest.tree_size
    if tree_size <= seq:
        raise LedgerRangeError(
            _("Entry %(seq)s is in trees of size %(size)s and larger; %(value)s was given.")
            % {"seq": seq, "size": seq + 1, "value": tree_size},
            field="tree_size",
        )
    _check_size(tree_size, field="tree_size", current=ledger_size())
    path, root, leaf = merkle.inclusion_proof(seq, tree_size, fetch_nodes)
    return InclusionProof(leaf_index=seq, tree_size=tree_size, leaf_hash=leaf, audit_path=path, root_hash=root)


def consistency_proof_get(*, first: int, second: int) -> ConsistencyProof:
    """PROOF(first, D[second]) with both roots (RFC 9162 §2.1.4.1)."""
    current = ledger_size()
    _check_size(second, field="second", current=current, minimum=1)
    _check_size(first, field="first", current=current, minimum=1)
    if first > second:
        raise LedgerRangeError(
            _("Must not be greater than second (%(second)s); %(first)s was given.")
            % {"second": second, "first": first},
            field="first",
        )
    path, first_root, second_root = merkle.consistency_proof(first, second, fetch_nodes)
    return ConsistencyProof(
        first=first, second=second, first_root=first_root, second_root=second_root, consistency_path=path
    )


@dataclass(frozen=True)
class RecordVerification:
    """What the public /verify/ page shows about one record."""

    reference: str
    title: str
    status: str  # "verified", "awaiting_checkpoint", "mismatch", "not_recorded"
    entry: LedgerEntry | None = None
    document: dict | None = None
    leaf_hash: bytes | None = None
    checkpoint: LedgerCheckpoint | None = None
    proof: InclusionProof | None = None
    problem: str = ""
    record: VerifiableRecord | None = None


def record_verification_get(*, reference: str, record: VerifiableRecord | None = None) -> RecordVerification | None:
    """Check a registered record's current state against its latest ledger entry and the latest checkpoint.

    ``record`` is the record ``reference`` names when the caller has already built it from rows it
    loaded (a page showing that record), so it is not looked up again. ``None`` when no registered
    record type knows ``reference``.
    """
    record = record or find_record(reference)
    if record is None:
        return None
    entry = entry_latest_for_subject(subject=record.subject)
    if entry is None:
        return RecordVerification(reference=reference, title=record.title, status="not_recorded", record=record)
    document = stored_entry_document(entry)
    stored_leaf = bytes(entry.leaf_hash)
    base = {
        "reference": reference,
        "title": record.title,
        "entry": entry,
        "document": document,
        "leaf_hash": stored_leaf,
        "record": record,
    }
    if leaf_hash(canonical_bytes(document)) != stored_leaf:
        return RecordVerification(**base, status="mismatch", problem="entry_altered")
    if canonical_text(record.payload) != entry.payload:
        return RecordVerification(**base, status="mismatch", problem="record_changed")
    checkpoint = checkpoint_latest()
    if checkpoint is None or checkpoint.tree_size <= entry.seq:
        return RecordVerification(**base, status="awaiting_checkpoint", checkpoint=checkpoint)
    proof = inclusion_proof_get(seq=entry.seq, tree_size=checkpoint.tree_size)
    key = public_key_info()
    try:
        verify_checkpoint_signature(
            key.raw, checkpoint.origin, checkpoint.tree_size, bytes(checkpoint.root_hash), bytes(checkpoint.signature)
        )
        verify_inclusion(entry.seq, checkpoint.tree_size, stored_leaf, proof.audit_path, bytes(checkpoint.root_hash))
    except VerificationError:
        return RecordVerification(**base, status="mismatch", checkpoint=checkpoint, proof=proof, problem="proof_failed")
    return RecordVerification(**base, status="verified", checkpoint=checkpoint, proof=proof)
