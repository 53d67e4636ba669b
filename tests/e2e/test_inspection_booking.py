"""A trader books an inspection slot in a real browser for a declaration in inspection_required; the Shunde
officer finds it on the day's list and records a pass."""

from datetime import time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from declarations.choices import Action, Lane, Status
from declarations.models import Declaration
from declarations.services import declaration_create_draft, declaration_submit, declaration_system_transition
from inspections.models import Booking, InspectionSite
from inspections.services import inspection_order
from portal.demo import DEMO_PASSWORD, demo_seed
from portal.models import Port, User
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_trader_books_a_slot_and_the_officer_records_a_pass(page, browser, live_server):
    demo_seed()
    trader = User.objects.get(username="trader")
    officer = User.objects.get(username="officer.shunde")
    site = InspectionSite.objects.create(
        port=Port.objects.get(locode="CNSUD"),
        name_en="Shunde Inspection Yard",
        opens_at=time(9),
        closes_at=time(17),
        weekdays="0,1,2,3,4,5,6",
        slot_minutes=60,
        capacity_per_slot=2,
        cutoff_hours=24,
    )
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(items=1, containers=1))
    declaration_submit(actor=trader, declaration_id=draft.pk)
    declaration_system_transition(declaration_id=draft.pk, action=Action.START_REVIEW, lane=Lane.RED)
    inspection_order(actor=officer, declaration_id=draft.pk)

    # The trader opens the declaration, follows the inspection link and books the first free slot.
    sign_in(page, "trader")
    page.goto(f"/declarations/{draft.pk}/")
    page.get_by_test_id("inspection-link").click()
    calendar = page.get_by_test_id("calendar")
    calendar.locator("button.slot-button").first.click()
    page.get_by_text("Booked:").wait_for()
    booking = Booking.objects.get(inspection__declaration=draft)
    assert booking.status == "booked" and booking.slot.site == site
    assert page.get_by_test_id("live-booking").is_visible()

    # The officer opens the day's list of the booked slot and records a pass.
    page.context.clear_cookies()
    sign_in(page, "officer.shunde")
    day = timezone.localtime(booking.slot.starts_at, ZoneInfo("Asia/Shanghai")).date()
    page.goto(f"/inspections/sites/{site.pk}/day/?date={day.isoformat()}")
    entry = page.get_by_test_id("day-entry")
    assert Declaration.objects.get(pk=draft.pk).reference in entry.inner_text()
    entry.get_by_role("link", name="Record the result").click()
    page.get_by_label("Passed", exact=True).check()
    page.get_by_label("New seal on CSQU3054383").fill("CIQ2026001")
    page.get_by_role("button", name="Record the result").click()
    page.get_by_test_id("result").wait_for()
    assert page.get_by_test_id("result").inner_text() == "Passed"
    declaration = Declaration.objects.get(pk=draft.pk)
    assert declaration.status == Status.INSPECTED
    assert declaration.inspections.get().new_seal_numbers == {"CSQU3054383": "CIQ2026001"}
