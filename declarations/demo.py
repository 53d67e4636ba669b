"""Demo declarations in every state, and the logistics evidence that cross-verifies them.

Built through the real services (so history, the ledger and verification are as in real
use) and idempotent: a demo declaration is recognised by its transport document number
(and, for the second declaration of one document, by how many that document has), a
logistics record by its sender's external id.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from portal.models import User

from .choices import Action, ContainerEventType, Lane, SensorKind
from .models import Declaration, VerificationRun
from .services import (
    declaration_amend,
    declaration_cancel,
    declaration_create_draft,
    declaration_decide,
    declaration_submit,
    declaration_system_transition,
)
from .services.crosscheck import VERIFIABLE, declaration_verify
from .services.logistics import container_events_ingest, manifests_ingest, sensor_readings_ingest
from .validators import iso6346_check_digit

# (HS code, description, unit, packages, gross kg, net kg, value USD); the quantity is the packages,
# or the net mass for goods counted in kilograms
GOODS = [
    ("940360", "Solid oak dining table", "PCE", 40, "1250.000", "1120.000", "9600.00"),
    ("940161", "Upholstered sofa with wooden frame", "PCE", 60, "2100.000", "1900.000", "14400.00"),
    ("940330", "Office desk, wooden", "PCE", 80, "1800.000", "1650.000", "7200.00"),
]
FROZEN_COD = [
    ("030471", "Frozen cod fillets, skinless, in 10 kg cartons", "KGM", 1800, "19200.000", "18000.000", "151200.00")
]
HYDROGEN_FLUORIDE = [
    ("281111", "Anhydrous hydrogen fluoride in steel cylinders", "KGM", 24, "2880.000", "1200.000", "4800.00")
]
# 8 USD a sofa: far below the reference range of 940161 (40–800 USD/unit, factor 3).
CHEAP_SOFAS = [("940161", "Upholstered sofa with wooden frame", "PCE", 60, "2100.000", "1900.000", "480.00")]
CONSIGNEE = "Harbourside Home Furnishings Ltd."


@dataclass(frozen=True)
class Scenario:
    procedure: str
    origin: str
    transfer: str | None
    foreign: str
    steps: tuple[str, ...] = ()
    goods: tuple[tuple, ...] | None = None  # default: the first 1–3 furniture lines, by scenario number
    reefer: tuple[str, str] | None = None  # declared temperature range (°C) of a single reefer container


# Key: the transport document; "<document>#2" is the second declaration of that document.
SCENARIOS = {
    "DEMO-BL-0001": Scenario("integrated", "CNSUD", "CNSHK", "NLRTM"),
    "DEMO-BL-0002": Scenario("integrated", "CNSUD", "CNSHK", "DEHAM", ("submit",)),
    "DEMO-BL-0003": Scenario("integrated", "CNSUD", "CNSHK", "USLAX", ("submit", "review:yellow")),
    "DEMO-BL-0004": Scenario("integrated", "CNSUD", "CNSHK", "SGSIN", ("submit", "review:yellow", "ask_amendment")),
    "DEMO-BL-0005": Scenario(
        "integrated", "CNSUD", "CNSHK", "BEANR", ("submit", "review:yellow", "ask_amendment", "amend")
    ),
    "DEMO-BL-0006": Scenario("integrated", "CNSUD", "CNSHK", "GBFXT", ("submit", "review:red", "order_inspection")),
    "DEMO-BL-0007": Scenario("integrated", "CNSUD", "CNSHK", "JPYOK", ("submit", "review:green", "release")),
    "DEMO-BL-0008": Scenario("integrated", "CNSUD", "CNSHK", "AEJEA", ("submit", "review:green", "release", "depart")),
    "DEMO-BL-0009": Scenario("integrated", "CNSUD", "CNSHK", "KRPUS", ("submit", "review:red", "reject")),
    "DEMO-BL-0010": Scenario("standard", "CNSHK", None, "AUSYD", ("submit", "cancel")),
    "DEMO-BL-0011": Scenario("standard", "CNSHK", None, "USLGB", ("submit", "review:green", "release")),
    # Submitted, then verified by demo_logistics_seed against the evidence planned in EVIDENCE.
    "DEMO-BL-0012": Scenario("integrated", "CNSUD", "CNSHK", "NLRTM", ("submit",)),
    "DEMO-BL-0013": Scenario(
        "integrated", "CNSUD", "CNSHK", "NLRTM", ("submit",), goods=tuple(FROZEN_COD), reefer=("-25.0", "-18.0")
    ),
    "DEMO-BL-0014": Scenario("integrated", "CNSUD", "CNSHK", "KRPUS", ("submit",), goods=tuple(HYDROGEN_FLUORIDE)),
    "DEMO-BL-0015": Scenario("integrated", "CNSUD", "CNSHK", "DEHAM", ("submit",), goods=tuple(CHEAP_SOFAS)),
    "DEMO-BL-0016": Scenario("integrated", "CNSUD", "CNSHK", "BEANR", ("submit",)),
    "DEMO-BL-0016#2": Scenario("integrated", "CNSUD", "CNSHK", "BEANR", ("submit",)),
    "DEMO-BL-0017": Scenario("integrated", "CNSUD", "CNSHK", "GBFXT", ("submit",)),
    "DEMO-BL-0018": Scenario("integrated", "CNSUD", "CNSHK", "SGSIN", ("submit",)),
    "DEMO-BL-0019": Scenario("integrated", "CNSUD", "CNSHK", "JPYOK", ("submit",)),
    "DEMO-BL-0020": Scenario("standard", "CNSHK", None, "USLGB", ("submit",)),
}


def demo_container_number(number: int, index: int) -> str:
    """Each scenario has its own containers (owner code PDBU), so evidence for one concerns no other."""
    first_ten = f"PDBU{number:04d}{index:02d}"
    return first_ten + str(iso6346_check_digit(first_ten))


def _document(key: str) -> tuple[str, int]:
    """``"DEMO-BL-0016#2"`` → ``("DEMO-BL-0016", 2)``: the transport document and which of its declarations."""
    document, _hash, ordinal = key.partition("#")
    return document, int(ordinal or 1)


def _input(number: int, scenario: Scenario, document: str) -> dict:
    goods = scenario.goods or GOODS[: 1 + number % 3]
    if scenario.reefer:
        low, high = scenario.reefer
        containers = [
            {
                "number": demo_container_number(number, 0),
                "size_type": "45R1",
                "seal_number": f"SL{number:03d}0",
                "temperature_min": Decimal(low),
                "temperature_max": Decimal(high),
            }
        ]
    else:
        containers = [
            {
                "number": demo_container_number(number, index),
                "size_type": size_type,
                "seal_number": f"SL{number:03d}{index}",
            }
            for index, size_type in enumerate(("45G1", "22G1")[: 1 + number % 2])
        ]
    return {
        "header": {
            "direction": "export",
            "procedure": scenario.procedure,
            "origin_port": scenario.origin,
            "transfer_port": scenario.transfer,
            "foreign_port": scenario.foreign,
            "transport_document_number": document,
            "consignor_name": "Shunde Pearl River Furniture Co., Ltd.",
            "consignor_address": "Lunjiao, Shunde",
            "consignee_name": CONSIGNEE,
            "consignee_address": "12 Quay Street",
            "consignee_country": "NL",
            "incoterm": "FOB",
            "invoice_currency": "USD",
        },
        "items": [
            {
                "hs_code": code,
                "description": text,
                "origin_country": "CN",
                "quantity": Decimal(net) if unit == "KGM" else Decimal(packages),
                "unit": unit,
                "packages": packages,
                "gross_mass": Decimal(gross),
                "net_mass": Decimal(net),
                "value": Decimal(value),
            }
            for code, text, unit, packages, gross, net, value in goods
        ],
        "containers": containers,
    }


@transaction.atomic
def demo_declarations_seed() -> int:
    """Create the demo declarations that do not exist yet; return how many were created."""
    trader = User.objects.get(username="trader")
    officer = User.objects.get(username="officer.shunde")
    supervisor = User.objects.get(username="supervisor")
    created = 0
    for number, (key, scenario) in enumerate(SCENARIOS.items(), 1):
        document, ordinal = _document(key)
        existing = Declaration.objects.filter(transport_document_number=document, declarant=trader.organisation)
        if existing.count() >= ordinal:
            continue
        declaration = declaration_create_draft(actor=trader, **_input(number, scenario, document))
        decider = officer if scenario.origin == "CNSUD" else supervisor
        for step in scenario.steps:
            step_name, _colon, lane = step.partition(":")
            if step_name == "submit":
                declaration_submit(actor=trader, declaration_id=declaration.pk)
            elif step_name == "review":
                declaration_system_transition(
                    declaration_id=declaration.pk, action=Action.START_REVIEW, lane=Lane(lane)
                )
            elif step_name == "ask_amendment":
                declaration_decide(
                    actor=decider,
                    declaration_id=declaration.pk,
                    action=Action.REQUEST_AMENDMENT,
                    message="Please attach the packing list and confirm the net mass of line 1.",
                )
            elif step_name == "amend":
                declaration_amend(actor=trader, declaration_id=declaration.pk)
            elif step_name == "cancel":
                declaration_cancel(actor=trader, declaration_id=declaration.pk, reason="Order withdrawn by buyer")
            elif step_name == "depart":
                declaration_system_transition(
                    declaration_id=declaration.pk, action=Action.DEPART, note="Barge departed Shunde"
                )
            else:
                message = "Declared value far below the reference range" if step_name == "reject" else ""
                if step_name == "order_inspection":  # the inspection record comes with the order
                    from inspections.services import inspection_order

                    inspection_order(actor=decider, declaration_id=declaration.pk, message=message)
                    continue
                declaration_decide(actor=decider, declaration_id=declaration.pk, action=step_name, message=message)
        created += 1
    return created


# --- logistics evidence ---------------------------------------------------------------------------------------------

# What the carrier, the terminal and the IoT devices report for each verifiable demo declaration,
# as deviations from the declaration; an empty plan is evidence that agrees with it (clean → green).
# DEMO-BL-0002 has no plan: its manifest has not arrived (MANIFEST_MISSING).
# SENSITIVE_GOODS (0014) and VALUE_ANOMALY (0015) come from the goods themselves.
EVIDENCE = {
    "DEMO-BL-0003": {"manifest_containers": "first_and_unknown"},  # CONTAINER_NOT_ON_MANIFEST, UNDECLARED_CONTAINER
    "DEMO-BL-0005": {"weighed_factor": Decimal("1.18"), "seal_seen": "SL-TS-77120"},  # GROSS_MASS, SEAL_MISMATCH
    "DEMO-BL-0006": {"off_route_port": "CNNSA"},  # ROUTE_MISMATCH
    "DEMO-BL-0007": {},
    "DEMO-BL-0008": {"loaded_after_release": True},  # loading after release raises nothing
    "DEMO-BL-0011": {},
    "DEMO-BL-0012": {
        "manifest_packages_extra": 12,  # PACKAGE_COUNT_MISMATCH
        "manifest_consignee": "Harbour Side Trading B.V.",
    },  # CONSIGNEE_MISMATCH
    "DEMO-BL-0013": {"temperatures": ("-21.5", "-19.0", "-12.5")},  # TEMPERATURE_EXCURSION
    "DEMO-BL-0014": {},
    "DEMO-BL-0015": {},
    "DEMO-BL-0016": {"manifest_packages_short": 30},  # MANIFEST_WRITE_OFF_EXCEEDED (with its #2 declaration)
    "DEMO-BL-0018": {"seal_opened_on_barge": True},  # LOADED_BEFORE_RELEASE, SEAL_BROKEN
    # Clean and submitted: green, unless the port's random selection (5 %) sends one to yellow.
    "DEMO-BL-0017": {},
    "DEMO-BL-0019": {},
    "DEMO-BL-0020": {},
}
BARGE = {"carrier": "Pearl Delta Barge Lines", "vessel": "YUE HAI 18", "voyage": "2611S"}
OCEAN = {
    "carrier": "Pearl Delta Barge Lines (slot on COSCO SHIPPING ARIES)",
    "vessel": "COSCO SHIPPING ARIES",
    "voyage": "061E",
}
UNKNOWN_CONTAINER = demo_container_number(9999, 0)


def _split(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` kg over ``parts`` containers, to the gram, the rest on the last."""
    share = (total / parts).quantize(Decimal("0.001"))
    return [share] * (parts - 1) + [total - share * (parts - 1)]


