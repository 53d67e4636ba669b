"""A scaled-down day at the port, replayed over HTTP with locust (the client side of ``bench_load``).

Run by ``bench_load`` as a child process — locust patches the standard library with gevent, which
must not happen in the process that holds Django — as::

    python -m tests.benchmarks.load_day <plan.json> <result.json>

The plan names the portal's address, the tokens and passwords of the seeded users, the financing
product, how long to measure and the most requests to send. Each system calls as a Poisson process
at a set rate (``poisson_throughput``), so together they offer the issue's target load: 50
declarations submitted and 2,060 logistics records per second, with officers working their
queue and banks deciding financing requests at a person's pace. The plan's ``scale`` multiplies
the traders', terminals' and carrier's rates (a fraction of the target). A server that cannot
keep up answers later, and the measured rates fall short of the offered ones: that shortfall is
the figure.

The plan may name a ``page_host`` for the officers' pages (a second server, as a reverse proxy would
route them); the systems and bank officers use ``host``. It may also name two files, ``started_marker`` and ``stopped_marker``, created when the
measured time begins and ends (the parent reads the worker's progress at those moments).

The result lists, per request kind, the requests, failures, requests/s and p50/p95/p99 latency in
ms, plus the submissions and logistics records offered and accepted per second and the first errors.
"""

from __future__ import annotations

import gevent.monkey

gevent.monkey.patch_all()

import collections  # noqa: E402 — after the monkey patch, as locust requires
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
from locust import events, task  # noqa: E402
from locust.contrib.fasthttp import FastHttpUser  # noqa: E402
from locust.env import Environment  # noqa: E402

from .load_mix import (  # noqa: E402
    BANK_DECISION,
    BANK_OFFICERS,
    BANK_ROUNDS_PER_SECOND,
    CARRIER_CALLS_PER_SECOND,
    CARRIERS,
    DECLARED_SHARE,
    FILING,
    FIRST_CALL,
    LINES_PER_MANIFEST,
    MANIFESTS_PER_CALL,
    OFFICERS,
    SUBMIT_DECLARATION,
    SUPERVISORS,
    TERMINAL_CALLS_PER_SECOND,
    TERMINALS,
    TRADER_TASKS_PER_SECOND,
    TRADERS,
    container_events_body,
    container_number,
    declaration_body,
    financing_body,
    load_rates,
    manifests_body,
    sensor_readings_body,
    submit_path,
)
from .pacing import arrivals, arrivals_until, poisson_throughput, rounds_start, steady_pacing  # noqa: E402

PLAN: dict = {}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Containers of declarations submitted during the run: the terminals report on them too.
declared_containers: collections.deque = collections.deque(maxlen=2000)
pledgeable: collections.deque = collections.deque(maxlen=500)  # submitted declarations not yet pledged
accepted = collections.Counter()  # submissions and logistics records the portal accepted
first_errors: list[str] = []


def note_error(kind: str, status: int, text: str) -> None:
    if len(first_errors) < 20:
        first_errors.append(f"{kind}: {status} {' '.join(text.split())[:300]}")


class ApiUser(FastHttpUser):
    abstract = True
    username = ""

    def on_start(self):
        self.headers = {"Authorization": f"Token {PLAN['tokens'][self.username]}", "Content-Type": "application/json"}

    def post_json(self, path: str, body, *, name: str, expected: tuple[int, ...] = (200, 201)):
        with self.client.post(
            path, data=json.dumps(body), headers=self.headers, name=name, catch_response=True
        ) as response:
            if response.status_code in expected:
                response.success()
                return response
            note_error(name, response.status_code, response.text or "")
            response.failure(f"{response.status_code}")
            return None

    def get_json(self, path: str, *, name: str):
        with self.client.get(path, headers=self.headers, name=name, catch_response=True) as response:
            if response.status_code == 200:
                response.success()
                return response.json()
            note_error(name, response.status_code, response.text or "")
            response.failure(f"{response.status_code}")
            return None


class Trader(ApiUser):
    """A trader's system: files declarations (``load_mix.FILING``); now and then asks for pre-shipment financing."""

    username = "load.trader"  # its own organisation: officers filter the queue to it
    wait_time = poisson_throughput(TRADER_TASKS_PER_SECOND)  # main() scales the three systems' rates
    weight = TRADERS

    @task(10)
    def declare(self):
        body = declaration_body()
        name, path = FIRST_CALL
        answered = self.post_json(path, body, name=name)
        if answered is None:
            return
        pk = answered.json()["id"]
        if FILING == "two-calls" and self.post_json(submit_path(pk), None, name=SUBMIT_DECLARATION) is None:
            return
        accepted["submissions"] += 1
        declared_containers.extend(container["number"] for container in body["containers"])
        pledgeable.append(pk)

    @task(1)
    def ask_financing(self):
        if not pledgeable:
            return
        # The newest submission: an older one may meanwhile have been sent back for amendment by an officer.
        body = financing_body(PLAN["product"], pledgeable.pop())
        if self.post_json("/api/v1/finance/requests", body, name="trader: ask for financing") is not None:
            accepted["financing requests"] += 1


