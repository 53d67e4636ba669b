"""The load day's requests: what each system sends and how often, kept apart from ``load_day`` (which
patches the standard library with gevent when imported), so that ``bench_cost`` can send the same
requests in-process and the test run can import them.

At scale 1 the systems together offer the issue's target: traders' tasks are 10 declarations to 1
financing request, so 5.5 tasks/s × 10 trader systems = 50 submissions/s; 2.2 bulk POSTs/s × 3
terminals × 250 records + 2 POSTs/s × 5 manifests × (1 + 40 lines) = 2,060 logistics records/s.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from declarations.validators import iso6346_check_digit

EVENTS_PER_CALL = 250  # container events per bulk POST, as a terminal system sends them
READINGS_PER_CALL = 250  # sensor readings per bulk POST
MANIFESTS_PER_CALL = 5  # manifests per POST, each with LINES_PER_MANIFEST bills of lading
LINES_PER_MANIFEST = 40
TRADER_TASKS_PER_SECOND = 5.5  # per trader system; ten of them
TERMINAL_CALLS_PER_SECOND = 2.2  # per terminal system; three of them
CARRIER_CALLS_PER_SECOND = 2  # one barge line
TRADERS, TERMINALS, CARRIERS = 10, 3, 1  # systems of each kind (the locust users' weights)
# People keep their pace whatever the scale: officers each work one round (queue page, filtered list, a
# declaration, a decision) every ``bench_load.OFFICER_ROUND_SECONDS``; bank officers start a round (list,
# one request, a decision) BANK_ROUNDS_PER_SECOND times a second each, as a Poisson process.
OFFICERS, SUPERVISORS, BANK_OFFICERS = 6, 2, 2
BANK_ROUNDS_PER_SECOND = 0.5
# How a trader's system sends a declaration: "one-call" files it complete (``POST /declarations?submit=true``,
# created and submitted in one transaction), as a system that holds the whole declaration does; "two-calls"
# creates a draft and then submits it (the load of the sessions before filing in one call existed, kept to
# compare the two). ``LOAD_FILING`` in the environment chooses; ``bench_load`` and ``bench_cost`` pass it on
# to their children.
FILINGS = ("one-call", "two-calls")
FILING = os.environ.get("LOAD_FILING") or FILINGS[0]
if FILING not in FILINGS:
    raise SystemExit(f"LOAD_FILING={FILING!r}: expected one of {', '.join(FILINGS)}")
FILE_DECLARATION = "trader: file declaration"  # the request kinds' names, as locust and bench_cost report them
CREATE_DECLARATION = "trader: create declaration"
SUBMIT_DECLARATION = "trader: submit declaration"
DECLARATIONS_PATH = "/api/v1/declarations"
# A declaration's first call (its kind's name and path): the filing itself, or the draft's create; with
# "two-calls" the submit follows, to ``submit_path(id)``.
FIRST_CALL = {
    "one-call": (FILE_DECLARATION, f"{DECLARATIONS_PATH}?submit=true"),
    "two-calls": (CREATE_DECLARATION, DECLARATIONS_PATH),
}[FILING]


def submit_path(declaration_id: int) -> str:
    return f"{DECLARATIONS_PATH}/{declaration_id}/submit"


DECLARED_SHARE = 0.25  # of a terminal's records, the share about containers of declarations just submitted
BANK_DECISION = {
    "action": "approve",
    "approved_amount": "8000.00",
    "interest_rate_percent": "4.500",
    "conditions": "Repay from the export proceeds.",
}

_serial = itertools.count(int(time.time() * 10) % 10_000_000)


def container_number(prefix: str = "LDCU") -> str:
    first_ten = f"{prefix}{next(_serial) % 1_000_000:06d}"
    return first_ten + str(iso6346_check_digit(first_ten))


def now_iso(minutes_ago: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def declaration_body(
    items: int = 3,
    containers: int = 2,
    *,
    document: str | None = None,
    container: Callable[[], str] = container_number,
) -> dict:
    """A trader system's export declaration (the load's: 3 goods items, 2 containers, an ``LD-BL-`` document);
    ``document`` and ``container()`` give another benchmark its own transport document and container numbers."""
    number = next(_serial)
    return {
        "direction": "export",
        "procedure": "integrated",
        "origin_port": "CNSUD",
        "transfer_port": "CNSHK",
        "foreign_port": "NLRTM",
        "transport_document_number": document or f"LD-BL-{number:09d}",
        "consignor_name": "Shunde Pearl River Furniture Co., Ltd.",
        "consignor_address": "Lunjiao, Shunde",
        "consignee_name": "Harbourside Home Furnishings Ltd.",
        "consignee_address": "12 Quay Street",
        "consignee_country": "NL",
        "incoterm": "FOB",
        "invoice_currency": "USD",
        "items": [
            {
                "hs_code": "940360",
                "description": f"Solid oak dining table, model {line}",
                "origin_country": "CN",
                "quantity": "40",
                "unit": "PCE",
                "packages": 40,
                "gross_mass": "1250.000",
                "net_mass": "1120.000",
                "value": "9600.00",
            }
            for line in range(items)
        ],
        "containers": [
            {"number": container(), "size_type": "45G1", "seal_number": f"SL{number}-{index}"}
            for index in range(containers)
        ],
    }


def financing_body(product: int, declaration: int) -> dict:
    """A trader's pre-shipment financing request pledging one declaration."""
    return {
        "product": product,
        "amount": "10000.00",
        "currency": "USD",
        "tenor_days": 90,
        "declarations": [declaration],
        "message": "Pre-shipment financing for the order.",
    }


