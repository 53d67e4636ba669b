import pytest

from declarations.choices import Status
from declarations.demo import demo_declarations_seed
from declarations.models import Declaration
from portal.demo import demo_seed

pytestmark = pytest.mark.django_db


def test_demo_declarations_cover_every_reachable_state_and_both_procedures():
    demo_seed()
    created = demo_declarations_seed()
    statuses = set(Declaration.objects.values_list("status", flat=True))
    assert statuses >= {Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW, Status.AMENDMENT_REQUESTED,
                        Status.RESUBMITTED, Status.INSPECTION_REQUIRED, Status.RELEASED, Status.REJECTED,
                        Status.CANCELLED, Status.DEPARTED}
    assert set(Declaration.objects.values_list("procedure", flat=True)) == {"integrated", "standard"}
    assert demo_declarations_seed() == 0
    assert Declaration.objects.count() == created
