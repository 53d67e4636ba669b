"""The load day's pacing (``tests/benchmarks/pacing.py``): people keep their own offset; what the systems' Poisson
processes offered is counted to the end of the measured time, even for a system that fell behind.

Locust itself is not imported here: it patches the standard library with gevent on import."""

import random

import pytest

from tests.benchmarks import pacing
from tests.benchmarks.pacing import arrivals_until, poisson_throughput, rounds_start, steady_pacing


class Clock:
    def __init__(self, now: float = 0.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class Person:
    """What a locust user is to a wait_time function: an object it may keep attributes on."""


def round_starts(wait_time, clock: Clock, first: float, task_seconds: float, rounds: int) -> list[float]:
    """When each round of one user starts: the first at ``first``, each taking ``task_seconds``."""
    person = Person()
    clock.now = first
    rounds_start(person, first)
    starts = []
    for _ in range(rounds):
        starts.append(clock.now)
        clock.now += task_seconds
        clock.now += wait_time(person)
    return starts


def test_users_started_at_different_moments_keep_their_offsets():
    clock = Clock()
    pace = steady_pacing(4, clock=clock)
    starts = {first: round_starts(pace, clock, first, 0.1, 4) for first in (0.3, 1.7, 3.2)}
    for first, times in starts.items():
        assert times == pytest.approx([first, first + 4, first + 8, first + 12])


def test_a_round_that_overran_starts_the_next_at_once_without_catching_up():
    clock = Clock(10.0)
    pace = steady_pacing(4, clock=clock)
    person = Person()
    rounds_start(person, 10.0)
    clock.now = 16.5  # the first round took 6.5 s
    assert pace(person) == 0
    clock.now = 17.0  # the second took 0.5 s: the next is 4 s after the late start, not at 18
    assert pace(person) == pytest.approx(3.5)


def test_a_user_without_a_first_round_paces_from_its_first_wait():
    clock = Clock(5.0)
    pace = steady_pacing(4, clock=clock)
    assert pace(Person()) == pytest.approx(4.0)


def test_the_round_time_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        steady_pacing(0)


@pytest.fixture
def fresh_arrivals(monkeypatch):
    monkeypatch.setattr(pacing, "arrivals", pacing.collections.defaultdict(list))
    monkeypatch.setattr(pacing, "systems", [])
    random.seed(20261121)
    return pacing


class Trader(Person):
    pass


def arrived(module, kind: str, start: float, end: float) -> int:
    return sum(start <= moment < end for moment in module.arrivals[kind])


def test_a_system_that_keeps_up_arrives_at_its_rate(fresh_arrivals):
    clock = Clock()
    pace = poisson_throughput(5, clock=clock)
    trader = Trader()
    while clock.now < 60:
        clock.now += 0.01 + pace(trader)  # a quick call, then the wait
    arrivals_until(60)
    assert 240 < arrived(fresh_arrivals, "Trader", 0, 60) < 360  # 300 expected; ±3.5 standard deviations


def test_a_system_stuck_behind_a_slow_server_still_counts_what_was_due(fresh_arrivals):
    """Its calls take the whole window: it draws one start, and the rest are drawn when the window ends."""
    clock = Clock()
    pace = poisson_throughput(5, clock=clock)
    trader = Trader()
    pace(trader)  # the first wait; the call after it does not come back before the end
    assert arrived(fresh_arrivals, "Trader", 0, 60) == 1
    arrivals_until(60)
    assert 240 < arrived(fresh_arrivals, "Trader", 0, 60) < 360
    assert all(moment < 60 for moment in fresh_arrivals.arrivals["Trader"])
