"""A verification task takes the due backlog with its own declaration and verifies it in one batch;
the tasks of the declarations it took find nothing left, two claims never take the same declaration,
and a process sends one task for all it queues within a short window."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone

from declarations.models import PortRiskSettings, VerificationRequest, VerificationRun
from declarations.services import crosscheck, declaration_create_draft, declaration_submit
from declarations.services.crosscheck import (
    SWEEP_AFTER,
    declarations_verify_queued,
    verification_request,
)
from portal.models import Port
from tests import factories

pytestmark = pytest.mark.django_db

AN_HOUR_AGO = timedelta(hours=1)


@pytest.fixture
def quiet_port():
    return PortRiskSettings.objects.create(port=Port.objects.get(locode="CNSUD"), random_selection_percent=Decimal("0"))


@pytest.fixture
def sent(monkeypatch):
    """The declarations whose tasks were sent (instead of sending them)."""
    ids: list[int] = []
    monkeypatch.setattr(crosscheck, "_send_verification_tasks", ids.extend)
    return ids


def submitted(count: int) -> list[int]:
    trader = factories.trader()
    drafts = [declaration_create_draft(actor=trader, **factories.declaration_input()) for _ in range(count)]
    return [declaration_submit(actor=trader, declaration_id=draft.pk).pk for draft in drafts]


def due(ids: list[int], *, ago: timedelta = AN_HOUR_AGO) -> None:
    """Queue entries for the declarations, queued and requested ``ago`` (past the debounce delay), not started."""
    VerificationRequest.objects.filter(declaration_id__in=ids).delete()
    now = timezone.now()
    VerificationRequest.objects.bulk_create(
        [
            VerificationRequest(
                declaration_id=pk,
                requested_at=now - ago + timedelta(seconds=n),
                queued_at=now - ago + timedelta(seconds=n),
            )
            for n, pk in enumerate(ids)
        ]
    )


def runs_of(ids: list[int]) -> dict[int, int]:
    return dict(VerificationRun.objects.filter(declaration_id__in=ids).values_list("declaration_id", "runs"))


def test_a_task_verifies_the_due_backlog_with_its_own_declaration(quiet_port, sent):
    ids = submitted(5)
    due(ids)
    claimed = declarations_verify_queued(declaration_id=ids[-1])
    assert sorted(claimed) == sorted(ids)
    assert runs_of(ids) == dict.fromkeys(ids, 1)
    assert not VerificationRequest.objects.exists() and sent == []


def test_the_batch_is_bounded_and_takes_the_oldest_requests_first(quiet_port, sent, monkeypatch):
    monkeypatch.setattr(crosscheck, "_send_backlog_task", lambda: None)  # the rest waits for another task
    ids = submitted(6)
    due(ids)  # ids[0] was requested first
    assert declarations_verify_queued(declaration_id=ids[-1], batch_size=3) == [ids[-1], ids[0], ids[1]]
    assert set(runs_of(ids)) == {ids[-1], ids[0], ids[1]}
    assert set(VerificationRequest.objects.values_list("declaration_id", flat=True)) == set(ids[2:5])


def test_requests_within_the_debounce_delay_are_left_to_their_own_task(quiet_port, sent, settings):
    settings.VERIFICATION_DEBOUNCE_SECONDS = 60
    ids = submitted(3)
    due(ids[:2])
    due(ids[2:], ago=timedelta(seconds=10))  # evidence is still arriving for this one
    assert sorted(declarations_verify_queued(declaration_id=ids[0])) == ids[:2]
    assert VerificationRequest.objects.get().declaration_id == ids[2]
    assert declarations_verify_queued(declaration_id=ids[2]) == [ids[2]]  # its own task takes it at once


def test_the_tasks_of_claimed_declarations_find_nothing_left(quiet_port, sent, django_assert_max_num_queries):
    ids = submitted(4)
    due(ids)
    declarations_verify_queued(declaration_id=ids[0])
    for pk in ids[1:]:
        # the own entry is gone and nothing else is due: an UPDATE and an empty claim (+ its savepoint)
        with django_assert_max_num_queries(4):
            assert declarations_verify_queued(declaration_id=pk) == []
    assert runs_of(ids) == dict.fromkeys(ids, 1)


def test_a_task_leaves_its_declaration_to_the_run_that_has_it(quiet_port, sent):
    [pk] = submitted(1)
    due([pk])
    VerificationRequest.objects.filter(declaration_id=pk).update(started_at=timezone.now() - timedelta(seconds=30))
    assert declarations_verify_queued(declaration_id=pk) == []
    assert not VerificationRun.objects.filter(declaration_id=pk).exists()
    assert VerificationRequest.objects.filter(declaration_id=pk).exists()  # the run in progress finishes it


def test_a_task_whose_declaration_another_run_has_still_takes_the_due_backlog(quiet_port, sent):
    """Processes send one task for all they queue within a short window: a task must not drop those."""
    ids = submitted(3)
    due(ids)
    VerificationRequest.objects.filter(declaration_id=ids[0]).update(started_at=timezone.now() - timedelta(seconds=5))
    assert sorted(declarations_verify_queued(declaration_id=ids[0])) == sorted(ids[1:])
    assert set(runs_of(ids)) == set(ids[1:])


def test_a_task_without_a_declaration_takes_the_due_backlog(quiet_port, sent):
    ids = submitted(2)
    due(ids)
    assert sorted(declarations_verify_queued(declaration_id=None)) == sorted(ids)
    assert runs_of(ids) == dict.fromkeys(ids, 1)


def test_a_full_claim_sends_one_more_task_for_the_rest(quiet_port, sent, monkeypatch):
    backlog_tasks = []
    monkeypatch.setattr(crosscheck, "_send_backlog_task", lambda: backlog_tasks.append(1))
    ids = submitted(5)
    due(ids)
    assert len(declarations_verify_queued(declaration_id=ids[0], batch_size=3)) == 3
    assert backlog_tasks == [1]
    assert len(declarations_verify_queued(declaration_id=None, batch_size=3)) == 2  # not full: no more
    assert backlog_tasks == [1]
    assert runs_of(ids) == dict.fromkeys(ids, 1)


def test_entries_queued_in_the_window_after_a_task_was_sent_are_due_for_it(quiet_port, sent, settings):
    """A task runs a debounce delay after it was sent and takes what was requested up to the window
    after that: the entries for which its process sent no task of their own."""
    settings.VERIFICATION_DEBOUNCE_SECONDS = 60
    settings.VERIFICATION_TRIGGER_WINDOW_SECONDS = 10
    ids = submitted(3)
    due(ids[:1], ago=timedelta(seconds=61))  # the task's own, sent then
    due(ids[1:2], ago=timedelta(seconds=55))  # queued 6 s after it was sent: no task of its own
    due(ids[2:], ago=timedelta(seconds=45))  # 16 s after: its process sent a task of its own
    assert sorted(declarations_verify_queued(declaration_id=ids[0])) == sorted(ids[:2])
    assert VerificationRequest.objects.get().declaration_id == ids[2]


class SentTasks:
    """``declaration_verify.apply_async`` recorded instead of published, as with a real broker."""

    def __init__(self, monkeypatch):
        from contextlib import nullcontext

        from declarations.tasks import declaration_verify

        self.heads: list[int] = []
        monkeypatch.setitem(declaration_verify.app.conf, "task_always_eager", False)
        monkeypatch.setattr(declaration_verify.app, "producer_or_acquire", lambda: nullcontext(None))
        monkeypatch.setattr(declaration_verify, "apply_async", lambda args, **_options: self.heads.append(args[0]))


def test_a_process_sends_one_task_per_window_and_per_batch(monkeypatch, settings):
    settings.VERIFICATION_DEBOUNCE_SECONDS = 2
    settings.VERIFICATION_TRIGGER_WINDOW_SECONDS = 0.5
    settings.VERIFICATION_BATCH_SIZE = 200
    tasks = SentTasks(monkeypatch)
    clock = [1000.0]
    monkeypatch.setattr(crosscheck.time, "monotonic", lambda: clock[0])

    crosscheck._send_verification_tasks(list(range(1, 451)))
    assert tasks.heads == [1, 201, 401]  # one task per batch of 200
    clock[0] += 0.3
    crosscheck._send_verification_tasks([500])
    assert tasks.heads == [1, 201, 401]  # within the window: the tasks just sent will claim it
    clock[0] += 0.3
    crosscheck._send_verification_tasks([501])
    assert tasks.heads == [1, 201, 401, 501]


def test_the_window_is_at_most_half_the_debounce_delay(monkeypatch, settings):
    settings.VERIFICATION_TRIGGER_WINDOW_SECONDS = 0.5
    settings.VERIFICATION_DEBOUNCE_SECONDS = 0
    tasks = SentTasks(monkeypatch)
    crosscheck._send_verification_tasks([1])
    crosscheck._send_verification_tasks([2])
    assert tasks.heads == [1, 2]  # no debounce, no window: every request sends its task
    assert crosscheck.trigger_window() == 0
    settings.VERIFICATION_DEBOUNCE_SECONDS = 0.4
    assert crosscheck.trigger_window() == 0.2


def test_an_entry_whose_run_died_is_claimed_again_by_a_task_and_by_a_batch(quiet_port, sent):
    ids = submitted(2)
    due(ids)
    died = timezone.now() - SWEEP_AFTER - timedelta(seconds=1)
    VerificationRequest.objects.update(started_at=died)
    assert sorted(declarations_verify_queued(declaration_id=ids[0])) == sorted(ids)
    assert runs_of(ids) == dict.fromkeys(ids, 1)


def test_evidence_arriving_during_the_batch_hands_the_entry_back_with_one_more_task(
    quiet_port, sent, monkeypatch, django_capture_on_commit_callbacks
):
    ids = submitted(3)
    due(ids)
    verify_batch = crosscheck._verify_batch

    def with_evidence_meanwhile(batch):
        verification_request([ids[1]])  # a manifest for ids[1] is stored while the batch looks
        return verify_batch(batch)

    monkeypatch.setattr(crosscheck, "_verify_batch", with_evidence_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        declarations_verify_queued(declaration_id=ids[0])
    entry = VerificationRequest.objects.get()
    assert entry.declaration_id == ids[1] and entry.started_at is None
    assert sent == [ids[1]]
    monkeypatch.setattr(crosscheck, "_verify_batch", verify_batch)
    assert declarations_verify_queued(declaration_id=ids[1]) == [ids[1]]  # the new task claims it
    assert runs_of(ids) == {ids[0]: 1, ids[1]: 2, ids[2]: 1}


def test_a_declaration_that_cannot_be_verified_holds_up_no_other(quiet_port, sent, monkeypatch):
    ids = submitted(4)
    due(ids)
    poison = ids[2]
    findings_for = crosscheck.findings_for

    def failing_for_poison(bundle):
        if bundle.declaration.id == poison:
            raise ValueError("a rule cannot read this declaration")
        return findings_for(bundle)

    monkeypatch.setattr(crosscheck, "findings_for", failing_for_poison)
    with pytest.raises(ValueError, match="cannot read"):
        declarations_verify_queued(declaration_id=ids[0])
    assert runs_of(ids) == {pk: 1 for pk in ids if pk != poison}
    entry = VerificationRequest.objects.get()
    # Left started for the sweep, so the next batches do not take it and fail again meanwhile.
    assert entry.declaration_id == poison and entry.started_at is not None
    assert declarations_verify_queued(declaration_id=poison) == []


def test_a_transient_database_error_hands_the_batch_back_for_the_retry(quiet_port, sent, monkeypatch):
    ids = submitted(3)
    due(ids)
    verify_batch = crosscheck._verify_batch

    def deadlocked(batch):
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(crosscheck, "_verify_batch", deadlocked)
    with pytest.raises(OperationalError):
        declarations_verify_queued(declaration_id=ids[0])
    assert list(VerificationRequest.objects.values_list("started_at", flat=True)) == [None] * 3
    monkeypatch.setattr(crosscheck, "_verify_batch", verify_batch)
    assert sorted(declarations_verify_queued(declaration_id=ids[0])) == sorted(ids)  # the task's retry


def test_the_sweep_hands_back_the_entries_of_runs_that_died(quiet_port, sent):
    ids = submitted(2)
    due(ids, ago=timedelta(minutes=10))
    died = timezone.now() - SWEEP_AFTER - timedelta(seconds=1)
    VerificationRequest.objects.filter(declaration_id=ids[0]).update(started_at=died)
    running = timezone.now() - timedelta(seconds=5)
    VerificationRequest.objects.filter(declaration_id=ids[1]).update(started_at=running)
    crosscheck.verification_sweep()
    assert dict(VerificationRequest.objects.values_list("declaration_id", "started_at")) == {
        ids[0]: None,
        ids[1]: running,
    }


# --- claims on separate connections at once (PostgreSQL) ----------------------------------------------------------


def drafts(count: int) -> list[int]:
    """Declarations to queue: drafts are enough to claim (the batch then finds nothing verifiable)."""
    trader = factories.trader()
    return [declaration_create_draft(actor=trader, **factories.declaration_input()).pk for _ in range(count)]


def in_thread(call, results: dict, key):
    def run():
        try:
            results[key] = call()
        except Exception as error:  # noqa: BLE001 — the test inspects what each contender got
            results[key] = error
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_tasks_never_claim_the_same_declaration(sent):
    ids = drafts(60)
    for _round in range(3):
        due(ids)
        barrier = threading.Barrier(4)
        results: dict = {}

        def task(own, barrier=barrier):
            barrier.wait()
            return declarations_verify_queued(declaration_id=own, batch_size=25)

        threads = [in_thread(lambda own=own: task(own), results, own) for own in ids[:4]]
        for thread in threads:
            thread.join(timeout=60)
        claims = list(results.values())
        assert not [claim for claim in claims if isinstance(claim, Exception)], claims
        taken = [pk for claim in claims for pk in claim]
        assert len(taken) == len(set(taken)), "a declaration was claimed twice"
        assert set(ids[:4]) <= set(taken)  # each task's own declaration was taken, by it or by another


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_skips_what_another_uncommitted_claim_holds_without_waiting_for_it(sent):
    ids = drafts(30)
    due(ids)
    held, done = threading.Event(), threading.Event()
    results: dict = {}

    def first_claim():
        with transaction.atomic():  # its entries stay locked until the second claim is over
            claimed = crosscheck._requests_claim(ids[0], timezone.now(), 10)
            held.set()
            done.wait(timeout=10)
        return claimed

    thread = in_thread(first_claim, results, "first")
    assert held.wait(timeout=10)
    started = time.monotonic()
    second = crosscheck._requests_claim(ids[-1], timezone.now(), 10)
    waited = time.monotonic() - started
    done.set()
    thread.join(timeout=30)
    first = results["first"]
    assert len(first) == len(second) == 10
    assert not set(first) & set(second)
    assert waited < 5, f"the second claim waited {waited:.1f} s for the first"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_task_waits_for_a_request_of_its_declaration_being_committed_rather_than_skip_it(quiet_port, sent):
    """The request updates an entry that existed, so it sends no task: the running one must take it."""
    [pk] = submitted(1)
    due([pk])
    held, done = threading.Event(), threading.Event()
    results: dict = {}

    def evidence_being_stored():
        with transaction.atomic():
            verification_request([pk])
            held.set()
            done.wait(timeout=10)

    writer = in_thread(evidence_being_stored, results, "writer")
    assert held.wait(timeout=10)
    task = in_thread(lambda: declarations_verify_queued(declaration_id=pk), results, "task")
    time.sleep(0.5)
    assert task.is_alive(), "the task did not wait for the request's lock"
    done.set()
    writer.join(timeout=30)
    task.join(timeout=30)
    assert results["task"] == [pk]
    assert runs_of([pk]) == {pk: 1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_transactions_queueing_overlapping_declarations_in_opposite_orders_do_not_deadlock(sent):
    """Logistics calls queue the declarations their records concern, in no particular order."""
    ids = drafts(300)
    for _round in range(4):
        barrier = threading.Barrier(2)
        results: dict = {}

        def queue(order, barrier=barrier):
            with transaction.atomic():
                barrier.wait()
                verification_request(order)
                time.sleep(0.2)  # both hold their rows until commit
            return True

        threads = [in_thread(lambda o=o: queue(o), results, n) for n, o in enumerate([ids, ids[::-1]])]
        for thread in threads:
            thread.join(timeout=60)
        assert results == {0: True, 1: True}, results


def test_a_declaration_whose_evidence_keeps_coming_is_still_claimed(quiet_port, sent, settings):
    """Evidence moves ``requested_at`` forward; how long the entry has waited (``queued_at``) decides."""
    settings.VERIFICATION_DEBOUNCE_SECONDS = 2
    ids = submitted(2)
    due(ids)
    VerificationRequest.objects.filter(declaration_id=ids[1]).update(requested_at=timezone.now())  # a reading just now
    assert sorted(declarations_verify_queued(declaration_id=ids[0])) == sorted(ids)


def test_evidence_for_a_waiting_entry_asks_for_a_task_and_for_a_running_one_does_not(quiet_port, sent):
    """A claim may have skipped a waiting entry while the evidence's transaction held it (SKIP LOCKED)."""
    ids = submitted(2)
    due(ids)
    VerificationRequest.objects.filter(declaration_id=ids[1]).update(started_at=timezone.now())
    queued_before = dict(VerificationRequest.objects.values_list("declaration_id", "queued_at"))
    assert crosscheck._requests_upsert(ids, timezone.now()) == [ids[0]]
    # evidence moves requested_at, not queued_at
    assert dict(VerificationRequest.objects.values_list("declaration_id", "queued_at")) == queued_before
