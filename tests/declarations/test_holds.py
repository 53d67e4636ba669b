"""Holds from the other port of an integrated pair: who may place and lift them, and release blocked meanwhile."""

import pytest
from django.db import connection

from declarations.choices import Action, Status
from declarations.models import Declaration, Hold, PortRiskSettings
from declarations.services import declaration_create_draft, declaration_decide, declaration_submit
from declarations.services.crosscheck import declaration_verify
from declarations.services.review import hold_lift, hold_place, hold_port_for
from declarations.services.workflow import clearance_port, declaration_system_transition
from portal.choices import Role
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.ledger.models import LedgerEntry
from portal.ledger.selectors import record_verification_get
from portal.models import Notification, Port
from tests import factories
from tests.declarations.test_workflow import race

ACTORS = {
    "own trader": lambda d: factories.UserFactory(role=Role.TRADER_STAFF, organisation=d.declarant),
    "other trader": lambda d: factories.trader(),
    "officer of the clearance port": lambda d: factories.customs_officer(ports=("CNSUD",)),
    "officer of the other port": lambda d: factories.customs_officer(ports=("CNSHK",)),
    "officer of an unrelated port": lambda d: factories.customs_officer(ports=("CNNSA",)),
    "supervisor of both ports": lambda d: factories.customs_supervisor(ports=("CNSUD", "CNSHK")),
    "supervisor of the other port": lambda d: factories.customs_supervisor(ports=("CNSHK",)),
    "bank officer": lambda d: factories.bank_officer(),
    "logistics system": lambda d: factories.logistics_system(),
}
MAY_PLACE = {"officer of the other port", "supervisor of the other port"}
# Lifting: customs staff serving the port that placed it (CNSHK), including a supervisor serving both.
MAY_LIFT = {"officer of the other port", "supervisor of the other port", "supervisor of both ports"}


@pytest.fixture
def submitted(trader, draft):
    return declaration_submit(actor=trader, declaration_id=draft.pk)


@pytest.fixture
def other_officer():
    return factories.customs_officer(ports=("CNSHK",))


@pytest.fixture
def clearance_officer():
    return factories.customs_officer(ports=("CNSUD",))


@pytest.mark.django_db
def test_the_other_port_of_an_export_is_the_transfer_port(submitted):
    assert clearance_port(submitted).locode == "CNSUD"
    assert hold_port_for(submitted).locode == "CNSHK"


@pytest.mark.django_db
def test_a_standard_declaration_has_no_other_port_to_hold_it(trader, other_officer):
    draft = declaration_create_draft(
        actor=trader, **factories.declaration_input(procedure="standard", origin_port="CNSHK", transfer_port=None)
    )
    declaration = declaration_submit(actor=trader, declaration_id=draft.pk)
    assert hold_port_for(declaration) is None
    with pytest.raises(TransitionNotAllowed):
        hold_place(actor=other_officer, declaration_id=declaration.pk, reason="Suspicious")


@pytest.mark.django_db
@pytest.mark.parametrize("actor_name", list(ACTORS))
def test_who_may_place_a_hold(actor_name, submitted):
    actor = ACTORS[actor_name](submitted)
    if actor_name in MAY_PLACE:
        hold = hold_place(actor=actor, declaration_id=submitted.pk, reason="X-ray image unclear at Shekou")
        assert hold.port.locode == "CNSHK" and hold.active and hold.placed_by == actor
    else:
        with pytest.raises(TransitionNotAllowed):
            hold_place(actor=actor, declaration_id=submitted.pk, reason="X-ray image unclear at Shekou")
        assert not Hold.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("actor_name", list(ACTORS))
def test_who_may_lift_a_hold(actor_name, submitted, other_officer):
    hold = hold_place(actor=other_officer, declaration_id=submitted.pk, reason="Check seal")
    actor = ACTORS[actor_name](submitted)
    if actor_name in MAY_LIFT:
        lifted = hold_lift(actor=actor, hold_id=hold.pk, note="Seal checked, fine")
        assert lifted.lifted_at is not None and lifted.lifted_by == actor and lifted.lift_note == "Seal checked, fine"
    else:
        with pytest.raises(TransitionNotAllowed):
            hold_lift(actor=actor, hold_id=hold.pk, note="")
        hold.refresh_from_db()
        assert hold.active


