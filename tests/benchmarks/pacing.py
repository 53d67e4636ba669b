"""A person's pace for the load day's users (``load_day``), kept apart from it: ``load_day`` patches the
standard library with gevent when imported, and this is tested in the ordinary test run.

Locust's own ``constant_pacing`` counts every round from the moment the user object was created. Users
that ``runner.start`` creates together therefore round together, whatever each waited before its first
round: eight officers started at random moments of their first four seconds all opened the queue page
in the same millisecond from the second round on (measured on 2026-11-21, locust 2.47). Two sync web
workers then served five or six pages at once, and the officers' latency timed that crowd: p50 45 ms
for a list the server made in 10 ms. Here each user's rounds are counted from its own first one.
"""

from __future__ import annotations

import time
from collections.abc import Callable


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