def _evidence_for(document: str, declarations: list[Declaration], plan: dict, now) -> tuple[dict, list, list]:
    """The manifest line, container events and sensor readings of one transport document."""
    declaration = declarations[0]
    containers = [container for each in declarations for container in each.containers.order_by("id")]
    numbers = [container.number for container in containers]
    if plan.get("manifest_containers") == "first_and_unknown":
        numbers = [numbers[0], UNKNOWN_CONTAINER]
    packages = sum(each.total_packages for each in declarations)
    packages += plan.get("manifest_packages_extra", 0) - plan.get("manifest_packages_short", 0)
    line = {
        "transport_document_number": document,
        "consignee_name": plan.get("manifest_consignee", CONSIGNEE.upper().replace("LTD.", "LIMITED")),
        "packages": packages,
        "gross_mass": str(sum(each.total_gross_mass for each in declarations)),
        "containers": numbers,
    }
    origin = declaration.origin_port.locode
    events, readings = [], []
    for each in declarations:
        own = list(each.containers.order_by("id"))
        weighed = (each.total_gross_mass * plan.get("weighed_factor", 1)).quantize(Decimal("0.001"))
        weights = _split(weighed, len(own))
        for container, weight in zip(own, weights, strict=True):
            number = container.number
            seal = plan.get("seal_seen", container.seal_number)
            events += [
                {
                    "external_id": f"DEMO-{number}-gate_in",
                    "container_number": number,
                    "event_type": "gate_in",
                    "port": origin,
                    "occurred_at": (now - timedelta(hours=6)).isoformat(),
                    "seal_number": seal,
                },
                {
                    "external_id": f"DEMO-{number}-weighed",
                    "container_number": number,
                    "event_type": "weighed",
                    "port": origin,
                    "occurred_at": (now - timedelta(hours=5, minutes=40)).isoformat(),
                    "weight": str(weight),
                },
            ]
            readings.append(
                {
                    "external_id": f"DEMO-{number}-seal-1",
                    "container_number": number,
                    "device": f"ESEAL-{number[4:10]}",
                    "kind": SensorKind.SEAL_STATUS,
                    "value": "closed",
                    "read_at": (now - timedelta(hours=5, minutes=30)).isoformat(),
                }
            )
            if plan.get("off_route_port"):
                events.append(
                    {
                        "external_id": f"DEMO-{number}-discharged-{plan['off_route_port']}",
                        "container_number": number,
                        "event_type": ContainerEventType.DISCHARGED,
                        "port": plan["off_route_port"],
                        "vessel": BARGE["vessel"],
                        "voyage": BARGE["voyage"],
                        "occurred_at": (now - timedelta(hours=2)).isoformat(),
                    }
                )
            if plan.get("loaded_after_release"):
                loaded_at = max(now, each.decided_at + timedelta(seconds=1))
                events.append(
                    {
                        "external_id": f"DEMO-{number}-loaded",
                        "container_number": number,
                        "event_type": ContainerEventType.LOADED,
                        "port": origin,
                        "vessel": BARGE["vessel"],
                        "voyage": BARGE["voyage"],
                        "occurred_at": loaded_at.isoformat(),
                    }
                )
            if plan.get("seal_opened_on_barge"):
                events.append(
                    {
                        "external_id": f"DEMO-{number}-loaded",
                        "container_number": number,
                        "event_type": ContainerEventType.LOADED,
                        "port": origin,
                        "vessel": BARGE["vessel"],
                        "voyage": BARGE["voyage"],
                        "occurred_at": (now - timedelta(hours=3)).isoformat(),
                    }
                )
                readings.append(
                    {
                        "external_id": f"DEMO-{number}-seal-2",
                        "container_number": number,
                        "device": f"ESEAL-{number[4:10]}",
                        "kind": SensorKind.SEAL_STATUS,
                        "value": "open",
                        "read_at": (now - timedelta(hours=2, minutes=15)).isoformat(),
                    }
                )
            for index, value in enumerate(plan.get("temperatures", ())):
                readings.append(
                    {
                        "external_id": f"DEMO-{number}-temperature-{index}",
                        "container_number": number,
                        "device": f"REEFER-{number[4:10]}",
                        "kind": SensorKind.TEMPERATURE,
                        "value": value,
                        "read_at": (now - timedelta(hours=5 - index)).isoformat(),
                    }
                )
    return line, events, readings


