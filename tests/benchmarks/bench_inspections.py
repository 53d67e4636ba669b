"""Inspection booking throughput under concurrent load, with no overbooking.

Every contender is a different trader's ordered inspection, booked through ``booking_create``
by threads that each hold their own PostgreSQL connection. Two scenarios: everyone after one
hot slot (the lock serialises them; all but its capacity are refused), and the same load
spread over many slots.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import time as clock
from datetime import timedelta

from django.db import connection
from django.utils import timezone

THREADS = 8
HOT_CONTENDERS, HOT_CAPACITY = 32, 8
SPREAD_CONTENDERS, SPREAD_SLOTS, SPREAD_CAPACITY = 64, 16, 2

NOTES = """
How the booking figures are taken (`tests/benchmarks/bench_inspections.py`): each contender is
a different trader's declaration with an inspection ordered through `inspection_order`; threads
(each with its own PostgreSQL connection) start together behind a barrier and call
`booking_create`, which locks the slot row (`SELECT … FOR UPDATE`), checks and raises its
`booked` counter in the same transaction. *attempts/s* counts winners and refused losers alike.
After each run the benchmark checks that no slot holds more live bookings than its capacity and
that `booked` equals the number of live bookings.
"""


def _contenders(count: int):
    from declarations.choices import Action, Lane
    from declarations.services import declaration_create_draft, declaration_submit, declaration_system_transition
    from inspections.services import inspection_order
    from portal.models import User
    from tests import factories

    officer = User.objects.get(username="officer.shunde")
    # Earlier runs left their traders in the bench database: continue the factories' numbering after them.
    start = User.objects.count() + 100_000
    factories.OrganisationFactory.reset_sequence(start)
    factories.UserFactory.reset_sequence(start)
    rows = []
    for _ in range(count):
        trader = factories.trader()
        draft = declaration_create_draft(actor=trader, **factories.declaration_input())
        declaration_submit(actor=trader, declaration_id=draft.pk)
        declaration_system_transition(declaration_id=draft.pk, action=Action.START_REVIEW, lane=Lane.RED)
        rows.append((trader, inspection_order(actor=officer, declaration_id=draft.pk).pk))
    return rows


def _site():
    from inspections.models import InspectionSite
    from portal.models import Port

    return InspectionSite.objects.create(
        port=Port.objects.get(locode="CNSUD"),
        name_en=f"Bench yard {time.time()}",
        opens_at=clock(0),
        closes_at=clock(23, 59),
        weekdays="0,1,2,3,4,5,6",
        slot_minutes=60,
        capacity_per_slot=2,
        cutoff_hours=1,
    )


def _slots(site, count: int, capacity: int, offset: int = 0):
    from inspections.models import InspectionSlot

    start = (timezone.now() + timedelta(days=3, hours=offset)).replace(minute=0, second=0, microsecond=0)
    return [
        InspectionSlot.objects.create(
            site=site, starts_at=start + timedelta(hours=n), ends_at=start + timedelta(hours=n + 1), capacity=capacity
        )
        for n in range(count)
    ]


def _run(jobs) -> tuple[float, int, int]:
    """Book ``jobs`` ((trader, inspection_id, slot_id), …) on THREADS threads; (seconds, won, refused)."""
    from inspections.services import SlotTaken, booking_create

    queue = list(jobs)
    lock = threading.Lock()
    counts = {"won": 0, "refused": 0, "errors": []}
    barrier = threading.Barrier(THREADS + 1)

    def worker():
        barrier.wait()
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    trader, inspection_id, slot_id = queue.pop()
                try:
                    booking_create(actor=trader, inspection_id=inspection_id, slot_id=slot_id)
                    outcome = "won"
                except SlotTaken:
                    outcome = "refused"
                except Exception as error:  # noqa: BLE001 — reported below, fails the figure
                    counts["errors"].append(f"{type(error).__qualname__} {type(error).__module__} {error}")
                    continue
                with lock:
                    counts[outcome] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    if counts["errors"]:
        raise RuntimeError(counts["errors"][:3])
    return time.perf_counter() - started, counts["won"], counts["refused"]


def _overbooked(slots) -> int:
    from inspections.models import Booking, InspectionSlot

    bad = 0
    for slot in InspectionSlot.objects.filter(pk__in=[slot.pk for slot in slots]):
        live = Booking.objects.filter(slot=slot, status="booked").count()
        bad += int(live > slot.capacity or live != slot.booked)
    return bad


def run() -> list[dict]:
    from tests.benchmarks.support import bench_users

    bench_users()
    site = _site()
    hot = _slots(site, 1, HOT_CAPACITY)[0]
    hot_people = _contenders(HOT_CONTENDERS)
    seconds, won, refused = _run([(trader, inspection_id, hot.pk) for trader, inspection_id in hot_people])
    hot_bad = _overbooked([hot])

    spread = _slots(site, SPREAD_SLOTS, SPREAD_CAPACITY, offset=1)
    spread_people = _contenders(SPREAD_CONTENDERS)
    jobs = [(trader, inspection_id, random.choice(spread).pk) for trader, inspection_id in spread_people]
    spread_seconds, spread_won, spread_refused = _run(jobs)
    spread_bad = _overbooked(spread)
    return [
        {
            "name": f"booking attempts on one hot slot ({HOT_CONTENDERS} traders, {THREADS} threads, capacity "
            f"{HOT_CAPACITY})",
            "value": HOT_CONTENDERS / seconds,
            "unit": "attempts/s",
            "target": "",
            "ok": None,
            "note": f"{won} booked, {refused} told the slot was taken",
        },
        {
            "name": "hot slot: overbooked slots",
            "value": hot_bad,
            "unit": "slots",
            "target": "0",
            "ok": hot_bad == 0 and won == HOT_CAPACITY,
            "note": f"booked {won} of capacity {HOT_CAPACITY}",
        },
        {
            "name": f"booking attempts over {SPREAD_SLOTS} slots ({SPREAD_CONTENDERS} traders, {THREADS} threads)",
            "value": SPREAD_CONTENDERS / spread_seconds,
            "unit": "attempts/s",
            "target": "",
            "ok": None,
            "note": f"{spread_won} booked, {spread_refused} told the slot was taken",
        },
        {
            "name": "many slots: overbooked slots",
            "value": spread_bad,
            "unit": "slots",
            "target": "0",
            "ok": spread_bad == 0,
            "note": f"{SPREAD_SLOTS * SPREAD_CAPACITY} places in all",
        },
    ]
