"""verify_ledger's fast paths give the defined answers: spliced leaf hashes, the SQL time text and
node reading on PostgreSQL, and the portable reader, all catch the same tampering."""

import datetime as dt
import itertools
import json
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.ledger import audit
from portal.ledger.canonical import canonical_text, datetime_text
from portal.ledger.documents import entry_leaf_hash, spliced_leaf_hash, stored_leaf_hash
from portal.ledger.models import LedgerEntry, LedgerNode
from portal.ledger.services import ledger_append

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
payloads = st.dictionaries(st.text(max_size=8), json_values, max_size=6)
entry_texts = st.text(max_size=12)  # kind, subject, salt: any text, quotes and control characters included


def leaf_arguments(data, payload):
    return {
        "seq": data.draw(st.integers(min_value=0, max_value=2**63 - 1)),
        "kind": data.draw(entry_texts),
        "subject": data.draw(entry_texts),
        "created_at": data.draw(entry_texts),
        "salt": data.draw(entry_texts),
        "public_fields": data.draw(st.sets(st.sampled_from(sorted(payload)))) if payload else set(),
    }


def spliced(text, arguments):
    a = arguments
    return spliced_leaf_hash(
        a["seq"], a["kind"], a["subject"], a["created_at"], text, frozenset(a["public_fields"]), a["salt"]
    )


def defined_from_text(text, arguments):
    a = arguments
    return stored_leaf_hash(
        a["seq"], a["kind"], a["subject"], a["created_at"], text, frozenset(a["public_fields"]), a["salt"]
    )


@settings(max_examples=300, deadline=None)
@given(payload=payloads, data=st.data())
def test_the_spliced_leaf_hash_of_a_canonical_payload_is_the_defined_leaf_hash(payload, data):
    arguments = leaf_arguments(data, payload)
    assert spliced(canonical_text(payload), arguments) == entry_leaf_hash(payload=payload, **arguments)


def mutated(text: str, data) -> str:
    """The text with one character inserted, deleted or replaced."""
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    character = data.draw(st.sampled_from(list('{}[]",: 0a\\') + [chr(0xFC)]))
    edit = data.draw(st.sampled_from(["insert", "delete", "replace"]))
    if edit == "insert":
        return text[:position] + character + text[position:]
    if edit == "delete":
        return text[:position] + text[position + 1 :]
    return text[:position] + character + text[position + 1 :]


@settings(max_examples=400, deadline=None)
@given(payload=payloads, data=st.data())
def test_the_spliced_leaf_hash_never_accepts_what_the_defined_one_rejects(payload, data):
    # The audit trusts a spliced match and asks the defined recomputation otherwise, so a
    # match must imply the defined hash matches too: for other spellings of the payload
    # (white space, escapes, key order) and for altered texts alike.
    arguments = leaf_arguments(data, payload)
    leaf = entry_leaf_hash(payload=payload, **arguments)
    if data.draw(st.booleans()):
        text = json.dumps(
            payload,
            sort_keys=data.draw(st.booleans()),
            ensure_ascii=data.draw(st.booleans()),
            indent=data.draw(st.sampled_from([None, 0, 1])),
            separators=data.draw(st.sampled_from([(",", ":"), (", ", ": "), (",", ": ")])),
        )
    else:
        text = mutated(canonical_text(payload), data)
    try:
        defined = defined_from_text(text, arguments)
    except (ValueError, TypeError):
        defined = None
    if spliced(text, arguments) == leaf:
        assert defined == leaf


@pytest.mark.parametrize(
    "text",
    ["", "[]", '"x"', "{", "}", "{ }", '{"a":1 }', '{"a":1,}', '{"a":1}x', '{"a":1.5}', '{"a":1e3}', '{"a":NaN}',
     '{"a"}', '{"a":}', '{a:1}', '{"a":1"b":2}'],
)  # fmt: skip
def test_a_text_without_the_flat_canonical_shape_is_left_to_the_defined_path(text):
    assert spliced_leaf_hash(1, "k", "s", "t", text, frozenset(), "salt") is None


def test_the_spliced_leaf_hash_of_an_appended_entry_is_its_leaf_hash(db):
    with transaction.atomic():
        entry = ledger_append(
            kind="test.mixed",
            subject="tests.Record:1",
            payload={
                "amount": Decimal("12.50"),
                "at": dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.UTC),
                "lines": [{"mass": Decimal("1E+3"), "note": 'quote " and ü'}],
                "tab\tkey": None,
            },
            public_fields=["amount", "lines"],
        )
    entry.refresh_from_db()
    assert spliced_leaf_hash(
        entry.seq,
        entry.kind,
        entry.subject,
        datetime_text(entry.created_at),
        entry.payload,
        frozenset(entry.public_fields),
        entry.salt,
    ) == bytes(entry.leaf_hash)


# --- the PostgreSQL reader ----------------------------------------------------------------

_seqs = itertools.count(10**12)


_offsets = [dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)), dt.timezone(-dt.timedelta(hours=11))]
moments = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.sampled_from(_offsets)
) | st.sampled_from(
    [dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.UTC), dt.datetime(2025, 3, 1, 8, 30, 0, 1, tzinfo=dt.UTC)]
)


