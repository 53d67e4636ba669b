"""verify_ledger: a clean log passes; tampering is named by sequence number; concurrent appends stay gap-free."""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from portal.ledger.audit import ledger_audit
from portal.ledger.canonical import canonical_text, datetime_text
from portal.ledger.documents import entry_leaf_hash
from portal.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerNode
from portal.ledger.services import checkpoint_create, ledger_append
from portal.tasks import ledger_checkpoint

from .conftest import append_events


def run_verify_ledger(**options):
    out, err = StringIO(), StringIO()
    call_command("verify_ledger", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_a_clean_ledger_verifies(ledger_of):
    ledger_of(40)
    append_events(7, start=40)
    checkpoint_create()
    out, _err = run_verify_ledger(chunk_size=9)
    assert "The ledger verifies: 47 entries" in out
    assert "2 checkpoints" in out


def test_an_empty_ledger_verifies(db):
    out, _err = run_verify_ledger()
    assert "The ledger verifies: 0 entries" in out


def test_a_payload_altered_by_sql_is_named(ledger_of):
    ledger_of(30)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE portal_ledgerentry SET payload = %s WHERE seq = 17",
            ['{"number":17,"reference":"T-17","secret":"changed"}'],
        )
    with pytest.raises(CommandError, match="first bad sequence number 17") as failure:
        run_verify_ledger(chunk_size=8)
    assert failure.value.returncode == 1


def test_a_payload_and_leaf_altered_together_break_the_nodes_and_checkpoint(ledger_of):
    ledger_of(16)
    entry = LedgerEntry.objects.get(seq=9)
    forged = {"number": 9, "reference": "T-9", "secret": "forged"}
    leaf = entry_leaf_hash(
        seq=9,
        kind=entry.kind,
        subject=entry.subject,
        created_at=datetime_text(entry.created_at),
        payload=forged,
        public_fields=entry.public_fields,
        salt=entry.salt,
    )
    LedgerEntry.objects.filter(seq=9).update(payload=canonical_text(forged), leaf_hash=leaf)
    report = ledger_audit()
    assert not report.ok
    assert any("node 1/4 over entries 8–9" in problem for problem in report.problems)
    assert any("checkpoint" in problem and "root hash" in problem for problem in report.problems)


def test_a_deleted_entry_is_named(ledger_of):
    ledger_of(25)
    LedgerEntry.objects.filter(seq=12).delete()
    with pytest.raises(CommandError, match="first bad sequence number 12"):
        run_verify_ledger()
    report = ledger_audit()
    assert "entry 12 is missing" in report.problems[0]


def test_a_deleted_last_entry_is_named(ledger_of):
    ledger_of(10, checkpoint=False)
    LedgerEntry.objects.filter(seq=9).delete()
    report = ledger_audit()
    assert report.first_bad_seq == 9


def test_a_forged_checkpoint_signature_is_reported(ledger_of):
    ledger_of(5)
    checkpoint = LedgerCheckpoint.objects.get()
    signature = bytearray(bytes(checkpoint.signature))
    signature[0] ^= 1
    LedgerCheckpoint.objects.filter(pk=checkpoint.pk).update(signature=bytes(signature))
    report = ledger_audit()
    assert any("signature is not valid" in problem for problem in report.problems)


def test_a_replaced_node_and_a_stale_head_are_reported(ledger_of):
    ledger_of(12, checkpoint=False)
    LedgerNode.objects.filter(level=2, index=1).update(hash=b"\x00" * 32)
    report = ledger_audit()
    assert any("node 2/1 over entries 4–7 does not match" in problem for problem in report.problems)
    LedgerNode.objects.filter(level=2, index=1).delete()
    LedgerHead.objects.update(size=11)
    report = ledger_audit()
    assert any("node 2/1" in problem and "missing" in problem for problem in report.problems)
    assert any("head says 11" in problem for problem in report.problems)


def test_the_beat_task_checkpoints_only_when_the_log_grew(db):
    assert ledger_checkpoint() is None
    append_events(3)
    assert ledger_checkpoint() == 3
    assert ledger_checkpoint() == 3
    assert LedgerCheckpoint.objects.count() == 1


def test_the_checkpoint_command(db):
    append_events(2)
    out = StringIO()
    call_command("ledger_checkpoint", stdout=out)
    assert out.getvalue().startswith("Signed checkpoint 2 ")


@pytest.mark.postgres
def test_concurrent_appends_are_gap_free_and_in_commit_order(transactional_db):
    threads_count, per_thread = 6, 15
    errors = []
    commit_order = []
    order_lock = threading.Lock()
    barrier = threading.Barrier(threads_count)

    def worker(number: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    entry = ledger_append(
                        kind="test.concurrent",
                        subject=f"tests.Worker:{number}",
                        payload={"worker": number, "i": i},
                        public_fields=["worker"],
                    )
                    if i % 5 == 0:  # some transactions roll back and must free their number
                        transaction.set_rollback(True)
                        continue
                with order_lock:
                    commit_order.append(entry.seq)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    committed = threads_count * (per_thread - 3)
    seqs = list(LedgerEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(committed))
    assert sorted(commit_order) == seqs
    # Each number is taken under the head lock, held to commit: times follow the numbers.
    times = list(LedgerEntry.objects.order_by("seq").values_list("created_at", flat=True))
    assert times == sorted(times)
    assert LedgerHead.objects.get().size == committed
    checkpoint_create()
    report = ledger_audit()
    assert report.ok, report.problems