@pytest.mark.django_db
def test_placing_a_hold_needs_a_reason(submitted, other_officer):
    with pytest.raises(DomainError) as excinfo:
        hold_place(actor=other_officer, declaration_id=submitted.pk, reason="   ")
    assert excinfo.value.field == "reason" and not isinstance(excinfo.value, TransitionNotAllowed)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.RELEASED, Status.REJECTED, Status.CANCELLED, Status.DRAFT, Status.DEPARTED])
def test_a_declaration_past_release_or_not_submitted_cannot_be_held(status, submitted, other_officer):
    Declaration.objects.filter(pk=submitted.pk).update(status=status)
    with pytest.raises(TransitionNotAllowed):
        hold_place(actor=other_officer, declaration_id=submitted.pk, reason="Late")


@pytest.mark.django_db
def test_one_active_hold_per_port_and_a_new_one_after_lifting(submitted, other_officer):
    colleague = factories.customs_officer(ports=("CNSHK",))
    first = hold_place(actor=other_officer, declaration_id=submitted.pk, reason="Seal")
    with pytest.raises(TransitionNotAllowed, match="already holds"):
        hold_place(actor=colleague, declaration_id=submitted.pk, reason="Also the seal")
    hold_lift(actor=colleague, hold_id=first.pk)
    with pytest.raises(TransitionNotAllowed, match="already lifted"):
        hold_lift(actor=other_officer, hold_id=first.pk)
    second = hold_place(actor=colleague, declaration_id=submitted.pk, reason="Weight this time")
    assert Hold.objects.filter(declaration=submitted).count() == 2 and second.active


@pytest.mark.django_db
def test_release_is_refused_while_held_naming_the_port_and_reason_and_allowed_after_lifting(
    submitted, other_officer, clearance_officer
):
    hold = hold_place(actor=other_officer, declaration_id=submitted.pk, reason="Container weight off by 2 t")
    with pytest.raises(TransitionNotAllowed) as excinfo:
        declaration_decide(actor=clearance_officer, declaration_id=submitted.pk, action=Action.RELEASE)
    assert "CNSHK" in excinfo.value.message and "Container weight off by 2 t" in excinfo.value.message
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    # Other decisions stay open while held.
    inspected = declaration_decide(actor=clearance_officer, declaration_id=submitted.pk, action=Action.ORDER_INSPECTION)
    assert inspected.status == Status.INSPECTION_REQUIRED
    Declaration.objects.filter(pk=submitted.pk).update(status=Status.INSPECTED)
    hold_lift(actor=other_officer, hold_id=hold.pk, note="Reweighed")
    released = declaration_decide(actor=clearance_officer, declaration_id=submitted.pk, action=Action.RELEASE)
    assert released.status == Status.RELEASED


@pytest.mark.django_db
def test_the_system_does_not_release_a_held_declaration(submitted, other_officer):
    hold_place(actor=other_officer, declaration_id=submitted.pk, reason="Hold")
    declaration_system_transition(declaration_id=submitted.pk, action=Action.START_REVIEW, lane="green")
    with pytest.raises(TransitionNotAllowed, match="CNSHK"):
        declaration_system_transition(declaration_id=submitted.pk, action=Action.RELEASE)


@pytest.mark.django_db
def test_verification_auto_release_of_a_green_declaration_respects_a_hold(trader, other_officer):
    from tests.declarations.evidence import manifest_for

    draft = declaration_create_draft(actor=trader, **factories.declaration_input(items=1, containers=1))
    declaration = declaration_submit(actor=trader, declaration_id=draft.pk)
    manifest_for(declaration)
    PortRiskSettings.objects.update_or_create(
        port=Port.objects.get(locode="CNSUD"), defaults={"auto_release_green": True, "random_selection_percent": 0}
    )
    hold_place(actor=other_officer, declaration_id=declaration.pk, reason="Wait for Shekou")
    run = declaration_verify(declaration_id=declaration.pk)
    declaration.refresh_from_db()
    assert run is not None and run.lane == "green"
    assert declaration.status == Status.UNDER_REVIEW  # reviewed, lane set, but not released
    assert declaration.lane == "green"


