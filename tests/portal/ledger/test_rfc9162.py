"""RFC 9162 §2.1 on known vectors and properties, against a naive reference written from the RFC's definitions."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.ledger import merkle
from portal.ledger.verifier import (
    EMPTY_TREE_HASH,
    VerificationError,
    leaf_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

# The leaves of the reference tree used by Certificate Transparency implementations.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
CT_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
CT_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


# --- a naive reference, straight from RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 -------------------


def ref_split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = ref_split(len(leaves))
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m, leaves):
    n = len(leaves)
    if n == 1:
        return []
    k = ref_split(n)
    if m < k:
        return ref_path(m, leaves[:k]) + [ref_mth(leaves[k:])]
    return ref_path(m - k, leaves[k:]) + [ref_mth(leaves[:k])]


def ref_subproof(m, leaves, b):
    n = len(leaves)
    if m == n:
        return [] if b else [ref_mth(leaves)]
    k = ref_split(n)
    if m <= k:
        return ref_subproof(m, leaves[:k], b) + [ref_mth(leaves[k:])]
    return ref_subproof(m - k, leaves[k:], False) + [ref_mth(leaves[:k])]


def ref_proof(m, leaves):
    return ref_subproof(m, leaves, True)


def store_of(data):
    return merkle.MemoryNodeStore(leaf_hash(item) for item in data)


def hexes(hashes):
    return [h.hex() for h in hashes]


# --- known vectors ------------------------------------------------------------------------------


def test_empty_tree_hash_is_sha256_of_nothing():
    assert EMPTY_TREE_HASH.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.tree_head(0, merkle.MemoryNodeStore().fetch) == EMPTY_TREE_HASH
    assert merkle.Frontier().root() == EMPTY_TREE_HASH


@pytest.mark.parametrize("size", range(1, 9))
def test_reference_tree_roots(size):
    store = store_of(CT_LEAVES)
    assert merkle.tree_head(size, store.fetch).hex() == CT_ROOTS[size]
    assert ref_mth(CT_LEAVES[:size]).hex() == CT_ROOTS[size]
    assert store_of(CT_LEAVES[:size]).frontier.root().hex() == CT_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_reference_tree_inclusion_proofs(index, size, expected):
    store = store_of(CT_LEAVES)
    path, root, leaf = merkle.inclusion_proof(index, size, store.fetch)
    assert hexes(path) == expected
    assert hexes(ref_path(index, CT_LEAVES[:size])) == expected
    assert root.hex() == CT_ROOTS[size]
    assert leaf == leaf_hash(CT_LEAVES[index])
    verify_inclusion(index, size, leaf, path, root)


@pytest.mark.parametrize(("first", "second", "expected"), CT_CONSISTENCY)
def test_reference_tree_consistency_proofs(first, second, expected):
    store = store_of(CT_LEAVES)
    proof, first_root, second_root = merkle.consistency_proof(first, second, store.fetch)
    assert hexes(proof) == expected
    assert first_root.hex() == CT_ROOTS[first] and second_root.hex() == CT_ROOTS[second]
    verify_consistency(first, second, first_root, second_root, proof)


def test_every_proof_of_the_reference_tree_matches_the_naive_definitions():
    store = store_of(CT_LEAVES)
    for size in range(1, 9):
        for index in range(size):
            path, root, leaf = merkle.inclusion_proof(index, size, store.fetch)
            assert path == ref_path(index, CT_LEAVES[:size])
            verify_inclusion(index, size, leaf, path, root)
        for first in range(1, size + 1):
            proof, first_root, second_root = merkle.consistency_proof(first, size, store.fetch)
            assert proof == (ref_proof(first, CT_LEAVES[:size]) if first < size else [])
            verify_consistency(first, size, first_root, second_root, proof)


def test_a_proof_for_the_wrong_leaf_or_size_fails():
    store = store_of(CT_LEAVES)
    path, root, leaf = merkle.inclusion_proof(5, 8, store.fetch)
    with pytest.raises(VerificationError):
        verify_inclusion(4, 8, leaf, path, root)
    with pytest.raises(VerificationError):
        verify_inclusion(5, 6, leaf, path, root)
    with pytest.raises(VerificationError):
        verify_inclusion(5, 8, leaf_hash(b"other"), path, root)
    with pytest.raises(VerificationError):
        root_from_inclusion_proof(8, 8, leaf, path)
    with pytest.raises(VerificationError):
        verify_inclusion(5, 8, leaf, path + [root], root)
    with pytest.raises(VerificationError):
        verify_inclusion(5, 8, leaf, path[:-1], root)


def test_consistency_edge_cases():
    store = store_of(CT_LEAVES)
    root8 = merkle.tree_head(8, store.fetch)
    root7 = merkle.tree_head(7, store.fetch)
    verify_consistency(0, 8, EMPTY_TREE_HASH, root8, [])
    verify_consistency(8, 8, root8, root8, [])
    with pytest.raises(VerificationError):
        verify_consistency(8, 8, root7, root8, [])
    with pytest.raises(VerificationError):
        verify_consistency(7, 8, root7, root8, [])
    with pytest.raises(VerificationError):
        verify_consistency(8, 7, root8, root7, [])


# --- properties ---------------------------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=sizes)
def test_every_inclusion_proof_verifies_and_matches_the_definition(data, size):
    leaves = [f"leaf {i}".encode() for i in range(size)]
    store = store_of(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    tree_size = data.draw(st.integers(min_value=index + 1, max_value=size))
    path, root, leaf = merkle.inclusion_proof(index, tree_size, store.fetch)
    assert root == ref_mth(leaves[:tree_size])
    assert path == ref_path(index, leaves[:tree_size])
    verify_inclusion(index, tree_size, leaf, path, root)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=sizes)
def test_every_consistency_proof_verifies_and_matches_the_definition(data, size):
    leaves = [f"leaf {i}".encode() for i in range(size)]
    store = store_of(leaves)
    first = data.draw(st.integers(min_value=1, max_value=size))
    second = data.draw(st.integers(min_value=first, max_value=size))
    proof, first_root, second_root = merkle.consistency_proof(first, second, store.fetch)
    assert first_root == ref_mth(leaves[:first]) and second_root == ref_mth(leaves[:second])
    if first < second:
        assert proof == ref_proof(first, leaves[:second])
    verify_consistency(first, second, first_root, second_root, proof)


def flip(value: bytes, position: int, bit: int) -> bytes:
    changed = bytearray(value)
    changed[position] ^= 1 << bit
    return bytes(changed)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=st.integers(min_value=2, max_value=200))
def test_flipping_any_bit_of_an_inclusion_proof_makes_it_fail(data, size):
    store = store_of([f"leaf {i}".encode() for i in range(size)])
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    path, root, leaf = merkle.inclusion_proof(index, size, store.fetch)
    target = data.draw(st.sampled_from(["leaf", "root"] + (["path"] if path else [])))
    position, bit = data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7))
    if target == "leaf":
        leaf = flip(leaf, position, bit)
    elif target == "root":
        root = flip(root, position, bit)
    else:
        node = data.draw(st.integers(0, len(path) - 1))
        path = path[:node] + [flip(path[node], position, bit)] + path[node + 1 :]
    with pytest.raises(VerificationError):
        verify_inclusion(index, size, leaf, path, root)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=st.integers(min_value=2, max_value=200))
def test_flipping_any_bit_of_a_consistency_proof_makes_it_fail(data, size):
    store = store_of([f"leaf {i}".encode() for i in range(size)])
    first = data.draw(st.integers(min_value=1, max_value=size - 1))
    proof, first_root, second_root = merkle.consistency_proof(first, size, store.fetch)
    target = data.draw(st.sampled_from(["first_root", "second_root", "proof"]))
    position, bit = data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7))
    if target == "first_root":
        first_root = flip(first_root, position, bit)
    elif target == "second_root":
        second_root = flip(second_root, position, bit)
    else:
        node = data.draw(st.integers(0, len(proof) - 1))
        proof = proof[:node] + [flip(proof[node], position, bit)] + proof[node + 1 :]
    with pytest.raises(VerificationError):
        verify_consistency(first, size, first_root, second_root, proof)


def test_range_nodes_refuses_ranges_that_are_not_rfc_subtrees():
    assert merkle.range_nodes(8, 13) == [(2, 2), (0, 12)]
    with pytest.raises(ValueError, match="not an RFC 9162 subtree"):
        merkle.range_nodes(3, 5)
