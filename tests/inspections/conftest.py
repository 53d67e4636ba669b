"""Inspection fixtures built through the real services: a red declaration with an inspection ordered, two sites."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from declarations.choices import Action, Lane
from declarations.services import declaration_create_draft, declaration_submit, declaration_system_transition
from inspections.models import InspectionSite, InspectionSlot
from inspections.services import inspection_order, slots_generate
from portal.models import Port
from tests import factories


def site_at(locode: str, **overrides) -> InspectionSite:
    values = {
        "name_en": f"{locode} inspection yard",
        "opens_at": time(9),
        "closes_at": time(17),
        "weekdays": "0,1,2,3,4,5,6",
        "slot_minutes": 60,
        "capacity_per_slot": 2,
        "cutoff_hours": 24,
    }
    values.update(overrides)
    return InspectionSite.objects.create(port=Port.objects.get(locode=locode), **values)


def red_declaration(trader, **header):
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(items=2, containers=2, **header))
    declaration_submit(actor=trader, declaration_id=draft.pk)
    return declaration_system_transition(declaration_id=draft.pk, action=Action.START_REVIEW, lane=Lane.RED)


def future_slot(site: InspectionSite, *, capacity: int | None = None, days: int = 3, hour: int = 10) -> InspectionSlot:
    """A slot well past the cut-off window, made directly (the slot generator is tested on its own)."""
    start = (timezone.now() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return InspectionSlot.objects.create(
        site=site, starts_at=start, ends_at=start + timedelta(hours=1), capacity=capacity or site.capacity_per_slot
    )


@pytest.fixture
def trader():
    return factories.trader()


@pytest.fixture
def officer():
    return factories.customs_officer(ports=("CNSUD",))


@pytest.fixture
def other_officer():
    return factories.customs_officer(ports=("CNSHK",))


@pytest.fixture
def supervisor():
    return factories.customs_supervisor(ports=("CNSUD", "CNSHK"))


@pytest.fixture
def shunde():
    return site_at("CNSUD")


@pytest.fixture
def shekou():
    return site_at("CNSHK")


@pytest.fixture
def inspection(trader, officer):
    declaration = red_declaration(trader)
    return inspection_order(actor=officer, declaration_id=declaration.pk, message="Check the wood")


@pytest.fixture
def slots(shunde, shekou):
    slots_generate(days_ahead=7)
    return InspectionSlot.objects.all()