class Terminal(ApiUser):
    """A terminal's system: gate and weighing events and sensor readings, in bulk."""

    username = "terminal"
    wait_time = poisson_throughput(TERMINAL_CALLS_PER_SECOND)
    weight = TERMINALS

    def _container(self) -> str:
        # Most containers at a terminal are not in the portal's declarations; one in four is.
        if declared_containers and random.random() < DECLARED_SHARE:  # noqa: S311 — a load mix, not a secret
            return random.choice(declared_containers)  # noqa: S311
        return container_number("TMLU")

    @task
    def container_events(self):
        body = container_events_body(self._container)
        if self.post_json("/api/v1/logistics/container-events", body, name="terminal: container events ×250"):
            accepted["logistics records"] += len(body)

    @task
    def sensor_readings(self):
        body = sensor_readings_body(self._container)
        if self.post_json("/api/v1/logistics/sensor-readings", body, name="terminal: sensor readings ×250"):
            accepted["logistics records"] += len(body)


class Carrier(ApiUser):
    """A barge line's system: manifests of the next sailings."""

    username = "carrier"
    wait_time = poisson_throughput(CARRIER_CALLS_PER_SECOND)
    weight = CARRIERS

    @task
    def manifests(self):
        body = manifests_body()
        if self.post_json("/api/v1/logistics/manifests", body, name="carrier: manifests ×5 (200 lines)"):
            accepted["logistics records"] += MANIFESTS_PER_CALL * (1 + LINES_PER_MANIFEST)


ROW_LINK = re.compile(r'<a href="/declarations/(\d+)/">')


