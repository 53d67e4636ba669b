"""``/api/v1/inspections/slots`` and ``/api/v1/inspections/bookings``: scope, roles, errors, idempotency, schema."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from inspections.models import Booking, InspectionSlot
from inspections.services import booking_create
from tests import factories

from .conftest import future_slot

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_free_slots_of_a_site_and_day(trader, shunde):
    slot = future_slot(shunde)
    full = future_slot(shunde, hour=slot.starts_at.hour + 1, capacity=1)
    InspectionSlot.objects.filter(pk=full.pk).update(booked=1)
    day = timezone.localtime(slot.starts_at, timezone.get_fixed_timezone(480)).date()
    response = client_for(trader).get("/api/v1/inspections/slots", {"site": shunde.pk, "date": day.isoformat()})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [slot.pk]
    assert response.json()[0]["free"] == 2


def test_slots_need_a_site_that_exists(trader):
    assert client_for(trader).get("/api/v1/inspections/slots").status_code == 400
    assert client_for(trader).get("/api/v1/inspections/slots", {"site": 999999}).status_code == 404


def test_book_reschedule_cancel_through_the_api_with_idempotency(trader, inspection, shunde):
    api = client_for(trader)
    first, second = future_slot(shunde), future_slot(shunde, days=4)
    body = {"inspection": inspection.pk, "slot": first.pk}
    created = api.post("/api/v1/inspections/bookings", body, format="json", HTTP_IDEMPOTENCY_KEY="book-1")
    again = api.post("/api/v1/inspections/bookings", body, format="json", HTTP_IDEMPOTENCY_KEY="book-1")
    assert created.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == created.json()["id"] and Booking.objects.count() == 1
    booking_id = created.json()["id"]
    moved = api.post(f"/api/v1/inspections/bookings/{booking_id}/reschedule", {"slot": second.pk}, format="json")
    assert moved.status_code == 200 and moved.json()["slot"]["id"] == second.pk
    cancelled = api.post(f"/api/v1/inspections/bookings/{booking_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    twice = api.post(f"/api/v1/inspections/bookings/{booking_id}/cancel")
    assert twice.status_code == 409 and twice.json()["code"] == "transition_not_allowed"


def test_the_last_place_taken_is_a_409_slot_taken(trader, inspection, shunde):
    slot = future_slot(shunde, capacity=1)
    InspectionSlot.objects.filter(pk=slot.pk).update(booked=1)
    response = client_for(trader).post(
        "/api/v1/inspections/bookings", {"inspection": inspection.pk, "slot": slot.pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "slot_taken",
        "detail": "This slot was just taken — choose another.",
        "fields": {},
    }


def test_another_organisations_booking_and_inspection_are_not_found(trader, inspection, shunde):
    booking = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=future_slot(shunde).pk)
    stranger = client_for(factories.trader())
    assert stranger.get(f"/api/v1/inspections/bookings/{booking.pk}").status_code == 404
    assert stranger.post(f"/api/v1/inspections/bookings/{booking.pk}/cancel").status_code == 404
    assert (
        stranger.post(
            "/api/v1/inspections/bookings",
            {"inspection": inspection.pk, "slot": future_slot(shunde, days=5).pk},
            format="json",
        ).status_code
        == 404
    )
    assert stranger.get("/api/v1/inspections/bookings").json()["results"] == []
    other_port = client_for(factories.customs_officer(ports=("CNNSA",)))
    assert other_port.get(f"/api/v1/inspections/bookings/{booking.pk}").status_code == 404


def test_lists_are_scoped_to_the_trader_and_to_the_officers_ports(trader, officer, other_officer, inspection, shunde):
    booking = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=future_slot(shunde).pk)
    for user in (trader, officer, other_officer):
        ids = [row["id"] for row in client_for(user).get("/api/v1/inspections/bookings").json()["results"]]
        assert ids == [booking.pk], user
    filtered = client_for(officer).get("/api/v1/inspections/bookings", {"status": "cancelled"}).json()["results"]
    assert filtered == []


@pytest.mark.parametrize("make", [factories.bank_officer, factories.logistics_system])
def test_roles_outside_trade_and_customs_are_forbidden(make, shunde):
    client = client_for(make())
    assert client.get("/api/v1/inspections/bookings").status_code == 403
    assert client.get("/api/v1/inspections/slots", {"site": shunde.pk}).status_code == 403
    assert APIClient().get("/api/v1/inspections/bookings").status_code == 401


def test_no_show_is_for_customs_of_the_site_after_the_start(trader, officer, inspection, shunde):
    slot = future_slot(shunde)
    booking = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=slot.pk)
    assert client_for(trader).post(f"/api/v1/inspections/bookings/{booking.pk}/no-show").status_code == 403
    assert client_for(officer).post(f"/api/v1/inspections/bookings/{booking.pk}/no-show").status_code == 409
    past = timezone.now() - timedelta(minutes=1)
    InspectionSlot.objects.filter(pk=slot.pk).update(starts_at=past, ends_at=past + timedelta(hours=1))
    response = client_for(officer).post(f"/api/v1/inspections/bookings/{booking.pk}/no-show")
    assert response.status_code == 200 and response.json()["status"] == "no_show"


def test_invalid_input_names_the_field(trader):
    response = client_for(trader).post("/api/v1/inspections/bookings", {"slot": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"inspection", "slot"}


def test_schema_documents_the_inspection_endpoints_and_their_errors():
    response = client_for(factories.trader()).get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = response.json()["paths"] if response["Content-Type"].startswith("application/json") else None
    if paths is None:
        import yaml

        paths = yaml.safe_load(response.content)["paths"]
    assert "/api/v1/inspections/slots" in paths
    create = paths["/api/v1/inspections/bookings"]["post"]
    assert {"201", "400", "403", "404", "409"} <= set(create["responses"])
    assert "/api/v1/inspections/bookings/{id}/reschedule" in paths
