"""generate_load_data: small runs give sane, valid data; a second run adds, never collides; no ledger."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Sum
from django.utils import timezone

from declarations.choices import ContainerEventType, Lane, Procedure, Status
from declarations.models import (
    ContainerEvent,
    DashboardWeek,
    Declaration,
    DeclarationContainer,
    DeclarationItem,
    Manifest,
    ManifestLine,
    SensorReading,
    VerificationRun,
    VerificationWarning,
)
from declarations.services.dashboard import dashboard_port_refresh, dashboard_window_start, port_zone
from portal.ledger.models import LedgerEntry
from portal.models import Port

pytestmark = pytest.mark.django_db


def generate(count: int, **options) -> str:
    out = io.StringIO()
    call_command("generate_load_data", declarations=count, stdout=out, **options)
    return out.getvalue()


def test_small_run_creates_valid_realistic_declarations():
    ledger_before = LedgerEntry.objects.count()
    output = generate(400, batch=150, seed=7)
    assert "Added 400 declarations" in output

    declarations = Declaration.objects.all()
    assert declarations.count() == 400
    statuses = set(declarations.values_list("status", flat=True))
    assert {
        Status.DRAFT,
        Status.UNDER_REVIEW,
        Status.RELEASED,
        Status.REJECTED,
        Status.CANCELLED,
        Status.ARRIVED,
    }.issubset(statuses)
    assert set(declarations.values_list("procedure", flat=True)) == set(Procedure.values)
    assert {Lane.GREEN, Lane.YELLOW, Lane.RED}.issubset(set(declarations.values_list("lane", flat=True)))
    assert LedgerEntry.objects.count() == ledger_before  # nothing is written to the ledger

    now = timezone.now()
    for declaration in declarations.filter(submitted_at__isnull=False):
        assert now - dt.timedelta(weeks=12) <= declaration.submitted_at <= now
        assert declaration.decided_at is None or declaration.decided_at >= declaration.submitted_at
        assert declaration.created_at <= declaration.submitted_at
    assert not declarations.filter(status=Status.DRAFT, submitted_at__isnull=False).exists()
    assert not declarations.filter(
        status__in=[Status.RELEASED, Status.DEPARTED, Status.ARRIVED], decided_at__isnull=True
    ).exists()
    # The stored totals are the sums of the items.
    totals = declarations.annotate(
        items_value=Sum("items__value"), items_packages=Sum("items__packages"), items_number=Count("items")
    )
    assert not totals.exclude(total_value=F("items_value")).exists()
    assert not totals.exclude(total_packages=F("items_packages")).exists()
    assert not totals.exclude(item_count=F("items_number")).exists()
    assert not declarations.filter(procedure=Procedure.INTEGRATED, container_count=0).exists()

    # Every record passes the models' own validation (container check digits, masses, codes).
    for declaration in declarations.order_by("?")[:20]:
        declaration.full_clean()
    for item in DeclarationItem.objects.order_by("?")[:40]:
        item.full_clean()
    for container in DeclarationContainer.objects.order_by("?")[:40]:
        container.full_clean()

    # Evidence and verification results.
    verified = declarations.exclude(lane="")
    assert VerificationRun.objects.count() == verified.count()
    assert not VerificationRun.objects.exclude(version=F("declaration__version")).exists()
    assert not VerificationRun.objects.exclude(lane=F("declaration__lane")).exists()
    assert VerificationWarning.objects.exists()
    submitted = declarations.exclude(status=Status.DRAFT).count()
    assert 0.85 * submitted <= ManifestLine.objects.count() < submitted
    assert (
        ContainerEvent.objects.count()
        >= DeclarationContainer.objects.filter(declaration__submitted_at__isnull=False).count()
    )
    # About five logistics records per declaration (issue 10: 5,000,000 with 1,000,000 declarations).
    records = (
        Manifest.objects.count()
        + ManifestLine.objects.count()
        + ContainerEvent.objects.count()
        + SensorReading.objects.count()
    )
    assert records >= 5 * 400
    # The terminal's weighings add up to each declaration's gross mass: no mass warning from the data itself.
    weighed = dict(
        ContainerEvent.objects.filter(event_type=ContainerEventType.WEIGHED)
        .values_list("container_number")
        .annotate(total=Sum("weight"))
    )
    for declaration in declarations.filter(submitted_at__isnull=False).prefetch_related("containers")[:50]:
        numbers = [container.number for container in declaration.containers.all()]
        if numbers:
            assert sum(weighed[number] for number in numbers) == declaration.total_gross_mass
    # Inspections are in the history the dashboard reads.
    assert Declaration.history.filter(status=Status.INSPECTION_REQUIRED).exists()


def test_a_second_run_adds_more_without_collisions():
    generate(50, batch=20, seed=1)
    first_ids = set(Declaration.objects.values_list("pk", flat=True))
    generate(50, batch=50, seed=1)  # the same seed again: still new references and record ids
    assert Declaration.objects.count() == 100
    assert Declaration.objects.filter(pk__in=first_ids).count() == 50
    references = list(Declaration.objects.exclude(reference=None).values_list("reference", flat=True))
    assert len(references) == len(set(references))
    assert Declaration.objects.values("declarant").distinct().count() <= 20  # the load-test traders, reused


def test_the_dashboard_reads_generated_data():
    generate(300, batch=300, seed=3)
    port = Port.objects.get(locode="CNSUD")
    now = timezone.now()
    dashboard_port_refresh(port=port, now=now)

    weeks = DashboardWeek.objects.filter(port=port)
    released = Declaration.objects.filter(
        origin_port=port,
        status__in=[Status.RELEASED, Status.DEPARTED, Status.ARRIVED],
        decided_at__gte=dashboard_window_start(now, port_zone(port)),
    )
    assert released.exists()
    assert sum(w.released for w in weeks) == released.count()
    inspected = Declaration.history.filter(origin_port=port, status=Status.INSPECTION_REQUIRED).values("id")
    assert sum(w.inspections_ordered for w in weeks) == inspected.distinct().count() > 0


def test_help_says_there_are_no_ledger_entries():
    from declarations.management.commands.generate_load_data import Command

    assert "NO ledger" in Command.help


def test_generated_declarations_carry_their_current_warning_codes():
    """As the verification services keep them: the codes of the current version's warnings."""
    from declarations.models.declaration import warning_codes_text

    call_command("generate_load_data", declarations=300, batch=100, seed=6, stdout=io.StringIO())
    codes: dict[int, list[str]] = {}
    for declaration_id, code in VerificationWarning.objects.values_list("declaration_id", "code"):
        codes.setdefault(declaration_id, []).append(code)
    assert codes
    for declaration in Declaration.objects.filter(declarant__name_en__startswith="Load-test trader"):
        assert declaration.current_warning_codes == warning_codes_text(codes.get(declaration.pk, []))
