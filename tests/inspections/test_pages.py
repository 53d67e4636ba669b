"""Inspection pages: who sees and changes what, and constant queries for the calendar and the day list."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from declarations.choices import Status
from inspections.models import Booking, InspectionSlot
from inspections.services import booking_create, inspection_order, slots_generate
from tests import factories

from .conftest import future_slot, red_declaration

pytestmark = pytest.mark.django_db


def test_trader_sees_the_calendar_and_books_from_it(client, trader, inspection, shunde, shekou):
    client.force_login(trader)
    page = client.get(f"/inspections/declaration/{inspection.declaration_id}/")
    assert page.status_code == 200 and 'data-testid="calendar"' in page.content.decode()
    assert InspectionSlot.objects.filter(site=shekou).exists()  # generated on demand when the calendar opened
    slot = InspectionSlot.objects.filter(site=shunde, starts_at__gte=timezone.now() + timedelta(days=2)).first()
    response = client.post(
        f"/inspections/declaration/{inspection.declaration_id}/book/", {"slot": slot.pk}, follow=True
    )
    assert "Booked:" in response.content.decode()
    assert Booking.objects.get().slot == slot


def test_the_loser_of_the_last_place_is_told_to_choose_another(client, trader, inspection, shunde):
    slot = future_slot(shunde, capacity=1)
    InspectionSlot.objects.filter(pk=slot.pk).update(booked=1)
    client.force_login(trader)
    response = client.post(
        f"/inspections/declaration/{inspection.declaration_id}/book/", {"slot": slot.pk}, follow=True
    )
    assert "This slot was just taken — choose another." in response.content.decode()


@pytest.mark.parametrize("who", ["other trader", "bank", "logistics", "officer elsewhere"])
def test_strangers_do_not_find_the_inspection_page(client, inspection, who):
    user = {
        "other trader": factories.trader,
        "bank": factories.bank_officer,
        "logistics": factories.logistics_system,
        "officer elsewhere": lambda: factories.customs_officer(ports=("CNNSA",)),
    }[who]()
    client.force_login(user)
    assert client.get(f"/inspections/declaration/{inspection.declaration_id}/").status_code == 404
    assert client.post(f"/inspections/declaration/{inspection.declaration_id}/book/", {"slot": 1}).status_code == 404


def test_other_traders_cannot_cancel_a_booking(client, trader, inspection, shunde):
    booking = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=future_slot(shunde).pk)
    client.force_login(factories.trader())
    assert client.post(f"/inspections/bookings/{booking.pk}/cancel/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == "booked"


def test_day_list_and_record_pages_are_for_customs_of_the_port(client, trader, officer, inspection, shunde):
    client.force_login(trader)
    assert client.get(f"/inspections/sites/{shunde.pk}/day/").status_code == 403
    assert client.get(f"/inspections/{inspection.pk}/record/").status_code == 403
    client.force_login(factories.customs_officer(ports=("CNNSA",)))
    assert client.get(f"/inspections/sites/{shunde.pk}/day/").status_code == 404
    assert client.get(f"/inspections/{inspection.pk}/record/").status_code == 404
    client.force_login(officer)
    assert client.get(f"/inspections/sites/{shunde.pk}/day/").status_code == 200


def _all_conform(inspection) -> dict:
    return {f"conforms_{pk}": "on" for pk in inspection.declaration.items.values_list("pk", flat=True)}


def test_officer_records_a_pass_with_a_photo_through_the_page(client, officer, inspection):
    client.force_login(officer)
    item = inspection.declaration.items.first()
    data = {
        **_all_conform(inspection),
        "result": "passed",
        "remarks": "",
        f"note_{item.pk}": "ok",
        "photos": [SimpleUploadedFile("yard.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, content_type="image/png")],
    }
    response = client.post(f"/inspections/{inspection.pk}/record/", data)
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.result == "passed" and inspection.photos.count() == 1
    assert inspection.declaration.status == Status.INSPECTED
    photo = inspection.photos.get()
    assert client.get(f"/inspections/photos/{photo.pk}/").status_code == 200
    client.force_login(factories.trader())
    assert client.get(f"/inspections/photos/{photo.pk}/").status_code == 404


def test_a_fake_photo_is_refused_on_the_page(client, officer, inspection):
    client.force_login(officer)
    response = client.post(
        f"/inspections/{inspection.pk}/record/",
        {
            **_all_conform(inspection),
            "result": "passed",
            "photos": [SimpleUploadedFile("x.jpg", b"%PDF-1.4 " + b"0" * 32)],
        },
    )
    assert response.status_code == 400 and "not a JPEG or PNG" in response.content.decode()


def test_supervisor_edits_a_site_and_closes_a_day(client, supervisor, officer, shunde):
    client.force_login(officer)
    assert client.get("/inspections/sites/").status_code == 403
    client.force_login(supervisor)
    assert client.get("/inspections/sites/").status_code == 200
    response = client.post(
        f"/inspections/sites/{shunde.pk}/edit/",
        {
            "name_en": "Shunde yard",
            "opens_at": "08:00",
            "closes_at": "12:00",
            "weekdays": ["0", "1"],
            "slot_minutes": 30,
            "capacity_per_slot": 4,
            "cutoff_hours": 12,
            "active": "on",
        },
    )
    assert response.status_code == 302
    shunde.refresh_from_db()
    assert (shunde.slot_minutes, shunde.capacity_per_slot, shunde.weekdays) == (30, 4, "0,1")
    day = timezone.localdate() + timedelta(days=3)
    client.post(f"/inspections/sites/{shunde.pk}/closures/", {"date": day.isoformat(), "reason": "Holiday"})
    assert shunde.closures.get().date == day


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_calendar_costs_the_same_queries_for_few_or_many_slots(client, trader, inspection, shunde, shekou):
    client.force_login(trader)
    url = f"/inspections/declaration/{inspection.declaration_id}/"
    shunde.slot_minutes, shekou.slot_minutes = 240, 240
    shunde.save()
    shekou.save()
    slots_generate(days_ahead=14)
    few = _queries(client, url)
    InspectionSlot.objects.all().delete()
    shunde.slot_minutes, shekou.slot_minutes = 15, 15
    shunde.save()
    shekou.save()
    slots_generate(days_ahead=14)
    assert InspectionSlot.objects.count() > 400
    assert _queries(client, url) == few


def test_the_day_list_costs_the_same_queries_for_one_or_many_bookings(client, officer, shunde):
    slot = future_slot(shunde, capacity=20)
    day = timezone.localtime(slot.starts_at).date()
    url = f"/inspections/sites/{shunde.pk}/day/?date={day.isoformat()}"

    def book(count):
        for _ in range(count):
            trader = factories.trader()
            inspection = inspection_order(actor=officer, declaration_id=red_declaration(trader).pk)
            booking_create(actor=trader, inspection_id=inspection.pk, slot_id=slot.pk)

    client.force_login(officer)
    book(1)
    one = _queries(client, url)
    book(4)
    assert _queries(client, url) == one
