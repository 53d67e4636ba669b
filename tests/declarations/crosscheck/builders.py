"""Small builders of evidence facts: a clean, consistent integrated export by default, so a
test changes only what its rule looks at."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from declarations.crosscheck.evidence import (
    ContainerEventFacts,
    ContainerFacts,
    DeclarationFacts,
    EvidenceBundle,
    ItemFacts,
    ManifestLineFacts,
    SensorReadingFacts,
    SiblingFacts,
    Tolerances,
)

ORIGIN = "CNSUD"  # Shunde, river port of clearance
TRANSFER = "CNSHK"  # Shekou, hub
FOREIGN = "NLRTM"  # Rotterdam
CONTAINER_A = "CSQU3054383"
CONTAINER_B = "MSKU1234565"
CONTAINER_C = "TGHU7654320"
REEFER = "CAIU1002000"
DOCUMENT = "COSU6123456780"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    """A time ``hours`` after T0."""
    return T0 + timedelta(hours=hours)


def item(**overrides) -> ItemFacts:
    values = {
        "line": 1,
        "hs_code": "8516500000",
        "description": "Microwave ovens",
        "origin_country": "CN",
        "quantity": Decimal("500"),
        "unit": "PCE",
        "packages": 50,
        "gross_mass": Decimal("6000"),
        "net_mass": Decimal("5000"),
        "value": Decimal("25000"),
    }
    values.update(overrides)
    return ItemFacts(**values)


def container(number: str = CONTAINER_A, **overrides) -> ContainerFacts:
    values = {"number": number, "size_type": "45G1", "seal_number": f"SEAL-{number[-4:]}"}
    values.update(overrides)
    return ContainerFacts(**values)


def reefer(number: str = REEFER, **overrides) -> ContainerFacts:
    values = {"size_type": "45R1", "temperature_min": Decimal("-20"), "temperature_max": Decimal("-18")}
    values.update(overrides)
    return container(number, **values)


def declaration(**overrides) -> DeclarationFacts:
    values = {
        "id": 1,
        "reference": "HSW-2025-000001",
        "version": 1,
        "status": "submitted",
        "direction": "export",
        "procedure": "integrated",
        "origin_port": ORIGIN,
        "transfer_port": TRANSFER,
        "foreign_port": FOREIGN,
        "transport_document_number": DOCUMENT,
        "consignee_name": "Rotterdam Appliances B.V.",
        "invoice_currency": "USD",
        "declarant_id": 7,
        "total_packages": 100,
        "total_gross_mass": Decimal("12000"),
        "total_value": Decimal("50000"),
        "released_at": None,
        "items": (item(line=1), item(line=2)),
        "containers": (container(CONTAINER_A), container(CONTAINER_B)),
    }
    values.update(overrides)
    return DeclarationFacts(**values)


def manifest_line(**overrides) -> ManifestLineFacts:
    values = {
        "manifest_id": 10,
        "line_id": 100,
        "carrier": "COSCO",
        "vessel": "Shunde Barge 8",
        "voyage": "SB8-031",
        "port_of_loading": ORIGIN,
        "port_of_discharge": TRANSFER,
        "transport_document_number": DOCUMENT,
        "consignee_name": "ROTTERDAM APPLIANCES BV",
        "packages": 100,
        "gross_mass": Decimal("12000"),
        "containers": (CONTAINER_A, CONTAINER_B),
    }
    values.update(overrides)
    return ManifestLineFacts(**values)


def event(
    id: int,
    container_number: str = CONTAINER_A,
    event_type: str = "gate_in",
    port: str = ORIGIN,
    hours: float = 0,
    **overrides,
) -> ContainerEventFacts:
    return ContainerEventFacts(
        id=id,
        container_number=container_number,
        event_type=event_type,
        port=port,
        occurred_at=at(hours),
        **overrides,
    )


def reading(
    id: int,
    container_number: str = CONTAINER_A,
    kind: str = "seal_status",
    value: str = "closed",
    hours: float = 0,
    device: str = "ESEAL-1",
) -> SensorReadingFacts:
    return SensorReadingFacts(
        id=id,
        container_number=container_number,
        device=device,
        kind=kind,
        value=value,
        read_at=at(hours),
    )


def sibling(**overrides) -> SiblingFacts:
    values = {
        "id": 2,
        "reference": "HSW-2025-000002",
        "total_packages": 40,
        "total_gross_mass": Decimal("4000"),
        "container_numbers": frozenset({CONTAINER_C}),
    }
    values.update(overrides)
    return SiblingFacts(**values)


def bundle(declaration_facts: DeclarationFacts | None = None, **overrides) -> EvidenceBundle:
    """A bundle whose manifest agrees with the declaration, unless told otherwise."""
    values = {
        "declaration": declaration_facts or declaration(),
        "manifest_lines": (manifest_line(),),
        "events": (),
        "readings": (),
        "siblings": (),
        "tolerances": Tolerances(),
    }
    values.update(overrides)
    return EvidenceBundle(**values)


def with_declaration(evidence: EvidenceBundle, **overrides) -> EvidenceBundle:
    """The same bundle with some declaration facts changed."""
    return replace(evidence, declaration=replace(evidence.declaration, **overrides))
