import pytest
from django.db.models import OuterRef

from declarations.choices import Lane, Status, WarningCode
from declarations.demo import demo_declarations_seed, demo_logistics_seed
from declarations.models import (
    ContainerEvent,
    Declaration,
    Manifest,
    ManifestLine,
    SensorReading,
    VerificationRun,
    VerificationWarning,
)
from declarations.services.crosscheck import VERIFIABLE
from portal.demo import demo_seed

pytestmark = pytest.mark.django_db


def test_demo_declarations_cover_every_reachable_state_and_both_procedures():
    demo_seed()
    created = demo_declarations_seed()
    statuses = set(Declaration.objects.values_list("status", flat=True))
    assert statuses >= {
        Status.DRAFT,
        Status.SUBMITTED,
        Status.UNDER_REVIEW,
        Status.AMENDMENT_REQUESTED,
        Status.RESUBMITTED,
        Status.INSPECTION_REQUIRED,
        Status.RELEASED,
        Status.REJECTED,
        Status.CANCELLED,
        Status.DEPARTED,
    }
    assert set(Declaration.objects.values_list("procedure", flat=True)) == {"integrated", "standard"}
    assert demo_declarations_seed() == 0
    assert Declaration.objects.count() == created


def test_demo_logistics_raise_every_warning_code_and_leave_clean_declarations_green():
    demo_seed()
    demo_declarations_seed()
    stored = demo_logistics_seed()
    assert stored > 0
    codes = set(VerificationWarning.objects.values_list("code", flat=True))
    assert codes == set(WarningCode.values)
    warned = VerificationWarning.objects.values("declaration_id")
    assert Declaration.objects.filter(lane=Lane.GREEN).exclude(pk__in=warned).exists()
    # The clean ones that verification put under review went green, unless randomly selected for a check.
    laned = VerificationRun.objects.filter(declaration__status=Status.UNDER_REVIEW).exclude(declaration__in=warned)
    assert laned.exists()
    assert all(run.lane == Lane.GREEN or run.randomly_selected for run in laned)
    assert all(run.declaration.lane == run.lane for run in laned.select_related("declaration"))
    unverified = Declaration.objects.filter(status__in=VERIFIABLE).exclude(
        pk__in=VerificationRun.objects.filter(declaration=OuterRef("pk"), version=OuterRef("version")).values(
            "declaration_id"
        )
    )
    assert not unverified.exists()  # `make run` has no worker: the seed verified them itself

    counts = [
        model.objects.count()
        for model in (Manifest, ManifestLine, ContainerEvent, SensorReading, VerificationRun, VerificationWarning)
    ]
    warnings = set(VerificationWarning.objects.values_list("pk", flat=True))
    assert demo_declarations_seed() == 0
    assert demo_logistics_seed() == 0
    assert [
        model.objects.count()
        for model in (Manifest, ManifestLine, ContainerEvent, SensorReading, VerificationRun, VerificationWarning)
    ] == counts
    assert set(VerificationWarning.objects.values_list("pk", flat=True)) == warnings
