"""A slot never takes more bookings than its capacity, even when many traders book its last place at once."""

import pytest

from inspections.models import Booking, InspectionSlot
from inspections.services import SlotTaken, booking_create, inspection_order
from tests import factories
from tests.declarations.test_workflow import race

from .conftest import future_slot, red_declaration

CONTENDERS = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_traders_booking_the_last_place_at_once_leave_exactly_one_winner(shunde):
    officer = factories.customs_officer(ports=("CNSUD",))
    slot = future_slot(shunde, capacity=3)
    # Two places already taken, one left.
    for _ in range(2):
        trader = factories.trader()
        inspection = inspection_order(actor=officer, declaration_id=red_declaration(trader).pk)
        booking_create(actor=trader, inspection_id=inspection.pk, slot_id=slot.pk)
    contenders = []
    for _ in range(CONTENDERS):
        trader = factories.trader()
        inspection = inspection_order(actor=officer, declaration_id=red_declaration(trader).pk)
        contenders.append((trader, inspection.pk))

    results = race(
        *[
            (
                lambda trader=trader, inspection_id=inspection_id: booking_create(
                    actor=trader, inspection_id=inspection_id, slot_id=slot.pk
                )
            )
            for trader, inspection_id in contenders
        ]
    )

    winners = [result for result in results if isinstance(result, Booking)]
    losers = [result for result in results if isinstance(result, SlotTaken)]
    assert len(winners) == 1 and len(losers) == CONTENDERS - 1, results
    assert all(loser.message == "This slot was just taken — choose another." for loser in losers)
    slot.refresh_from_db()
    assert slot.booked == slot.capacity == 3
    assert Booking.objects.filter(slot=slot, status="booked").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_overbooking_even_without_the_lock(shunde):
    from django.db import IntegrityError

    slot = future_slot(shunde, capacity=1)
    InspectionSlot.objects.filter(pk=slot.pk).update(booked=1)
    with pytest.raises(IntegrityError):
        InspectionSlot.objects.filter(pk=slot.pk).update(booked=2)