@pytest.mark.django_db
def test_a_hold_is_recorded_in_history_and_the_ledger_and_notifies_clearance_and_trader(
    trader, submitted, other_officer, clearance_officer
):
    bank = factories.bank_officer()
    before = LedgerEntry.objects.count()
    hold = hold_place(actor=other_officer, declaration_id=submitted.pk, reason="Secret intelligence note")
    assert hold.history.first().history_user == other_officer
    entry = LedgerEntry.objects.order_by("-seq").first()
    assert LedgerEntry.objects.count() == before + 1
    assert entry.kind == "declaration.hold" and entry.subject == f"declarations.Hold:{hold.pk}"
    assert set(entry.public_fields) == {"declaration", "port", "placed_at", "lifted_at"}
    assert "reason" not in entry.public_fields and "Secret intelligence note" in entry.payload
    assert Notification.objects.filter(recipient=clearance_officer, subject__contains="held").exists()
    assert Notification.objects.filter(recipient=trader, subject__contains="held").exists()
    assert not Notification.objects.filter(recipient__in=[other_officer, bank]).exists()
    # The declaration's own record still matches its latest ledger entry on the public page.
    result = record_verification_get(reference=f"DECL-{submitted.reference}")
    assert result.status in ("verified", "awaiting_checkpoint"), result

    hold_lift(actor=other_officer, hold_id=hold.pk, note="Cleared")
    entry = LedgerEntry.objects.order_by("-seq").first()
    assert entry.kind == "declaration.hold_lift" and entry.subject == f"declarations.Hold:{hold.pk}"
    assert Notification.objects.filter(recipient=trader, subject__contains="lifted").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_of_the_same_port_placing_holds_at_once_end_with_one_hold():
    assert connection.vendor == "postgresql"
    trader = factories.trader()
    draft = declaration_create_draft(actor=trader, **factories.declaration_input())
    declaration = declaration_submit(actor=trader, declaration_id=draft.pk)
    first, second = factories.customs_officer(ports=("CNSHK",)), factories.customs_officer(ports=("CNSHK",))
    results = race(
        lambda: hold_place(actor=first, declaration_id=declaration.pk, reason="Seal photo missing"),
        lambda: hold_place(actor=second, declaration_id=declaration.pk, reason="Weight off"),
    )
    winners = [r for r in results if isinstance(r, Hold)]
    losers = [r for r in results if isinstance(r, TransitionNotAllowed)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "already holds" in losers[0].message
    assert Hold.objects.filter(declaration=declaration, lifted_at__isnull=True).count() == 1
    assert LedgerEntry.objects.filter(kind="declaration.hold").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_second_active_hold_even_without_the_service_check():
    """The race fallback: the constraint, turned into TransitionNotAllowed by the service."""
    from unittest import mock

    trader = factories.trader()
    draft = declaration_create_draft(actor=trader, **factories.declaration_input())
    declaration = declaration_submit(actor=trader, declaration_id=draft.pk)
    officer = factories.customs_officer(ports=("CNSHK",))
    hold_place(actor=officer, declaration_id=declaration.pk, reason="First")
    other = factories.customs_officer(ports=("CNSHK",))
    # Hide the existing hold from the pre-check so the insert itself meets the constraint.
    with mock.patch("declarations.services.review.Hold.objects.filter") as hidden:
        hidden.return_value.first.return_value = None
        with pytest.raises(TransitionNotAllowed, match="already holds"):
            hold_place(actor=other, declaration_id=declaration.pk, reason="Second")
    assert Hold.objects.filter(declaration=declaration).count() == 1
