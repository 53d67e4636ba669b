"""The workflow table, exercised by every role from every state, and the races it must survive."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection, transaction
from django.http import Http404

from declarations.choices import SYSTEM, TRANSITIONS, Action, Status
from declarations.models import Declaration
from declarations.services import (
    declaration_amend,
    declaration_cancel,
    declaration_create_draft,
    declaration_decide,
    declaration_submit,
    declaration_system_transition,
)
from inspections.models import Inspection
from inspections.services import inspection_result_record
from portal.choices import Role
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.ledger.models import LedgerEntry
from portal.models import Notification
from tests import factories

ACTORS = {
    "own trader": lambda declaration: factories.UserFactory(role=Role.TRADER_STAFF, organisation=declaration.declarant),
    "other trader": lambda declaration: factories.trader(),
    "officer of the clearance port": lambda declaration: factories.customs_officer(ports=("CNSUD",)),
    "officer of the other port": lambda declaration: factories.customs_officer(ports=("CNSHK",)),
    "supervisor": lambda declaration: factories.customs_supervisor(ports=("CNSUD", "CNSHK")),
    "bank officer": lambda declaration: factories.bank_officer(),
    "logistics system": lambda declaration: factories.logistics_system(),
    "system": lambda declaration: None,
}
REFUSALS = (TransitionNotAllowed, PermissionDenied, Http404, DomainError)


def take(action: str, actor, declaration_id: int) -> Declaration:
    if actor is None:
        return declaration_system_transition(declaration_id=declaration_id, action=action, lane="green")
    if action == Action.SUBMIT:
        return declaration_submit(actor=actor, declaration_id=declaration_id)
    if action == Action.AMEND:
        return declaration_amend(actor=actor, declaration_id=declaration_id)
    if action == Action.CANCEL:
        return declaration_cancel(actor=actor, declaration_id=declaration_id, reason="changed plans")
    # Everything else goes to the one service people can call with an action name: it must refuse
    # the system's own actions (start review, depart, arrive) for every person.
    if action == Action.RECORD_INSPECTION:  # the result of the declaration's ordered inspection
        inspection, _created = Inspection.objects.get_or_create(
            declaration_id=declaration_id, result="", defaults={"ordered_by": actor}
        )
        return inspection_result_record(actor=actor, inspection_id=inspection.pk, result="passed")
    return declaration_decide(actor=actor, declaration_id=declaration_id, action=action, message="see remarks")


def expected_to_succeed(action: str, status: str, actor_name: str) -> bool:
    sources, _target, roles = TRANSITIONS[action]
    if status not in sources:
        return False
    return {
        "own trader": Role.TRADER_STAFF in roles,
        "officer of the clearance port": Role.CUSTOMS_OFFICER in roles,
        # One inspection for both ports: either port of the pair records its result.
        "officer of the other port": action == Action.RECORD_INSPECTION and Role.CUSTOMS_OFFICER in roles,
        "supervisor": Role.CUSTOMS_SUPERVISOR in roles,
        "system": SYSTEM in roles,
    }.get(actor_name, False)


class UndoTransition(Exception):
    pass


@pytest.mark.django_db
@pytest.mark.parametrize("actor_name", list(ACTORS))
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_transition_matrix(action, actor_name, draft):
    """``action`` by ``actor_name`` from every status: allowed exactly where the table says."""
    actor = ACTORS[actor_name](draft)
    for status in Status.values:
        Declaration.objects.filter(pk=draft.pk).update(status=status, reference=f"CNSUD-2026-{draft.pk:06d}")
        entries_before = LedgerEntry.objects.count()
        if expected_to_succeed(action, status, actor_name):
            with pytest.raises(UndoTransition), transaction.atomic():  # each status starts afresh
                result = take(action, actor, draft.pk)
                assert result.status == TRANSITIONS[action][1], status
                assert LedgerEntry.objects.count() == entries_before + 1
                entry = LedgerEntry.objects.order_by("-seq").first()
                assert entry.kind == f"declaration.{action}" and entry.subject == draft.ledger_subject
                assert result.history.first().status == result.status
                raise UndoTransition
        else:
            with pytest.raises(REFUSALS):
                take(action, actor, draft.pk)
            draft.refresh_from_db()
            assert draft.status == status
            assert LedgerEntry.objects.count() == entries_before


@pytest.mark.django_db
def test_submit_gives_a_reference_of_port_year_and_sequence(trader):
    first = declaration_create_draft(actor=trader, **factories.declaration_input())
    second = declaration_create_draft(actor=trader, **factories.declaration_input())
    a = declaration_submit(actor=trader, declaration_id=first.pk)
    b = declaration_submit(actor=trader, declaration_id=second.pk)
    year = a.submitted_at.astimezone().year
    assert a.reference == f"CNSUD-{year}-000001"
    assert b.reference == f"CNSUD-{year}-000002"


@pytest.mark.django_db
def test_amendment_round_trip_keeps_the_reference_and_bumps_the_version(trader, draft):
    officer = factories.customs_officer(ports=("CNSUD",))
    submitted = declaration_submit(actor=trader, declaration_id=draft.pk)
    asked = declaration_decide(
        actor=officer,
        declaration_id=draft.pk,
        action=Action.REQUEST_AMENDMENT,
        message="Net mass of line 2 looks wrong",
    )
    assert asked.officer_message == "Net mass of line 2 looks wrong"
    resubmitted = declaration_amend(actor=trader, declaration_id=draft.pk)
    assert resubmitted.status == Status.RESUBMITTED
    assert resubmitted.reference == submitted.reference
    assert resubmitted.version == 2


@pytest.mark.django_db
def test_rejecting_needs_a_reason(trader, draft):
    officer = factories.customs_officer(ports=("CNSUD",))
    declaration_submit(actor=trader, declaration_id=draft.pk)
    from portal.exceptions import DomainError

    with pytest.raises(DomainError) as excinfo:
        declaration_decide(actor=officer, declaration_id=draft.pk, action=Action.REJECT, message="  ")
    assert excinfo.value.field == "message"


@pytest.mark.django_db
def test_trader_colleagues_are_notified_of_decisions(trader, draft):
    colleague = factories.UserFactory(role=Role.TRADER_STAFF, organisation=trader.organisation)
    officer = factories.customs_officer(ports=("CNSUD",))
    declaration_submit(actor=trader, declaration_id=draft.pk)
    declaration_decide(actor=officer, declaration_id=draft.pk, action=Action.RELEASE)
    subjects = list(Notification.objects.filter(recipient=trader).values_list("subject", flat=True))
    assert any("Released" in subject for subject in subjects)
    assert Notification.objects.filter(recipient=colleague).count() == 2  # submitted, released
    assert not Notification.objects.filter(recipient=officer).exists()


def race(*calls):
    """Run the calls at the same moment on separate database connections; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 — the test inspects what each contender got
            results[index] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_end_with_one_winner(trader, draft):
    results = race(*[lambda: declaration_submit(actor=trader, declaration_id=draft.pk)] * 2)
    winners = [r for r in results if isinstance(r, Declaration)]
    losers = [r for r in results if isinstance(r, TransitionNotAllowed)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "Submitted" in losers[0].message
    assert LedgerEntry.objects.filter(subject=draft.ledger_subject).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_submit_racing_cancel_applies_exactly_one(trader, draft):
    results = race(
        lambda: declaration_submit(actor=trader, declaration_id=draft.pk),
        lambda: declaration_cancel(actor=trader, declaration_id=draft.pk),
    )
    draft.refresh_from_db()
    assert draft.status in (Status.SUBMITTED, Status.CANCELLED)
    # Cancelling a submitted declaration is allowed, so both may win in that order; never a half state.
    entries = LedgerEntry.objects.filter(subject=draft.ledger_subject).count()
    assert entries == sum(isinstance(r, Declaration) for r in results)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_deciding_at_once_end_with_one_decision(trader, draft):
    declaration_submit(actor=trader, declaration_id=draft.pk)
    shunde_a = factories.customs_officer(ports=("CNSUD",))
    shunde_b = factories.customs_officer(ports=("CNSUD",))
    results = race(
        lambda: declaration_decide(actor=shunde_a, declaration_id=draft.pk, action=Action.RELEASE),
        lambda: declaration_decide(
            actor=shunde_b, declaration_id=draft.pk, action=Action.REJECT, message="Undervalued"
        ),
    )
    winners = [r for r in results if isinstance(r, Declaration)]
    assert len(winners) == 1, results
    assert any(isinstance(r, TransitionNotAllowed) for r in results)
    draft.refresh_from_db()
    assert draft.status == winners[0].status


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_at_one_port_get_distinct_consecutive_references(trader):
    drafts = [declaration_create_draft(actor=trader, **factories.declaration_input()) for _ in range(6)]
    results = race(*[(lambda pk=d.pk: declaration_submit(actor=trader, declaration_id=pk)) for d in drafts])
    assert all(isinstance(r, Declaration) for r in results), results
    numbers = sorted(int(r.reference.rsplit("-", 1)[1]) for r in results)
    assert numbers == list(range(1, 7))
