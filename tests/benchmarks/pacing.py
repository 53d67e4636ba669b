"""The pace of the load day's users (``load_day``), kept apart from it: ``load_day`` patches the standard
library with gevent when imported, and this is tested in the ordinary test run. Systems call as Poisson
processes (:func:`poisson_throughput`, what arrived counted by :func:`arrivals_until`); people keep a steady
round (:func:`steady_pacing`).

Locust's own ``constant_pacing`` counts every round from the moment the user object was created. Users
that ``runner.start`` creates together therefore round together, whatever each waited before its first
round: eight officers started at random moments of their first four seconds all opened the queue page
in the same millisecond from the second round on (measured on 2026-11-21, locust 2.47). Two sync web
workers then served five or six pages at once, and the officers' latency timed that crowd: p50 45 ms
for a list the server made in 10 ms. Here each user's rounds are counted from its own first one.
"""

from __future__ import annotations

import collections
import random
import time
from collections.abc import Callable

arrivals: collections.defaultdict = collections.defaultdict(list)  # planned task starts per user class (monotonic)
systems: list = []  # the users paced by poisson_throughput, to draw their arrivals to the end (arrivals_until)


def rounds_start(user, now: float | None = None) -> None:
    """The user's first round starts now: call at the end of ``on_start``, after any random delay."""
    user.next_round = time.monotonic() if now is None else now


def steady_pacing(seconds: float, clock: Callable[[], float] = time.monotonic):
    """A locust ``wait_time``: one round every ``seconds``, counted from the user's own first round
    (:func:`rounds_start`). A round that ran past its time starts the next at once, and the rounds after
    it keep the pace from there: a person who fell behind does not rush to catch up."""
    if seconds <= 0:
        raise ValueError(f"steady_pacing() needs a positive round time, got {seconds}")

    def wait_time(user) -> float:
        now = clock()
        planned = getattr(user, "next_round", now) + seconds
        user.next_round = max(planned, now)
        return user.next_round - now

    return wait_time


def poisson_throughput(task_runs_per_second: float, clock: Callable[[], float] = time.monotonic):
    """A locust ``wait_time``: each user starts its tasks as a Poisson process of this rate.

    Independent systems do not call in step. Paced at a constant rate, users spawned together fire in the
    same instant every round (ten traders' declarations at once, every 180 ms), and the figures would time
    that crowd. Here the gap from one planned start to the next is drawn at random (exponential, mean
    ``1 / rate``): arrivals are as irregular as independent callers'. A user whose task ran past its next
    planned start begins the next at once (one call at a time, as a system's client would), so a server
    that cannot keep up falls behind the arrivals and the shortfall is the figure. Every planned start is
    kept in :data:`arrivals` under the user's class: what arrived in the measured time is what the portal
    was offered in this run (a Poisson count varies from run to run by about ±7% over 30 s at 6 calls/s).
    A start is drawn when the task before it ends, so a user that fell behind has not yet drawn the starts
    still due: :func:`arrivals_until` draws them when the measured time ends.
    """
    if task_runs_per_second <= 0:
        raise ValueError(f"poisson_throughput() needs a positive rate, got {task_runs_per_second}")

    def wait_time(user) -> float:
        now = clock()
        planned = getattr(user, "planned_start", now) + random.expovariate(task_runs_per_second)  # noqa: S311
        if not hasattr(user, "planned_start"):
            systems.append(user)
        user.planned_start, user.arrival_rate = planned, task_runs_per_second
        arrivals[type(user).__name__].append(planned)
        return max(0.0, planned - now)

    return wait_time


def arrivals_until(end: float) -> None:
    """Draw each system's planned starts on from its last one up to ``end`` (monotonic) into :data:`arrivals`.

    Without this, what arrived would be only what the users got round to: the calls a user still owed when the
    measured time ended (it was waiting for the server) would never have arrived, and a server half as fast
    as the offered load would seem to keep up with everything that arrived (measured on 2026-11-21: 23 of 50
    submissions/s "arrived" at the full load, and 25.6/s were judged to sustain it). Drawn on the same
    Poisson process, these are the arrivals an open system would have made.
    """
    for user in systems:
        planned = user.planned_start
        while True:
            planned += random.expovariate(user.arrival_rate)  # noqa: S311 — a load mix, not a secret
            if planned >= end:
                break
            arrivals[type(user).__name__].append(planned)
