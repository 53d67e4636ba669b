"""Rules of sites, slots, bookings and results, through the services."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from declarations.choices import Action, Status
from declarations.models import Declaration
from declarations.services import declaration_amend, declaration_decide
from inspections.choices import BookingStatus, InspectionResult
from inspections.models import Booking, Inspection, InspectionSlot, PortInspectionSettings
from inspections.services import (
    Finding,
    SlotTaken,
    booking_cancel,
    booking_create,
    booking_no_show,
    booking_reschedule,
    inspection_order,
    inspection_result_record,
    site_closure_add,
    site_save,
    slots_generate,
)
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.ledger.models import LedgerEntry
from portal.models import Notification
from tests import factories

from .conftest import future_slot, red_declaration, site_at

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


# --- slot generation ------------------------------------------------------------------------------------------------


def test_slots_are_generated_in_the_port_time_zone_and_stored_in_utc():
    site = site_at("CNSUD", opens_at=time(9), closes_at=time(12), slot_minutes=60, weekdays="0,1,2,3,4,5,6")
    monday = date(2030, 1, 7)
    created = slots_generate(days_ahead=1, today=monday)
    starts = list(InspectionSlot.objects.filter(site=site).order_by("starts_at").values_list("starts_at", flat=True))
    assert created == 3
    assert [start.astimezone(SHANGHAI).time() for start in starts] == [time(9), time(10), time(11)]
    assert starts[0] == datetime(2030, 1, 7, 1, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Shanghai is 01:00 UTC


def test_slot_generation_skips_closed_weekdays_and_closures_and_is_idempotent(supervisor):
    site = site_at("CNSUD", opens_at=time(9), closes_at=time(11), weekdays="0,1,2,3,4")  # Monday to Friday
    monday = date(2030, 1, 7)
    site_closure_add(actor=supervisor, site_id=site.pk, day=monday + timedelta(days=2), reason="Holiday")
    first = slots_generate(days_ahead=7, today=monday)
    again = slots_generate(days_ahead=7, today=monday)
    days = {
        start.astimezone(SHANGHAI).date()
        for start in InspectionSlot.objects.filter(site=site).values_list("starts_at", flat=True)
    }
    assert first == 8 and again == 0  # 4 open days × 2 slots; nothing twice
    assert days == {monday, monday + timedelta(days=1), monday + timedelta(days=3), monday + timedelta(days=4)}


def test_a_slot_running_past_closing_time_is_not_made():
    site = site_at("CNSHK", opens_at=time(9), closes_at=time(10, 30), slot_minutes=60)
    assert slots_generate(days_ahead=1, today=date(2030, 1, 7)) == 1
    assert InspectionSlot.objects.get(site=site).capacity == site.capacity_per_slot


def test_closing_a_day_removes_its_free_slots_and_reports_live_bookings(supervisor, trader, inspection, shunde):
    booked = future_slot(shunde, days=3)
    free = future_slot(shunde, days=3, hour=booked.starts_at.hour + 1)
    booking_create(actor=trader, inspection_id=inspection.pk, slot_id=booked.pk)
    day = booked.starts_at.astimezone(SHANGHAI).date()
    _closure, affected = site_closure_add(actor=supervisor, site_id=shunde.pk, day=day, reason="Typhoon")
    assert affected == 1
    assert not InspectionSlot.objects.filter(pk=free.pk).exists()
    assert InspectionSlot.objects.filter(pk=booked.pk).exists()


def test_only_a_supervisor_of_the_port_edits_its_sites(officer, shunde):
    other_supervisor = factories.customs_supervisor(ports=("CNSHK",))
    for actor in (officer, other_supervisor, factories.trader()):
        with pytest.raises(PermissionDenied):
            site_save(actor=actor, port_id=shunde.port_id, site_id=shunde.pk, capacity_per_slot=5)


def test_supervisor_changes_opening_hours_and_capacity(supervisor, shunde):
    site = site_save(
        actor=supervisor,
        port_id=shunde.port_id,
        site_id=shunde.pk,
        capacity_per_slot=5,
        opens_at=time(8),
        weekdays="5,6",
    )
    assert (site.capacity_per_slot, site.opens_at, site.open_weekdays) == (5, time(8), {5, 6})
    assert site.history.first().history_user == supervisor
    with pytest.raises(ValidationError):
        site_save(actor=supervisor, port_id=shunde.port_id, site_id=shunde.pk, opens_at=time(18))


# --- ordering: one inspection for both ports ------------------------------------------------------------------------


def test_ordering_an_inspection_creates_the_inspection_with_the_transition(trader, officer):
    declaration = red_declaration(trader)
    inspection = inspection_order(actor=officer, declaration_id=declaration.pk)
    declaration.refresh_from_db()
    assert declaration.status == Status.INSPECTION_REQUIRED
    assert inspection.declaration_id == declaration.pk and inspection.ordered_by == officer
    assert LedgerEntry.objects.filter(kind="declaration.order_inspection", subject=declaration.ledger_subject).exists()


def _passed_then_back_for_a_second_order(trader, officer, shunde):
    """Inspected and passed at Shunde, sent back for amendment, resubmitted: ready to be ordered again."""
    declaration = red_declaration(trader)
    inspection = inspection_order(actor=officer, declaration_id=declaration.pk)
    inspection_result_record(actor=officer, inspection_id=inspection.pk, result=InspectionResult.PASSED)
    declaration_decide(
        actor=officer,
        declaration_id=declaration.pk,
        action=Action.REQUEST_AMENDMENT,
        message="Correct the consignee address",
    )
    declaration_amend(actor=trader, declaration_id=declaration.pk)
    declaration.refresh_from_db()
    return declaration


def test_goods_inspected_at_either_port_are_not_inspected_again_by_an_officer(trader, officer, shunde):
    declaration = _passed_then_back_for_a_second_order(trader, officer, shunde)
    status_before = declaration.status
    entries = LedgerEntry.objects.count()
    with pytest.raises(TransitionNotAllowed, match="already inspected at CNSUD"):
        inspection_order(actor=officer, declaration_id=declaration.pk)
    declaration.refresh_from_db()
    assert declaration.status == status_before
    assert LedgerEntry.objects.count() == entries
    assert Inspection.objects.filter(declaration=declaration).count() == 1


def test_a_supervisor_needs_a_reason_to_order_a_second_inspection(trader, officer, supervisor, shunde):
    declaration = _passed_then_back_for_a_second_order(trader, officer, shunde)
    with pytest.raises(TransitionNotAllowed, match="Only a customs supervisor"):
        inspection_order(actor=supervisor, declaration_id=declaration.pk, override_reason="  ")
    second = inspection_order(
        actor=supervisor,
        declaration_id=declaration.pk,
        override_reason="Seal seen broken at Shekou after the first inspection",
    )
    assert second.override_reason.startswith("Seal seen broken")
    assert Inspection.objects.filter(declaration=declaration).count() == 2


def test_the_other_port_sees_the_result_recorded_at_the_first(trader, officer, other_officer, shunde):
    from inspections.selectors import declaration_inspections, inspection_list

    declaration = red_declaration(trader)
    inspection = inspection_order(actor=officer, declaration_id=declaration.pk)
    inspection_result_record(actor=officer, inspection_id=inspection.pk, result=InspectionResult.PASSED)
    seen = inspection_list(actor=other_officer).get(pk=inspection.pk)
    assert seen.result == InspectionResult.PASSED and seen.port.locode == "CNSUD"
    assert declaration_inspections(declaration=declaration)[0].result == InspectionResult.PASSED


# --- booking --------------------------------------------------------------------------------------------------------


def test_trader_books_a_free_slot_and_is_notified(trader, inspection, shunde):
    colleague = factories.UserFactory(organisation=trader.organisation)
    slot = future_slot(shunde)
    booking = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=slot.pk)
    slot.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED and slot.booked == 1
    assert Notification.objects.filter(recipient=colleague, subject__contains="inspection booked").exists()


def test_the_ordering_officer_books_for_the_trader_and_the_trader_is_notified(trader, officer, inspection, shekou):
    booking = booking_create(actor=officer, inspection_id=inspection.pk, slot_id=future_slot(shekou).pk)
    assert booking.booked_by == officer
    assert Notification.objects.filter(recipient=trader, subject__contains="inspection booked").exists()


def test_a_full_slot_refuses_with_a_clear_message(trader, inspection, shunde):
    slot = future_slot(shunde, capacity=1)
    InspectionSlot.objects.filter(pk=slot.pk).update(booked=1)
    with pytest.raises(SlotTaken, match="just taken — choose another"):
        booking_create(actor=trader, inspection_id=inspection.pk, slot_id=slot.pk)


def test_a_slot_at_a_port_off_the_route_cannot_be_booked(trader, inspection):
    nansha = site_at("CNNSA")
    with pytest.raises(DomainError, match="inspection site of the declaration"):
        booking_create(actor=trader, inspection_id=inspection.pk, slot_id=future_slot(nansha).pk)


def test_one_live_booking_per_inspection(trader, inspection, shunde):
    booking_create(actor=trader, inspection_id=inspection.pk, slot_id=future_slot(shunde).pk)
    with pytest.raises(TransitionNotAllowed, match="already has a booking"):
        booking_create(actor=trader, inspection_id=inspection.pk, slot_id=future_slot(shunde, hour=11).pk)


def test_another_organisation_cannot_book_or_touch_a_booking(trader, inspection, shunde):
    stranger = factories.trader()
    with pytest.raises(Inspection.DoesNotExist):
        booking_create(actor=stranger, inspection_id=inspection.pk, slot_id=future_slot(shunde).pk)
    booking = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=future_slot(shunde, hour=11).pk)
    for service in (booking_cancel, booking_no_show):
        with pytest.raises(Booking.DoesNotExist):
            service(actor=stranger, booking_id=booking.pk)


def test_booking_inside_the_cut_off_is_refused(trader, inspection, shunde):
    start = timezone.now() + timedelta(hours=shunde.cutoff_hours - 1)
    slot = InspectionSlot.objects.create(site=shunde, starts_at=start, ends_at=start + timedelta(hours=1), capacity=2)
    with pytest.raises(TransitionNotAllowed, match="cut-off"):
        booking_create(actor=trader, inspection_id=inspection.pk, slot_id=slot.pk)


def test_reschedule_moves_the_place(trader, inspection, shunde, shekou):
    colleague = factories.UserFactory(organisation=trader.organisation)
    first, second = future_slot(shunde), future_slot(shekou, days=4)
    booking = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=first.pk)
    moved = booking_reschedule(actor=trader, booking_id=booking.pk, slot_id=second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert moved.slot_id == second.pk and (first.booked, second.booked) == (0, 1)
    assert Notification.objects.filter(recipient=colleague, subject__contains="inspection moved").exists()


def test_reschedule_after_the_cut_off_is_refused(trader, inspection, shunde):
    slot = future_slot(shunde)
    booking = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=slot.pk)
    soon = timezone.now() + timedelta(hours=2)
    InspectionSlot.objects.filter(pk=slot.pk).update(starts_at=soon, ends_at=soon + timedelta(hours=1))
    with pytest.raises(TransitionNotAllowed, match="cut-off"):
        booking_reschedule(actor=trader, booking_id=booking.pk, slot_id=future_slot(shunde, days=5).pk)
    with pytest.raises(TransitionNotAllowed, match="cut-off"):
        booking_cancel(actor=trader, booking_id=booking.pk)


def test_cancel_frees_the_place_and_allows_a_new_booking(trader, inspection, shunde):
    slot = future_slot(shunde)
    booking = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=slot.pk)
    cancelled = booking_cancel(actor=trader, booking_id=booking.pk)
    slot.refresh_from_db()
    assert cancelled.status == BookingStatus.CANCELLED and cancelled.cancelled_at and slot.booked == 0
    with pytest.raises(TransitionNotAllowed, match="now “Cancelled”"):
        booking_cancel(actor=trader, booking_id=booking.pk)
    assert booking_create(actor=trader, inspection_id=inspection.pk, slot_id=slot.pk).status == BookingStatus.BOOKED


def test_no_show_only_after_the_start_and_only_by_customs_of_the_site(
    trader, officer, other_officer, inspection, shunde
):
    slot = future_slot(shunde)
    booking = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=slot.pk)
    with pytest.raises(TransitionNotAllowed, match="once the slot has started"):
        booking_no_show(actor=officer, booking_id=booking.pk)
    past = timezone.now() - timedelta(minutes=5)
    InspectionSlot.objects.filter(pk=slot.pk).update(starts_at=past, ends_at=past + timedelta(hours=1))
    with pytest.raises(Booking.DoesNotExist):
        booking_no_show(actor=other_officer, booking_id=booking.pk)  # Shekou's officer, Shunde's site
    with pytest.raises(Booking.DoesNotExist):
        booking_no_show(actor=trader, booking_id=booking.pk)
    recorded = booking_no_show(actor=officer, booking_id=booking.pk)
    assert recorded.status == BookingStatus.NO_SHOW
    assert Notification.objects.filter(recipient=trader, subject__contains="no-show").exists()
    # The goods are still to be inspected: the trader books again.
    assert booking_create(actor=trader, inspection_id=inspection.pk, slot_id=future_slot(shunde, days=5).pk)


# --- results --------------------------------------------------------------------------------------------------------


def test_a_pass_goes_back_to_the_officer_for_release(trader, officer, inspection, shunde):
    booking = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=future_slot(shunde).pk)
    item = inspection.declaration.items.first()
    container = inspection.declaration.containers.first()
    declaration = inspection_result_record(
        actor=officer,
        inspection_id=inspection.pk,
        result=InspectionResult.PASSED,
        findings={item.pk: Finding(conforms=True, note="as declared")},
        new_seals={container.number: "CIQ000777"},
    )
    inspection.refresh_from_db()
    booking.refresh_from_db()
    assert declaration.status == Status.INSPECTED
    assert inspection.result == InspectionResult.PASSED and inspection.port.locode == "CNSUD"
    assert inspection.new_seal_numbers == {container.number: "CIQ000777"}
    assert inspection.findings.get().note == "as declared"
    assert booking.status == BookingStatus.ATTENDED
    assert LedgerEntry.objects.order_by("-seq").first().kind == "declaration.record_inspection"
    assert Notification.objects.filter(recipient=trader, subject__contains="Inspected").exists()
    released = declaration_decide(actor=officer, declaration_id=declaration.pk, action=Action.RELEASE)
    assert released.status == Status.RELEASED


def test_a_pass_is_released_at_once_where_the_port_enables_it(trader, officer, inspection):
    PortInspectionSettings.objects.create(port=inspection.declaration.origin_port, release_on_pass=True)
    declaration = inspection_result_record(
        actor=officer,
        inspection_id=inspection.pk,
        result=InspectionResult.PASSED_WITH_REMARKS,
        remarks="Repacked two cartons",
    )
    assert declaration.status == Status.RELEASED
    kinds = list(LedgerEntry.objects.order_by("-seq").values_list("kind", flat=True)[:2])
    assert kinds == ["declaration.release", "declaration.record_inspection"]


def test_release_on_pass_of_the_other_port_does_not_release(trader, officer, inspection):
    PortInspectionSettings.objects.create(port=inspection.declaration.transfer_port, release_on_pass=True)
    declaration = inspection_result_record(actor=officer, inspection_id=inspection.pk, result=InspectionResult.PASSED)
    assert declaration.status == Status.INSPECTED


@pytest.mark.parametrize(
    ("decision", "status"), [(Action.REJECT, Status.REJECTED), (Action.REQUEST_AMENDMENT, Status.AMENDMENT_REQUESTED)]
)
def test_a_fail_leads_where_the_officer_chooses(trader, officer, inspection, decision, status):
    declaration = inspection_result_record(
        actor=officer,
        inspection_id=inspection.pk,
        result=InspectionResult.FAILED,
        remarks="Undeclared goods",
        findings={inspection.declaration.items.first().pk: Finding(conforms=False, note="Pine, not oak")},
        fail_decision=decision,
        fail_message="Line 1 is pine",
    )
    assert declaration.status == status and declaration.officer_message == "Line 1 is pine"


def test_a_fail_at_the_clearance_port_needs_the_officers_choice(officer, inspection):
    with pytest.raises(ValidationError) as excinfo:
        inspection_result_record(
            actor=officer, inspection_id=inspection.pk, result=InspectionResult.FAILED, remarks="Undeclared goods"
        )
    assert "fail_decision" in excinfo.value.message_dict
    assert Declaration.objects.get(pk=inspection.declaration_id).status == Status.INSPECTION_REQUIRED


def test_a_fail_recorded_at_the_other_port_waits_for_the_clearance_port(officer, other_officer, inspection):
    declaration = inspection_result_record(
        actor=other_officer, inspection_id=inspection.pk, result=InspectionResult.FAILED, remarks="Undeclared goods"
    )
    assert declaration.status == Status.INSPECTED
    rejected = declaration_decide(
        actor=officer, declaration_id=declaration.pk, action=Action.REJECT, message="Failed inspection at Shekou"
    )
    assert rejected.status == Status.REJECTED


def test_a_result_is_recorded_once(officer, other_officer, inspection):
    inspection_result_record(actor=officer, inspection_id=inspection.pk, result=InspectionResult.PASSED)
    with pytest.raises(TransitionNotAllowed, match="already recorded"):
        inspection_result_record(actor=other_officer, inspection_id=inspection.pk, result=InspectionResult.PASSED)


@pytest.mark.parametrize("actor_name", ["trader", "stranger officer", "bank", "logistics"])
def test_only_customs_of_the_route_record_results(trader, inspection, actor_name):
    actor = {
        "trader": trader,
        "stranger officer": factories.customs_officer(ports=("CNNSA",)),
        "bank": factories.bank_officer(),
        "logistics": factories.logistics_system(),
    }[actor_name]
    with pytest.raises(TransitionNotAllowed):
        inspection_result_record(actor=actor, inspection_id=inspection.pk, result=InspectionResult.PASSED)


def test_remarks_and_findings_are_checked(officer, inspection):
    with pytest.raises(ValidationError) as excinfo:
        inspection_result_record(
            actor=officer,
            inspection_id=inspection.pk,
            result=InspectionResult.PASSED_WITH_REMARKS,
            findings={999999: Finding(conforms=True)},
            new_seals={"MSKU0000000": "X1"},
        )
    assert set(excinfo.value.message_dict) == {"remarks", "findings", "new_seals"}


# --- photos, by content ---------------------------------------------------------------------------------------------


def test_jpeg_and_png_photos_are_kept_with_their_checksum(officer, inspection):
    photos = [SimpleUploadedFile("a.jpg", JPEG), SimpleUploadedFile("b.png", PNG)]
    inspection_result_record(actor=officer, inspection_id=inspection.pk, result=InspectionResult.PASSED, photos=photos)
    stored = sorted(inspection.photos.values_list("content_type", flat=True))
    assert stored == ["image/jpeg", "image/png"]
    assert all(len(photo.sha256) == 64 for photo in inspection.photos.all())


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"%PDF-1.7\n" + b"0" * 64),  # a PDF named .jpg
        ("photo.png", b"GIF89a" + b"0" * 64),
        ("photo.jpg", b"MZ\x90\x00" + b"0" * 64),
    ],
)
def test_photos_are_checked_by_their_content_not_their_name(officer, inspection, name, content):
    with pytest.raises(ValidationError, match="not a JPEG or PNG"):
        inspection_result_record(
            actor=officer,
            inspection_id=inspection.pk,
            result=InspectionResult.PASSED,
            photos=[SimpleUploadedFile(name, content)],
        )
    assert not inspection.photos.exists()
    assert Declaration.objects.get(pk=inspection.declaration_id).status == Status.INSPECTION_REQUIRED


def test_photos_over_5_mb_are_refused(officer, inspection):
    big = SimpleUploadedFile("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024))
    with pytest.raises(ValidationError, match="at most 5 MB"):
        inspection_result_record(
            actor=officer, inspection_id=inspection.pk, result=InspectionResult.PASSED, photos=[big]
        )