@transaction.atomic
def demo_logistics_seed() -> int:
    """Post the demo manifests, container events and sensor readings through the ingest services
    (as the demo carrier and terminal), then verify the demo declarations that can be verified.

    Requires ``demo_declarations_seed``. Idempotent: records are recognised by their external
    ids, and a declaration is verified again only when new records arrived or its current
    version has no result yet. Verification is called directly, so ``make run`` (no worker)
    shows warnings and lanes at once. Returns how many records were stored.
    """
    trader = User.objects.get(username="trader")
    carrier = User.objects.get(username="carrier")
    terminal = User.objects.get(username="terminal")
    now = timezone.now()
    demo = list(
        Declaration.objects.filter(
            declarant=trader.organisation, transport_document_number__in={_document(key)[0] for key in SCENARIOS}
        )
        .select_related("origin_port")
        .order_by("pk")
    )
    by_document: dict[str, list[Declaration]] = {}
    for declaration in demo:
        by_document.setdefault(declaration.transport_document_number, []).append(declaration)

    manifests = {"barge": [], "ocean": []}
    events, readings = [], []
    for document, plan in EVIDENCE.items():
        declarations = by_document.get(document)
        if not declarations:
            continue
        line, document_events, document_readings = _evidence_for(document, declarations, plan, now)
        manifests["barge" if declarations[0].procedure == "integrated" else "ocean"].append(line)
        events += document_events
        readings += document_readings
    manifest_records = [
        {
            "external_id": "DEMO-MF-YUEHAI18-2611S",
            **BARGE,
            "port_of_loading": "CNSUD",
            "port_of_discharge": "CNSHK",
            "lines": manifests["barge"],
        },
        {
            "external_id": "DEMO-MF-ARIES-061E",
            **OCEAN,
            "port_of_loading": "CNSHK",
            "port_of_discharge": "USLGB",
            "lines": manifests["ocean"],
        },
    ]
    stored = manifests_ingest(actor=carrier, records=[record for record in manifest_records if record["lines"]]).stored
    stored += container_events_ingest(actor=terminal, records=events).stored
    stored += sensor_readings_ingest(actor=terminal, records=readings).stored

    verified = set(VerificationRun.objects.filter(declaration__in=demo).values_list("declaration_id", "version"))
    for declaration in Declaration.objects.filter(pk__in=[d.pk for d in demo], status__in=VERIFIABLE).order_by("pk"):
        if stored or (declaration.pk, declaration.version) not in verified:
            declaration_verify(declaration_id=declaration.pk)
    return stored
