"""Demo inspection sites at Shunde and Shekou, their slots, bookings in every state and a recorded inspection.

Built through the services and idempotent (run by ``manage.py seed_demo`` after the demo
declarations). The one exception is the no-show: a booking of a slot that has already
started cannot be made through ``booking_create`` (it is past the cut-off), so that one
booking of yesterday is written as it would have been made then, and the officer's no-show
is then recorded through ``booking_no_show``.
"""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from declarations.choices import Action, Lane, Status
from declarations.demo import Scenario, _input
from declarations.models import Declaration
from declarations.services import declaration_create_draft, declaration_submit, declaration_system_transition
from portal.models import Port, User

from .choices import BookingStatus, InspectionResult
from .models import Booking, Inspection, InspectionSite, InspectionSlot, PortInspectionSettings, SiteClosure
from .services import (
    Finding,
    booking_cancel,
    booking_create,
    booking_no_show,
    inspection_order,
    inspection_result_record,
    slots_generate,
)

SITES = [
    ("CNSUD", "Shunde Port Inspection Yard", "顺德港查验场", "Leliu Port Road 1, Shunde, Foshan"),
    ("CNSHK", "Shekou Container Inspection Centre", "蛇口集装箱查验中心", "Gangwan Avenue 8, Shekou, Shenzhen"),
]
# Declarations of this demo step: key → number used for its containers.
EXTRA = {"DEMO-BL-0101": 101, "DEMO-BL-0102": 102}


def _site(locode: str, name_en: str, name_zh: str, address: str) -> InspectionSite:
    port = Port.objects.get(locode=locode)
    site = InspectionSite.objects.filter(port=port, name_en=name_en).first()
    if site is None:
        site = InspectionSite(
            port=port,
            name_en=name_en,
            name_zh=name_zh,
            address=address,
            opens_at=time(9),
            closes_at=time(17),
            weekdays="0,1,2,3,4,5",
            slot_minutes=60,
            capacity_per_slot=2,
            cutoff_hours=24,
        )
        site.full_clean()
        site.save()
    return site


def _ordered(officer: User, trader: User, key: str) -> Inspection:
    """A red declaration of the demo trader with an inspection ordered."""
    declaration = Declaration.objects.filter(transport_document_number=key, declarant=trader.organisation).first()
    if declaration is None:
        scenario = Scenario("integrated", "CNSUD", "CNSHK", "NLRTM")
        declaration = declaration_create_draft(actor=trader, **_input(EXTRA[key], scenario, key))
        declaration_submit(actor=trader, declaration_id=declaration.pk)
        declaration_system_transition(declaration_id=declaration.pk, action=Action.START_REVIEW, lane=Lane.RED)
    inspection = Inspection.objects.filter(declaration=declaration).first()
    return inspection or inspection_order(
        actor=officer, declaration_id=declaration.pk, message="Check the wood species against the CITES list."
    )


def _free_slots(site: InspectionSite, count: int) -> list[InspectionSlot]:
    earliest = timezone.now() + timedelta(hours=site.cutoff_hours + 1)
    return list(
        InspectionSlot.objects.filter(site=site, starts_at__gte=earliest, booked=0).order_by("starts_at")[:count]
    )


@transaction.atomic
def demo_inspections_seed() -> int:
    """Create what is missing of the inspection demo; return how many bookings were made."""
    trader = User.objects.get(username="trader")
    officer = User.objects.get(username="officer.shunde")
    sites = [_site(*spec) for spec in SITES]
    shunde, shekou = sites
    PortInspectionSettings.objects.get_or_create(port=shekou.port, defaults={"release_on_pass": True})
    PortInspectionSettings.objects.get_or_create(port=shunde.port, defaults={"release_on_pass": False})
    today = timezone.localdate(timezone.now(), ZoneInfo(shunde.port.timezone))
    holiday = next(
        today + timedelta(days=offset) for offset in range(5, 12) if (today + timedelta(days=offset)).weekday() < 5
    )
    SiteClosure.objects.get_or_create(site=shekou, date=holiday, defaults={"reason": "Port open day (demo closure)"})
    slots_generate(days_ahead=14)
    made = 0

    # Booked after a cancelled first choice, at Shekou.
    inspection = _ordered(officer, trader, "DEMO-BL-0101")
    if not inspection.bookings.exists():
        first, second = _free_slots(shekou, 2)
        cancelled = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=first.pk)
        booking_cancel(actor=trader, booking_id=cancelled.pk)
        booking_create(actor=trader, inspection_id=inspection.pk, slot_id=second.pk)
        made += 2

    # A no-show yesterday at Shunde: the trader must book again.
    inspection = _ordered(officer, trader, "DEMO-BL-0102")
    if not inspection.bookings.exists():
        yesterday = today - timedelta(days=1)
        slots_generate(days_ahead=1, site_ids=[shunde.pk], today=yesterday)
        slot = InspectionSlot.objects.filter(site=shunde, starts_at__lt=timezone.now()).order_by("-starts_at").first()
        if slot is None:  # yesterday was a closed weekday: make the slot of an open hour
            slot = InspectionSlot.objects.create(
                site=shunde,
                starts_at=timezone.now() - timedelta(hours=20),
                ends_at=timezone.now() - timedelta(hours=19),
                capacity=2,
            )
        slot.booked += 1
        slot.save(update_fields=["booked"])
        booking = Booking.objects.create(
            inspection=inspection, slot=slot, booked_by=trader, booked_at=slot.starts_at - timedelta(days=2)
        )
        booking_no_show(actor=officer, booking_id=booking.pk)
        made += 1

    # The demo declaration in inspection_required (DEMO-BL-0006): booked at Shunde and passed there.
    declaration = Declaration.objects.filter(
        transport_document_number="DEMO-BL-0006", declarant=trader.organisation
    ).first()
    if declaration is not None and declaration.status == Status.INSPECTION_REQUIRED:
        inspection = Inspection.objects.filter(declaration=declaration, result="").first()
        if inspection is None:  # ordered before inspections existed
            inspection = Inspection.objects.create(declaration=declaration, ordered_by=officer)
        if not inspection.bookings.filter(status=BookingStatus.BOOKED).exists():
            booking_create(actor=officer, inspection_id=inspection.pk, slot_id=_free_slots(shunde, 1)[0].pk)
            made += 1
        first_item = declaration.items.order_by("line_number").first()
        inspection_result_record(
            actor=officer,
            inspection_id=inspection.pk,
            result=InspectionResult.PASSED_WITH_REMARKS,
            remarks="Goods as declared; two cartons re-packed after opening.",
            findings={first_item.pk: Finding(conforms=True, note="Oak confirmed; counted 40 tables.")},
            new_seals={container.number: f"CIQ{container.pk:06d}" for container in declaration.containers.all()},
        )
    return made