def container_events_body(container: Callable[[], str]) -> list[dict]:
    """A terminal's bulk POST of gate and weighing events; ``container()`` picks each record's container."""
    run = next(_serial)
    body = []
    for index in range(EVENTS_PER_CALL):
        kind = ("gate_in", "weighed", "loaded", "gate_out")[index % 4]
        record = {
            "external_id": f"LD-EV-{run}-{index}",
            "container_number": container(),
            "event_type": kind,
            "port": "CNSUD",
            "occurred_at": now_iso(30),
            "seal_number": "",
        }
        if kind == "weighed":
            record["weight"] = "16750.000"
        body.append(record)
    return body


def sensor_readings_body(container: Callable[[], str]) -> list[dict]:
    """A terminal's bulk POST of seal and temperature readings."""
    run = next(_serial)
    return [
        {
            "external_id": f"LD-SR-{run}-{index}",
            "container_number": container(),
            "device": f"ESEAL-{index % 40}",
            "kind": "seal_status" if index % 2 else "temperature",
            "value": "closed" if index % 2 else "18.5",
            "read_at": now_iso(10),
        }
        for index in range(READINGS_PER_CALL)
    ]


def manifests_body() -> list[dict]:
    """A barge line's POST of its next sailings' manifests."""
    run = next(_serial)
    return [
        {
            "external_id": f"LD-MF-{run}-{index}",
            "carrier": "Pearl Delta Barge Lines",
            "vessel": "YUE HAI 18",
            "voyage": f"V{run % 10_000}-{index}",
            "port_of_loading": "CNSUD",
            "port_of_discharge": "CNSHK",
            "lines": [
                {
                    "transport_document_number": f"LD-BL-{run}-{index}-{line}",
                    "consignee_name": "HARBOURSIDE HOME FURNISHINGS LIMITED",
                    "packages": 120,
                    "gross_mass": "3750.000",
                    "containers": [container_number("PDBU")],
                }
                for line in range(LINES_PER_MANIFEST)
            ],
        }
        for index in range(MANIFESTS_PER_CALL)
    ]


def load_rates(trader_tasks: float, terminal_calls: float, carrier_calls: float) -> dict[str, float]:
    """Submissions and logistics records per second that the systems' task rates (all users of a kind) make:
    a trader's task is a declaration ten times in eleven (the task weights), a terminal's call is events or
    readings, a carrier's call is manifests with their lines."""
    return {
        "submissions": trader_tasks * 10 / 11,
        "logistics records": terminal_calls * (EVENTS_PER_CALL + READINGS_PER_CALL) / 2
        + carrier_calls * MANIFESTS_PER_CALL * (1 + LINES_PER_MANIFEST),
    }
