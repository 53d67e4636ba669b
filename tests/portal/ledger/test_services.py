"""Appending, checkpoints and proofs from the database node store."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.ledger import merkle, selectors
from portal.ledger.canonical import CanonicalJSONError, canonical_text
from portal.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerNode
from portal.ledger.services import LedgerUsageError, NothingToCheckpoint, checkpoint_create, ledger_append
from portal.ledger.verifier import (
    EMPTY_TREE_HASH,
    entry_leaf_hash,
    leaf_hash,
    verify_checkpoint_signature,
    verify_consistency,
    verify_inclusion,
)

from .conftest import append_events
from .test_rfc9162 import ref_mth, ref_path, ref_proof


def stored_leaves():
    return [bytes(h) for h in LedgerEntry.objects.order_by("seq").values_list("leaf_hash", flat=True)]


def test_append_outside_a_transaction_is_refused(transactional_db):
    with pytest.raises(LedgerUsageError, match="inside the transaction"):
        ledger_append(kind="test.event", subject="tests.Event:1", payload={"a": 1})
    assert not LedgerEntry.objects.exists()


def test_a_rolled_back_transaction_leaves_no_entry_and_frees_its_number(db):
    append_events(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger_append(kind="test.event", subject="tests.Event:rollback", payload={"a": 1})
        raise RuntimeError("the change failed")
    assert not LedgerEntry.objects.filter(subject="tests.Event:rollback").exists()
    assert LedgerHead.objects.get().size == 2
    entry = append_events(1, start=7)[0]
    assert entry.seq == 2
    assert list(LedgerEntry.objects.values_list("seq", flat=True)) == [0, 1, 2]


def test_append_stores_canonical_payload_and_hides_private_fields(db):
    with transaction.atomic():
        entry = ledger_append(
            kind="declaration.released",
            subject="declarations.Declaration:42",
            payload={
                "reference": "SUD-2025-1",
                "value": Decimal("12.50"),
                "consignee": "深圳贸易有限公司",
                "at": dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.UTC),
            },
            public_fields=["reference", "at"],
        )
    entry.refresh_from_db()
    assert entry.payload == (
        '{"at":"2025-03-01T08:30:00Z","consignee":"深圳贸易有限公司","reference":"SUD-2025-1","value":"12.50"}'
    )
    document = selectors.stored_entry_document(entry)
    assert document["public"] == {"at": "2025-03-01T08:30:00Z", "reference": "SUD-2025-1"}
    assert set(document["private"]) == {"consignee", "value"}
    assert "深圳" not in json.dumps(document)
    assert entry_leaf_hash({**document, "private_hashes": document["private"]}) == bytes(entry.leaf_hash)


def test_append_refuses_floats_naive_times_and_unknown_public_fields(db):
    with transaction.atomic():
        with pytest.raises(CanonicalJSONError):
            ledger_append(kind="k", subject="s:1", payload={"value": 1.5})
        with pytest.raises(CanonicalJSONError):
            ledger_append(kind="k", subject="s:1", payload={"at": dt.datetime(2025, 1, 1)})
        with pytest.raises(LedgerUsageError, match="not in the payload"):
            ledger_append(kind="k", subject="s:1", payload={"a": 1}, public_fields=["b"])
    assert not LedgerEntry.objects.exists()


def test_nodes_and_head_match_the_definitions(db):
    append_events(13)
    leaves = stored_leaves()
    nodes = {(n.level, n.index): bytes(n.hash) for n in LedgerNode.objects.all()}
    expected_count = sum(13 >> level for level in range(1, 5))
    assert len(nodes) == expected_count
    for (level, index), digest in nodes.items():
        width = 1 << level
        assert digest == ref_mth_from_leaf_hashes(leaves[index * width : (index + 1) * width])
    head = LedgerHead.objects.get()
    assert head.size == 13
    assert merkle.Frontier.unpack(13, head.frontier).root() == ref_mth_from_leaf_hashes(leaves)


def ref_mth_from_leaf_hashes(hashes):
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return merkle.node_hash(ref_mth_from_leaf_hashes(hashes[:k]), ref_mth_from_leaf_hashes(hashes[k:]))


def test_checkpoint_signs_the_current_head_once(db, ledger_test_key):
    with pytest.raises(NothingToCheckpoint):
        checkpoint_create()
    append_events(5)
    checkpoint, created = checkpoint_create()
    assert created and checkpoint.tree_size == 5
    assert bytes(checkpoint.root_hash) == selectors.tree_head_get()[1]
    verify_checkpoint_signature(
        ledger_test_key.raw, checkpoint.origin, 5, bytes(checkpoint.root_hash), bytes(checkpoint.signature)
    )
    again, created_again = checkpoint_create()
    assert not created_again and again.pk == checkpoint.pk
    assert LedgerCheckpoint.objects.count() == 1


def test_empty_checkpoint_when_asked(db):
    checkpoint, created = checkpoint_create(only_if_grown=False)
    assert created and checkpoint.tree_size == 0 and bytes(checkpoint.root_hash) == EMPTY_TREE_HASH


def test_tree_heads_of_every_size_match_the_definition(db):
    append_events(20)
    leaves = stored_leaves()
    for size in range(0, 21):
        assert selectors.tree_head_get(tree_size=size) == (
            size,
            ref_mth_from_leaf_hashes(leaves[:size]) if size else EMPTY_TREE_HASH,
        )


def test_every_db_proof_of_a_small_log_verifies_and_matches_the_pure_store(db):
    append_events(17)
    leaves = stored_leaves()
    pure = merkle.MemoryNodeStore(leaves)
    for size in range(1, 18):
        for seq in range(size):
            proof = selectors.inclusion_proof_get(seq=seq, tree_size=size)
            path, root, _leaf = merkle.inclusion_proof(seq, size, pure.fetch)
            assert (proof.audit_path, proof.root_hash) == (path, root)
            verify_inclusion(seq, size, leaves[seq], proof.audit_path, proof.root_hash)
        for first in range(1, size + 1):
            proof = selectors.consistency_proof_get(first=first, second=size)
            verify_consistency(first, size, proof.first_root, proof.second_root, proof.consistency_path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_db_proofs_verify(db, data):
    if not LedgerHead.objects.filter(size__gte=150).exists():
        append_events(150 - selectors.ledger_size(), start=selectors.ledger_size())
    leaves = stored_leaves()
    size = data.draw(st.integers(min_value=1, max_value=150))
    seq = data.draw(st.integers(min_value=0, max_value=size - 1))
    first = data.draw(st.integers(min_value=1, max_value=size))
    proof = selectors.inclusion_proof_get(seq=seq, tree_size=size)
    assert proof.root_hash == ref_mth_from_leaf_hashes(leaves[:size])
    verify_inclusion(seq, size, leaves[seq], proof.audit_path, proof.root_hash)
    consistency = selectors.consistency_proof_get(first=first, second=size)
    verify_consistency(first, size, consistency.first_root, consistency.second_root, consistency.consistency_path)


def test_proofs_match_the_naive_definitions_on_payload_leaves():
    # The naive reference hashes raw leaf data; the DB store starts from leaf hashes: both agree.
    data = [f"entry {i}".encode() for i in range(11)]
    store = merkle.MemoryNodeStore(leaf_hash(d) for d in data)
    assert merkle.tree_head(11, store.fetch) == ref_mth(data)
    assert merkle.inclusion_proof(3, 11, store.fetch)[0] == ref_path(3, data)
    assert merkle.consistency_proof(5, 11, store.fetch)[0] == ref_proof(5, data)


def test_proof_query_count_is_constant(db, ledger_of, django_assert_max_num_queries):
    ledger_of(300)
    with django_assert_max_num_queries(4):
        selectors.inclusion_proof_get(seq=123, tree_size=300)
    with django_assert_max_num_queries(3):
        selectors.consistency_proof_get(first=77, second=300)


def test_latest_entry_for_a_subject(db):
    append_events(3)
    with transaction.atomic():
        ledger_append(kind="test.changed", subject="tests.Event:1", payload={"number": 1})
    assert selectors.entry_latest_for_subject(subject="tests.Event:1").kind == "test.changed"
    assert canonical_text({"b": 1, "a": [Decimal("1E+3")]}) == '{"a":["1000"],"b":1}'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(payload=st.dictionaries(st.text(max_size=8), json_values, max_size=6), data=st.data())
def test_the_audit_fast_leaf_hash_equals_the_defined_one(payload, data):
    from portal.ledger.documents import entry_leaf_hash as defined
    from portal.ledger.documents import stored_leaf_hash

    public = data.draw(st.sets(st.sampled_from(sorted(payload)))) if payload else set()
    arguments = {"seq": 7, "kind": "k", "subject": "s:1", "created_at": "2025-01-01T00:00:00Z", "salt": "ab" * 16}
    expected = defined(payload=payload, public_fields=public, **arguments)
    assert (
        stored_leaf_hash(7, "k", "s:1", "2025-01-01T00:00:00Z", canonical_text(payload), frozenset(public), "ab" * 16)
        == expected
    )
