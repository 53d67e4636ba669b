"""Demo declarations in every state, on the integrated route and on standard routes.

Built through the real services (so history and the ledger are as in real use) and
idempotent: a demo declaration is recognised by its transport document number.
"""

from decimal import Decimal

from django.db import transaction

from portal.models import User

from .choices import Action, Lane
from .models import Declaration
from .services import (
    declaration_amend,
    declaration_cancel,
    declaration_create_draft,
    declaration_decide,
    declaration_submit,
    declaration_system_transition,
)

GOODS = [
    ("940360", "Solid oak dining table", "PCE", 40, "1250.000", "1120.000", "9600.00"),
    ("940161", "Upholstered sofa with wooden frame", "PCE", 60, "2100.000", "1900.000", "14400.00"),
    ("940330", "Office desk, wooden", "PCE", 80, "1800.000", "1650.000", "7200.00"),
]
CONTAINERS = [("CSQU3054383", "45G1"), ("MSKU1234565", "45G1"), ("TGHU1234567", "22G1")]

# transport document → (procedure, origin, transfer, foreign port, steps after creating the draft)
SCENARIOS = {
    "DEMO-BL-0001": ("integrated", "CNSUD", "CNSHK", "NLRTM", []),
    "DEMO-BL-0002": ("integrated", "CNSUD", "CNSHK", "DEHAM", ["submit"]),
    "DEMO-BL-0003": ("integrated", "CNSUD", "CNSHK", "USLAX", ["submit", "review:yellow"]),
    "DEMO-BL-0004": ("integrated", "CNSUD", "CNSHK", "SGSIN", ["submit", "review:yellow", "ask_amendment"]),
    "DEMO-BL-0005": ("integrated", "CNSUD", "CNSHK", "BEANR",
                     ["submit", "review:yellow", "ask_amendment", "amend"]),
    "DEMO-BL-0006": ("integrated", "CNSUD", "CNSHK", "GBFXT", ["submit", "review:red", "order_inspection"]),
    "DEMO-BL-0007": ("integrated", "CNSUD", "CNSHK", "JPYOK", ["submit", "review:green", "release"]),
    "DEMO-BL-0008": ("integrated", "CNSUD", "CNSHK", "AEJEA", ["submit", "review:green", "release", "depart"]),
    "DEMO-BL-0009": ("integrated", "CNSUD", "CNSHK", "KRPUS", ["submit", "review:red", "reject"]),
    "DEMO-BL-0010": ("standard", "CNSHK", None, "AUSYD", ["submit", "cancel"]),
    "DEMO-BL-0011": ("standard", "CNSHK", None, "USLGB", ["submit", "review:green", "release"]),
}


def _input(number: int, procedure: str, origin: str, transfer: str | None, foreign: str, document: str) -> dict:
    goods = GOODS[: 1 + number % 3]
    return {
        "header": {
            "direction": "export", "procedure": procedure, "origin_port": origin, "transfer_port": transfer,
            "foreign_port": foreign, "transport_document_number": document,
            "consignor_name": "Shunde Pearl River Furniture Co., Ltd.", "consignor_address": "Lunjiao, Shunde",
            "consignee_name": "Harbourside Home Furnishings Ltd.", "consignee_address": "12 Quay Street",
            "consignee_country": "NL", "incoterm": "FOB", "invoice_currency": "USD",
        },
        "items": [
            {"hs_code": code, "description": text, "origin_country": "CN", "quantity": Decimal(packages),
             "unit": unit, "packages": packages, "gross_mass": Decimal(gross), "net_mass": Decimal(net),
             "value": Decimal(value)}
            for code, text, unit, packages, gross, net, value in goods
        ],
        "containers": [
            {"number": container, "size_type": size_type, "seal_number": f"SL{number:03d}{index}"}
            for index, (container, size_type) in enumerate(CONTAINERS[: 1 + number % 2])
        ],
    }


@transaction.atomic
def demo_declarations_seed() -> int:
    """Create the demo declarations that do not exist yet; return how many were created."""
    trader = User.objects.get(username="trader")
    officer = User.objects.get(username="officer.shunde")
    supervisor = User.objects.get(username="supervisor")
    created = 0
    for number, (document, (procedure, origin, transfer, foreign, steps)) in enumerate(SCENARIOS.items(), 1):
        if Declaration.objects.filter(transport_document_number=document, declarant=trader.organisation).exists():
            continue
        declaration = declaration_create_draft(
            actor=trader, **_input(number, procedure, origin, transfer, foreign, document)
        )
        decider = officer if origin == "CNSUD" else supervisor
        for step in steps:
            step_name, _colon, lane = step.partition(":")
            if step_name == "submit":
                declaration_submit(actor=trader, declaration_id=declaration.pk)
            elif step_name == "review":
                declaration_system_transition(declaration_id=declaration.pk, action=Action.START_REVIEW,
                                              lane=Lane(lane))
            elif step_name == "ask_amendment":
                declaration_decide(actor=decider, declaration_id=declaration.pk, action=Action.REQUEST_AMENDMENT,
                                   message="Please attach the packing list and confirm the net mass of line 1.")
            elif step_name == "amend":
                declaration_amend(actor=trader, declaration_id=declaration.pk)
            elif step_name == "cancel":
                declaration_cancel(actor=trader, declaration_id=declaration.pk, reason="Order withdrawn by buyer")
            elif step_name == "depart":
                declaration_system_transition(declaration_id=declaration.pk, action=Action.DEPART,
                                              note="Barge departed Shunde")
            else:
                message = "Declared value far below the reference range" if step_name == "reject" else ""
                declaration_decide(actor=decider, declaration_id=declaration.pk, action=step_name, message=message)
        created += 1
    return created
