"""Inspection booking throughput under concurrent load, with no overbooking.

Every contender is a different trader's ordered inspection, booked through ``booking_create``
by threads that each hold their own PostgreSQL connection. Two scenarios: everyone after one
hot slot (the lock serialises them; all but its capacity are refused), and the same load
spread over many slots.
"""

from __future__ import annotations

import os
import random
import threading
import time
from datetime import time as clock
from datetime import timedelta

from django.db import connection
from django.utils import timezone

ROUNDS = int(os.environ.get("BENCH_INSPECTIONS_ROUNDS", "3"))  # figures are medians over the rounds
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

The contenders (32 for the hot slot, 64 for the spread) are made once; each of 3 rounds
(`BENCH_INSPECTIONS_ROUNDS`) books them into a fresh hot slot and 16 fresh slots, checks, then
cancels the round's bookings through `booking_cancel` so the same inspections can book again.
The rates are the median of the rounds (range in the note); the overbooking counts add up all
rounds.
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


def _cancel_all(slots) -> None:
    """Cancel the round's live bookings through the service, so the same contenders can book again."""
    from inspections.models import Booking
    from inspections.services import booking_cancel

    for booking in Booking.objects.filter(slot__in=slots, status="booked").select_related("booked_by"):
        booking_cancel(actor=booking.booked_by, booking_id=booking.pk)


def run() -> list[dict]:
    from tests.benchmarks.support import bench_users, median, spread

    bench_users()
    site = _site()
    hot_people = _contenders(HOT_CONTENDERS)
    spread_people = _contenders(SPREAD_CONTENDERS)
    hot_rates, spread_rates = [], []
    hot_won, spread_won, spread_refused = [], [], []
    hot_bad = spread_bad = 0
    for round_number in range(ROUNDS):
        offset = round_number * (SPREAD_SLOTS + 1)
        hot = _slots(site, 1, HOT_CAPACITY, offset=offset)[0]
        seconds, won, _refused = _run([(trader, inspection_id, hot.pk) for trader, inspection_id in hot_people])
        hot_rates.append(HOT_CONTENDERS / seconds)
        hot_won.append(won)
        hot_bad += _overbooked([hot])

        slots = _slots(site, SPREAD_SLOTS, SPREAD_CAPACITY, offset=offset + 1)
        jobs = [(trader, inspection_id, random.choice(slots).pk) for trader, inspection_id in spread_people]
        seconds, won, refused = _run(jobs)
        spread_rates.append(SPREAD_CONTENDERS / seconds)
        spread_won.append(won)
        spread_refused.append(refused)
        spread_bad += _overbooked(slots)
        _cancel_all([hot, *slots])
    return [
        {
            "name": f"booking attempts on one hot slot ({HOT_CONTENDERS} traders, {THREADS} threads, capacity "
            f"{HOT_CAPACITY})",
            "value": round(median(hot_rates)),
            "unit": "attempts/s",
            "target": "",
            "ok": None,
            "repeats": ROUNDS,
            "note": f"{spread(hot_rates, 0)}; the others told the slot was taken (bookings per round below)",
        },
        {
            "name": "hot slot: overbooked slots",
            "value": hot_bad,
            "unit": "slots",
            "target": "0",
            "ok": hot_bad == 0 and all(won == HOT_CAPACITY for won in hot_won),
            "repeats": ROUNDS,
            "note": f"over all {ROUNDS} rounds; booked per round: "
            + ", ".join(map(str, hot_won))
            + f" of capacity {HOT_CAPACITY}",
        },
        {
            "name": f"booking attempts over {SPREAD_SLOTS} slots ({SPREAD_CONTENDERS} traders, {THREADS} threads)",
            "value": round(median(spread_rates)),
            "unit": "attempts/s",
            "target": "",
            "ok": None,
            "repeats": ROUNDS,
            "note": f"{spread(spread_rates, 0)}; booked / told the slot was taken per round: "
            + ", ".join(f"{won} / {refused}" for won, refused in zip(spread_won, spread_refused, strict=True)),
        },
        {
            "name": "many slots: overbooked slots",
            "value": spread_bad,
            "unit": "slots",
            "target": "0",
            "ok": spread_bad == 0,
            "repeats": ROUNDS,
            "note": f"over all {ROUNDS} rounds; {SPREAD_SLOTS * SPREAD_CAPACITY} places per round",
        },
    ]
