"""RFC 9162 §2.1 tree heads and proofs, generated from stored perfect subtrees.

Node store
    A *perfect node* ``(level, index)`` is the hash of the complete subtree over leaves
    ``[index·2^level, (index+1)·2^level)``. Level 0 is a leaf hash. The ledger stores
    every perfect node as soon as it is complete (level 0 in the entry table, levels ≥ 1 in
    the node table) and never changes it afterwards.

Why that is enough
    Every subtree the RFC's definitions (MTH, PATH, SUBPROOF) ever ask for is of the form
    ``D[s:e]`` where ``s`` is a multiple of the split size ``k`` (the largest power of two
    below ``e - s``). Such a range's MTH is the right fold of the perfect nodes of its binary
    decomposition — ``k``, then the largest power of two below the rest, … — i.e. at most
    log2 n stored nodes. So a proof first lists every ``(level, index)`` it needs (pure
    arithmetic), fetches them all at once (one or two queries), then hashes.

The functions here take a ``fetch`` callable: ``fetch(set of (level, index)) -> {(level,
index): hash}``. :class:`MemoryNodeStore` is the in-memory store used by tests and
benchmarks; the database store is in :mod:`portal.ledger.selectors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .verifier import EMPTY_TREE_HASH, largest_power_of_two_below, node_hash

Coord = tuple[int, int]
Fetch = Callable[[set[Coord]], dict[Coord, bytes]]


def range_nodes(start: int, end: int) -> list[Coord]:
    """The perfect nodes whose right fold is MTH(D[start:end]), left to right."""
    if end <= start:
        raise ValueError("a subtree needs at least one leaf")
    nodes = []
    while True:
        size = end - start
        if size & (size - 1) == 0:
            level = size.bit_length() - 1
            if start % size:
                raise ValueError(f"D[{start}:{end}] is not an RFC 9162 subtree")
            nodes.append((level, start >> level))
            return nodes
        k = largest_power_of_two_below(size)
        if start % k:
            raise ValueError(f"D[{start}:{end}] is not an RFC 9162 subtree")
        level = k.bit_length() - 1
        nodes.append((level, start >> level))
        start += k


def fold(hashes: list[bytes]) -> bytes:
    """Right fold: H(h1, H(h2, … H(h_{m-1}, h_m)))."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(leaf_index: int, tree_size: int) -> list[tuple[int, int]]:
    """The subtrees whose MTHs form PATH(m, D[n]) (RFC 9162 §2.1.3.1), leaf-side first."""
    if not 0 <= leaf_index < tree_size:
        raise ValueError(f"leaf {leaf_index} is not in a tree of size {tree_size}")
    ranges = []
    start, end, m = 0, tree_size, leaf_index
    while end - start > 1:
        k = largest_power_of_two_below(end - start)
        if m < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The subtrees whose MTHs form PROOF(m, D[n]) (RFC 9162 §2.1.4.1), deepest first.

    Empty when ``first`` is 0 or equals ``second`` (see :func:`verifier.verify_consistency`).
    """
    if not 0 <= first <= second:
        raise ValueError(f"sizes {first} and {second} are not in order")
    if first in (0, second):
        return []
    ranges = []
    start, end, m, complete = 0, second, first, True
    while True:
        if m == end - start:
            if not complete:
                ranges.append((start, end))
            break
        k = largest_power_of_two_below(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            complete = False
    ranges.reverse()
    return ranges


def _resolve(ranges: list[tuple[int, int]], fetch: Fetch, extra: Iterable[tuple[int, int]] = ()) -> list[bytes]:
    """MTH of each range (``ranges`` then ``extra``), with one call to ``fetch``."""
    all_ranges = list(ranges) + list(extra)
    decompositions = [range_nodes(start, end) for start, end in all_ranges]
    wanted = {coord for nodes in decompositions for coord in nodes}
    found = fetch(wanted) if wanted else {}
    missing = wanted - found.keys()
    if missing:
        raise LookupError(f"the node store lacks nodes {sorted(missing)[:5]}")
    return [fold([found[coord] for coord in nodes]) for nodes in decompositions]


def tree_head(tree_size: int, fetch: Fetch) -> bytes:
    """MTH(D[0:tree_size])."""
    if tree_size == 0:
        return EMPTY_TREE_HASH
    return _resolve([(0, tree_size)], fetch)[0]


def inclusion_proof(leaf_index: int, tree_size: int, fetch: Fetch) -> tuple[list[bytes], bytes, bytes]:
    """(audit path, root of the tree of ``tree_size``, leaf hash) for leaf ``leaf_index``."""
    ranges = inclusion_ranges(leaf_index, tree_size)
    hashes = _resolve(ranges, fetch, [(0, tree_size), (leaf_index, leaf_index + 1)])
    return hashes[:-2], hashes[-2], hashes[-1]


def consistency_proof(first: int, second: int, fetch: Fetch) -> tuple[list[bytes], bytes, bytes]:
    """(proof, root of ``first``, root of ``second``)."""
    ranges = consistency_ranges(first, second)
    heads = [(0, size) for size in (first, second) if size]
    hashes = _resolve(ranges, fetch, heads)
    proof = hashes[: len(ranges)]
    roots = hashes[len(ranges) :]
    first_root = roots[0] if first else EMPTY_TREE_HASH
    second_root = roots[-1] if second else EMPTY_TREE_HASH
    return proof, first_root, second_root


class Frontier:
    """The right edge of the tree: the perfect subtrees of the binary decomposition of ``size``.

    Appending a leaf completes the perfect nodes it closes (returned as ``(level, index,
    hash)``) without reading any older node; ``root()`` is the tree head.
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: list[bytes] | None = None):
        self.size = size
        self.hashes = list(hashes or [])
        if len(self.hashes) != size.bit_count():
            raise ValueError(f"a tree of size {size} has {size.bit_count()} frontier hashes, not {len(self.hashes)}")

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        completed = []
        carry, level, index = leaf, 0, self.size
        while index & 1:
            carry = node_hash(self.hashes.pop(), carry)
            level += 1
            index >>= 1
            completed.append((level, index, carry))
        self.hashes.append(carry)
        self.size += 1
        return completed

    def root(self) -> bytes:
        return fold(self.hashes) if self.hashes else EMPTY_TREE_HASH

    def packed(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def unpack(cls, size: int, packed: bytes) -> Frontier:
        packed = bytes(packed)
        return cls(size, [packed[i : i + 32] for i in range(0, len(packed), 32)])


class MemoryNodeStore:
    """Every perfect node of a list of leaves, in memory: the same interface as the database store."""

    def __init__(self, leaves: Iterable[bytes] = ()):
        self.nodes: dict[Coord, bytes] = {}
        self.frontier = Frontier()
        for leaf in leaves:
            self.append(leaf)

    def append(self, leaf: bytes) -> None:
        self.nodes[(0, self.frontier.size)] = leaf
        for level, index, digest in self.frontier.append(leaf):
            self.nodes[(level, index)] = digest

    @property
    def size(self) -> int:
        return self.frontier.size

    def fetch(self, coords: set[Coord]) -> dict[Coord, bytes]:
        return {coord: self.nodes[coord] for coord in coords if coord in self.nodes}
