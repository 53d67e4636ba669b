import pytest

from declarations.choices import Status
from declarations.demo import demo_declarations_seed
from declarations.models import Declaration
from inspections.choices import BookingStatus
from inspections.demo import demo_inspections_seed
from inspections.models import Booking, Inspection, InspectionSite, InspectionSlot
from portal.demo import DEMO_STEPS, demo_seed

pytestmark = pytest.mark.django_db


def test_demo_has_sites_slots_bookings_in_every_state_and_a_recorded_inspection():
    assert DEMO_STEPS.index("inspections.demo.demo_inspections_seed") < DEMO_STEPS.index("portal.demo.demo_checkpoint")
    demo_seed()
    demo_declarations_seed()
    made = demo_inspections_seed()
    assert set(InspectionSite.objects.values_list("port__locode", flat=True)) == {"CNSUD", "CNSHK"}
    assert InspectionSlot.objects.count() > 50
    assert set(Booking.objects.values_list("status", flat=True)) == set(BookingStatus.values)
    recorded = Inspection.objects.exclude(result="").get()
    assert recorded.declaration.transport_document_number == "DEMO-BL-0006"
    assert recorded.declaration.status == Status.INSPECTED
    assert Declaration.objects.filter(status=Status.INSPECTION_REQUIRED).exists()  # still one to book in the demo
    # Every ordered inspection has its record (the declarations demo orders through inspection_order).
    assert not Declaration.objects.filter(status=Status.INSPECTION_REQUIRED, inspections__isnull=True).exists()
    assert made == 4
    assert demo_inspections_seed() == 0
    assert Booking.objects.count() == 4