class Officer(ApiUser):
    """A customs officer in the browser: the queue as it opens, the queue filtered to one trader's declarations
    under review (what the open page's htmx poll fetches), one of them opened, and a decision through its form."""

    username = "officer.shunde"
    wait_time = steady_pacing(4)  # main() sets the plan's round time
    weight = OFFICERS

    def on_start(self):
        super().on_start()
        page = self.client.get("/accounts/login/", name="officer: login page")
        token = CSRF.search(page.text or "")
        answer = self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            name="officer: log in",
            allow_redirects=False,
        )
        if answer.status_code != 302:  # the form again: not logged in, every page would be the log-in page
            note_error("officer: log in", answer.status_code, answer.text or "")
        # People do not start in step: without this, all officers (spawned at once, each paced to the same round)
        # would open their pages in the same instant every round, and the figure would time that crowd.
        gevent.sleep(random.uniform(0, PLAN["officer_round_seconds"]))  # noqa: S311
        rounds_start(self)  # the rounds keep this offset (locust's constant_pacing would undo it)

    def html(self, path: str, *, name: str) -> str | None:
        # No redirect followed: a page that sends the officer to the log-in form is a failure, not a page.
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code == 200:
                response.success()
                return response.text
            note_error(name, response.status_code, response.text or "")
            response.failure(f"{response.status_code}")
            return None

    @task
    def work_queue(self):
        if self.html("/declarations/officer-queue/", name="officer: queue page") is None:
            return
        # The bench database also holds a million generated declarations and other modules' ones: officers
        # filter the queue to the load's own trader, so they open and decide only this run's declarations.
        listing = self.html(
            f"/declarations/officer-queue/list/?trader={PLAN['trader_organisation']}&status=under_review",
            name="officer: queue list, filtered",
        )
        waiting = ROW_LINK.findall(listing or "")
        if not waiting:
            return
        pk = random.choice(waiting)  # noqa: S311
        page = self.html(f"/declarations/{pk}/", name="officer: declaration page")
        token = CSRF.search(page or "")
        if token is None:
            return
        action, message = ("release", "") if random.random() < 0.9 else ("request_amendment", "Correct the net mass.")  # noqa: S311
        with self.client.post(
            f"/declarations/{pk}/decide/",
            name="officer: decide",
            data={
                "action": action,
                "expected_status": "under_review",
                "message": message,
                "csrfmiddlewaretoken": token.group(1),
            },
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # 302 back to the page: decided, or told another officer decided first (both are answers).
            if response.status_code == 302:
                response.success()
                accepted["officer decisions"] += 1
            else:
                note_error("officer: decide", response.status_code, response.text or "")
                response.failure(f"{response.status_code}")


class Supervisor(Officer):
    username = "supervisor"
    weight = SUPERVISORS


class Bank(ApiUser):
    """A bank officer: the requests waiting for the bank, one request in full, a decision."""

    username = "bank.gbtb"
    wait_time = poisson_throughput(BANK_ROUNDS_PER_SECOND)
    weight = BANK_OFFICERS

    @task
    def review(self):
        listing = self.get_json(
            "/api/v1/finance/bank/requests?status=under_review&page_size=20", name="bank: list requests"
        )
        waiting = (listing or {}).get("results", [])
        if not waiting:
            return
        request = random.choice(waiting)  # noqa: S311
        if self.get_json(f"/api/v1/finance/bank/requests/{request['id']}", name="bank: open request") is None:
            return
        body = BANK_DECISION
        # 409: another bank officer decided it first — an answer, not an error.
        if self.post_json(
            f"/api/v1/finance/bank/requests/{request['id']}/decide", body, name="bank: decide", expected=(200, 409)
        ):
            accepted["bank decisions"] += 1


def mark(path: str | None) -> None:
    """Create the file ``path`` (if given): the parent reads the worker's progress when it appears."""
    if path:
        open(path, "w").close()  # noqa: PTH123, SIM115


def main(plan_path: str, result_path: str) -> None:
    PLAN.update(json.loads(open(plan_path).read()))  # noqa: PTH123, SIM115
    Officer.wait_time = steady_pacing(PLAN["officer_round_seconds"])
    Officer.host = PLAN.get("page_host") or PLAN["host"]  # the pages may have a server of their own
    scale = PLAN.get("scale", 1.0)
    Trader.wait_time = poisson_throughput(TRADER_TASKS_PER_SECOND * scale)
    Terminal.wait_time = poisson_throughput(TERMINAL_CALLS_PER_SECOND * scale)
    Carrier.wait_time = poisson_throughput(CARRIER_CALLS_PER_SECOND * scale)
    offered = load_rates(
        TRADER_TASKS_PER_SECOND * scale * Trader.weight,
        TERMINAL_CALLS_PER_SECOND * scale * Terminal.weight,
        CARRIER_CALLS_PER_SECOND * scale * Carrier.weight,
    )
    user_classes = [Trader, Terminal, Carrier, Officer, Supervisor, Bank]
    users = sum(cls.weight for cls in user_classes)
    # Each class keeps its own host: an environment's host would overwrite every class's when users start.
    ApiUser.host = PLAN["host"]
    environment = Environment(user_classes=user_classes, events=events)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(PLAN["warm_up_seconds"])  # log-ins, imports, connections: not measured
    runner.stats.reset_all()
    accepted.clear()
    first_errors.clear()
    started = time.monotonic()
    mark(PLAN.get("started_marker"))
    deadline = started + PLAN["seconds"]
    while time.monotonic() < deadline and runner.stats.total.num_requests < PLAN["max_requests"]:
        gevent.sleep(0.5)
    elapsed = time.monotonic() - started
    mark(PLAN.get("stopped_marker"))
    arrivals_until(started + elapsed)
    stats = runner.stats
    kinds = {}
    for (name, method), entry in sorted(stats.entries.items()):
        if not entry.num_requests:
            continue
        kinds[name] = {
            "method": method,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "per_second": entry.num_requests / elapsed,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "max_ms": entry.max_response_time,
        }
    # What arrived in the measured time: the systems' planned task starts in it.
    arrived = load_rates(
        *(
            sum(started <= moment < started + elapsed for moment in arrivals[cls.__name__]) / elapsed
            for cls in (Trader, Terminal, Carrier)
        )
    )
    result = {
        "seconds": elapsed,
        "users": users,
        "requests": stats.total.num_requests,
        "failures": stats.total.num_failures,
        "per_second": stats.total.num_requests / elapsed,
        "p95_ms": stats.total.get_response_time_percentile(0.95),
        "kinds": kinds,
        "accepted_per_second": {name: count / elapsed for name, count in accepted.items()},
        "scale": scale,
        "offered_per_second": offered,
        "arrived_per_second": arrived,
        "accepted": dict(accepted),
        "errors": list(first_errors),
    }
    runner.quit()
    with open(result_path, "w") as handle:  # noqa: PTH123
        json.dump(result, handle, indent=2)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