@pytest.mark.postgres
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moment=moments)
def test_postgres_writes_the_canonical_time_text(db, moment):
    seq = next(_seqs)
    LedgerEntry.objects.create(
        seq=seq, kind="k", subject="s", payload="{}", salt="00", leaf_hash=b"\x00" * 32, created_at=moment
    )
    (row,) = audit._postgres_entry_rows(seq, 1)
    assert row[7] == datetime_text(moment)
    assert row[6] == b"\x00" * 32
    assert row[4] == frozenset()


# --- tampering is caught by every path ---------------------------------------------------


@pytest.fixture(params=["postgres reader", "portable reader", "defined leaf hash only"])
def audit_path(request, monkeypatch):
    """Run the audit through one way of reading rows, or with the spliced leaf hash switched off."""
    if request.param == "postgres reader":
        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL")
    elif request.param == "portable reader":
        monkeypatch.setattr(audit, "_entry_rows", audit._portable_entry_rows)
        monkeypatch.setattr(audit, "_chunk_nodes", audit._portable_chunk_nodes)
    else:
        monkeypatch.setattr(audit, "spliced_leaf_hash", lambda *arguments: None)
    return request.param


def test_a_clean_ledger_verifies_without_the_defined_fallback(ledger_of, monkeypatch):
    ledger_of(20)

    def not_expected(*arguments):
        raise AssertionError("the spliced hash of an untouched entry should have matched")

    monkeypatch.setattr(audit, "stored_leaf_hash", not_expected)
    report = audit.ledger_audit(chunk_size=7)
    assert report.ok, report.problems
    assert report.entries == 20


def test_every_path_verifies_a_clean_ledger(ledger_of, audit_path):
    ledger_of(21)
    report = audit.ledger_audit(chunk_size=4)
    assert report.ok, report.problems
    assert (report.entries, report.nodes, report.checkpoints) == (21, 18, 1)  # n − popcount(n) perfect nodes


def test_every_path_names_a_payload_altered_by_sql(ledger_of, audit_path):
    ledger_of(30)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE portal_ledgerentry SET payload = %s WHERE seq = 17",
            ['{"number":17,"reference":"T-17","secret":"changed"}'],
        )
    report = audit.ledger_audit(chunk_size=8)
    assert report.first_bad_seq == 17
    assert report.problems == ["entry 17: the stored payload does not hash to its leaf hash"]


@pytest.mark.parametrize("altered", ['{"number":5,', "[5]", '"T-5"', '{"number":5.0}'])
def test_every_path_names_a_payload_that_is_no_longer_a_canonical_object(ledger_of, audit_path, altered):
    ledger_of(12)
    LedgerEntry.objects.filter(seq=5).update(payload=altered)
    report = audit.ledger_audit(chunk_size=8)
    assert report.first_bad_seq == 5
    assert report.problems[0].startswith("entry 5: the stored payload is not canonical JSON")


def test_every_path_accepts_a_payload_rewritten_with_the_same_meaning(ledger_of, audit_path):
    # The leaf commits to the payload's meaning, not to one spelling of it (as before).
    ledger_of(12)
    entry = LedgerEntry.objects.get(seq=4)
    LedgerEntry.objects.filter(seq=4).update(payload=json.dumps(json.loads(entry.payload), indent=2))
    report = audit.ledger_audit(chunk_size=8)
    assert report.ok, report.problems


def test_every_path_names_deleted_entries_and_the_first_of_them(ledger_of, audit_path):
    ledger_of(25)
    LedgerEntry.objects.filter(seq__in=[12, 14, 20]).delete()
    report = audit.ledger_audit(chunk_size=30)
    assert report.first_bad_seq == 12
    assert [problem for problem in report.problems if "missing" in problem] == [
        "entry 12 is missing (the next stored entry is 13)",
        "entry 14 is missing (the next stored entry is 15)",
        "entry 20 is missing (the next stored entry is 21)",
    ]
    assert report.entries == 22


def test_every_path_names_an_altered_payload_after_a_deleted_entry(ledger_of, audit_path):
    ledger_of(25)
    LedgerEntry.objects.filter(seq=3).delete()
    LedgerEntry.objects.filter(seq=19).update(payload='{"number":19,"reference":"T-19","secret":"changed"}')
    report = audit.ledger_audit(chunk_size=5)
    assert report.first_bad_seq == 3
    assert "entry 19: the stored payload does not hash to its leaf hash" in report.problems


def test_every_path_names_a_replaced_a_missing_and_a_short_node(ledger_of, audit_path):
    ledger_of(40, checkpoint=False)
    LedgerNode.objects.filter(level=1, index=3).update(hash=b"\x00" * 32)
    LedgerNode.objects.filter(level=2, index=5).delete()
    LedgerNode.objects.filter(level=3, index=2).update(hash=b"\x00" * 31)
    report = audit.ledger_audit(chunk_size=16)
    assert report.problems == [
        "node 1/3 over entries 6–7 does not match the entries below it",
        "node 2/5 over entries 20–23 is missing",
        "node 3/2 over entries 16–23 does not match the entries below it",
    ]
    assert report.first_bad_seq == 7
