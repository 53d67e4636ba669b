"""The evidence bundle: everything one verification looks at, as plain immutable values.

Rules receive only this, never the ORM, so each can be tested with hand-built facts.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class ItemFacts:
    line: int
    hs_code: str
    description: str
    origin_country: str
    quantity: Decimal
    unit: str
    packages: int
    gross_mass: Decimal
    net_mass: Decimal
    value: Decimal
    sensitive_reason: str = ""  # of the code or the nearest ancestor that has one
    sensitive_note: str = ""
    unit_value_min: Decimal | None = None  # reference range, in USD per value_unit
    unit_value_max: Decimal | None = None
    value_unit: str = ""  # "USD/kg", "USD/unit" or "USD/pair"


@dataclass(frozen=True)
class ContainerFacts:
    number: str
    size_type: str
    seal_number: str
    temperature_min: Decimal | None = None
    temperature_max: Decimal | None = None

    @property
    def is_reefer(self) -> bool:
        return len(self.size_type) == 4 and self.size_type[2] == "R"


@dataclass(frozen=True)
class DeclarationFacts:
    id: int
    reference: str
    version: int
    status: str
    direction: str
    procedure: str
    origin_port: str  # UN/LOCODE; the port of clearance
    transfer_port: str | None
    foreign_port: str | None
    transport_document_number: str
    consignee_name: str
    invoice_currency: str
    declarant_id: int
    total_packages: int
    total_gross_mass: Decimal
    total_value: Decimal
    released_at: datetime | None
    items: tuple[ItemFacts, ...] = ()
    containers: tuple[ContainerFacts, ...] = ()

    @property
    def route_ports(self) -> frozenset[str]:
        return frozenset(port for port in (self.origin_port, self.transfer_port, self.foreign_port) if port)

    @property
    def container_numbers(self) -> frozenset[str]:
        return frozenset(container.number for container in self.containers)


@dataclass(frozen=True)
class ManifestLineFacts:
    manifest_id: int
    line_id: int
    carrier: str
    vessel: str
    voyage: str
    port_of_loading: str
    port_of_discharge: str
    transport_document_number: str
    consignee_name: str
    packages: int
    gross_mass: Decimal
    containers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContainerEventFacts:
    id: int
    container_number: str
    event_type: str
    port: str
    occurred_at: datetime
    vessel: str = ""
    voyage: str = ""
    seal_number: str = ""
    weight: Decimal | None = None


@dataclass(frozen=True)
class SensorReadingFacts:
    id: int
    container_number: str
    device: str
    kind: str
    value: str
    read_at: datetime


@dataclass(frozen=True)
class SiblingFacts:
    """Another live declaration (not cancelled or rejected) of the same transport document."""

    id: int
    reference: str
    total_packages: int
    total_gross_mass: Decimal
    container_numbers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Tolerances:
    gross_mass_percent: Decimal = Decimal("5")
    temperature: Decimal = Decimal("1.0")
    value_anomaly_factor: Decimal = Decimal("3")


@dataclass(frozen=True)
class EvidenceBundle:
    declaration: DeclarationFacts
    manifest_lines: tuple[ManifestLineFacts, ...] = ()  # lines carrying the declaration's transport document
    events: tuple[ContainerEventFacts, ...] = ()  # of the declared containers, oldest first
    readings: tuple[SensorReadingFacts, ...] = ()  # of the declared containers, oldest first
    siblings: tuple[SiblingFacts, ...] = ()
    tolerances: Tolerances = field(default_factory=Tolerances)


@dataclass(frozen=True)
class Finding:
    """One warning a rule raises: a stable code, how serious, what to do, and the evidence."""

    code: str
    severity: str
    message: str
    key: str = ""  # what it is about (a container, an item line) so one code can be raised per subject
    evidence: dict = field(default_factory=dict)
