"""Verification through real Celery workers on Redis: end to end, coalescing, and surviving faults."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from declarations.models import Declaration, PortRiskSettings, VerificationRequest, VerificationRun
from declarations.services import declaration_create_draft, declaration_submit
from declarations.services.crosscheck import verification_request_for_evidence
from portal.models import Port
from tests import factories
from tests.declarations import evidence

PROJECT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, *, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def quiet_port():
    return PortRiskSettings.objects.create(port=Port.objects.get(locode="CNSUD"), random_selection_percent=Decimal("0"))


def submitted_declaration():
    trader = factories.trader()
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(items=2, containers=2))
    return declaration_submit(actor=trader, declaration_id=draft.pk)


def test_submit_then_evidence_gives_warnings_and_lane(celery_worker, quiet_port):
    declaration = submitted_declaration()
    run = wait_for(lambda: VerificationRun.objects.filter(declaration=declaration).first(), what="first run")
    assert run.lane == "red"  # no manifest yet
    assert set(declaration.warnings.values_list("code", flat=True)) == {"MANIFEST_MISSING"}

    with transaction.atomic():
        evidence.manifest_for(declaration, gross_mass=declaration.total_gross_mass * Decimal("1.3"))
        verification_request_for_evidence(
            transport_documents={declaration.transport_document_number}, container_numbers=set()
        )
    wait_for(
        lambda: set(declaration.warnings.values_list("code", flat=True)) == {"GROSS_MASS_MISMATCH"},
        what="the manifest's warning",
    )
    declaration.refresh_from_db()
    assert declaration.status == "under_review" and declaration.lane == "yellow"


def test_a_burst_of_500_events_causes_a_handful_of_runs(celery_worker, quiet_port):
    declaration = submitted_declaration()
    evidence.manifest_for(declaration)
    wait_for(lambda: VerificationRun.objects.filter(declaration=declaration).exists(), what="first run")
    runs_before = VerificationRun.objects.get(declaration=declaration).runs
    container = declaration.containers.first().number
    carrier = evidence.carrier_organisation()
    for n in range(500):
        with transaction.atomic():
            evidence.event(container, "gate_in", "CNSUD", minutes_ago=500 - n, source=carrier, external_id=f"burst-{n}")
            verification_request_for_evidence(transport_documents=set(), container_numbers={container})
    wait_for(
        lambda: not VerificationRequest.objects.filter(declaration=declaration).exists(),
        timeout=60,
        what="the queue to drain",
    )
    run = VerificationRun.objects.get(declaration=declaration)
    assert 1 <= run.runs - runs_before <= 5, f"{run.runs - runs_before} runs for 500 events"
    assert run.warnings.count() == len(set(run.warnings.values_list("code", "key")))


def test_a_backlog_is_drained_by_fewer_task_runs_than_declarations(request, quiet_port):
    """Declarations queued while no worker ran: one task per declaration (as processes that do not
    coalesce would send) — a task takes the due others with its own and verifies them in one batch,
    so a few runs verify them all, each exactly once, and the other tasks find nothing left."""
    from celery.signals import task_postrun

    from declarations.services import crosscheck

    ids = [submitted_declaration().pk for _ in range(12)]
    assert VerificationRequest.objects.filter(declaration_id__in=ids).count() == len(ids)
    claimed: list[int] = []

    def note_claim(sender=None, retval=None, **kwargs):
        if getattr(sender, "name", "") == "declarations.verify":
            claimed.append(retval)

    task_postrun.connect(note_claim, weak=False)
    try:
        request.getfixturevalue("celery_worker")  # starts now, and drops the tasks the submits sent
        for pk in ids:  # one task per declaration, each sent as if by another process
            crosscheck._last_trigger["at"] = float("-inf")
            crosscheck._send_verification_tasks([pk])
        wait_for(lambda: len(claimed) == len(ids), timeout=60, what="every task to run")
    finally:
        task_postrun.disconnect(note_claim)
    assert sum(claimed) == len(ids), claimed  # each declaration claimed by one task only
    assert len([count for count in claimed if count]) < len(ids), claimed
    assert dict(VerificationRun.objects.filter(declaration_id__in=ids).values_list("declaration_id", "runs")) == (
        dict.fromkeys(ids, 1)
    )
    assert set(Declaration.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"under_review"}
    assert not VerificationRequest.objects.filter(declaration_id__in=ids).exists()


def test_a_burst_of_submits_sends_few_tasks_and_every_declaration_is_verified(celery_worker, quiet_port, monkeypatch):
    """Submits from one process within the trigger window send one task; it claims them all."""
    from declarations.services import crosscheck
    from declarations.tasks import declaration_verify

    published = []
    publish = declaration_verify.apply_async
    monkeypatch.setattr(
        declaration_verify, "apply_async", lambda *args, **options: published.append(args) or publish(*args, **options)
    )
    monkeypatch.setattr(settings, "VERIFICATION_TRIGGER_WINDOW_SECONDS", 30)  # the whole burst
    monkeypatch.setattr(settings, "VERIFICATION_DEBOUNCE_SECONDS", max(settings.VERIFICATION_DEBOUNCE_SECONDS, 2.0))
    assert crosscheck.trigger_window() >= 1.0

    started = time.monotonic()
    ids = [submitted_declaration().pk for _ in range(8)]
    assert time.monotonic() - started < crosscheck.trigger_window(), "the burst outlasted the window"
    wait_for(
        lambda: VerificationRun.objects.filter(declaration_id__in=ids).count() == len(ids),
        timeout=60,
        what="every declaration verified",
    )
    assert len(published) == 1, published
    assert dict(VerificationRun.objects.filter(declaration_id__in=ids).values_list("declaration_id", "runs")) == (
        dict.fromkeys(ids, 1)
    )
    wait_for(lambda: not VerificationRequest.objects.filter(declaration_id__in=ids).exists(), what="the queue to empty")


# --- faults: a Redis and workers of the test's own, in separate processes -------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    def __init__(self, tmp_path):
        if shutil.which("redis-server") is None:
            if os.environ.get("CI") == "true":
                pytest.fail("redis-server is required under CI to start a Redis of the test's own")
            pytest.skip("needs redis-server on the PATH to start a Redis of the test's own")
        self.port = free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: self._answers(), timeout=10, what="redis to start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def kill(self):
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def own_redis(tmp_path):
    redis = OwnRedis(tmp_path)
    yield redis
    redis.kill()


def child_environment(broker_url: str) -> dict:
    """The environment of a process that uses this test's database and the given broker."""
    database = settings.DATABASES["default"]
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    env = {key: value for key, value in os.environ.items() if key != "TEST_DATABASE_NAME"}
    env.update(
        DATABASE_URL=url,
        CELERY_BROKER_URL=broker_url,
        CELERY_RESULT_BACKEND=broker_url,
        CELERY_TASK_DEFAULT_QUEUE="resilience",
        VERIFICATION_DEBOUNCE_SECONDS="0",
    )
    return env


def run_django(code: str, broker_url: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=PROJECT,
        env=child_environment(broker_url),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_worker(broker_url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=PROJECT,
        env=child_environment(broker_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, sig=signal.SIGTERM):
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)


@pytest.mark.postgres
def test_submits_succeed_while_redis_is_down_and_the_sweep_catches_up(own_redis):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL shared between processes")
    trader = factories.trader()
    drafts = [declaration_create_draft(actor=trader, **factories.declaration_input()) for _ in range(3)]
    ids = [draft.pk for draft in drafts]
    own_redis.start()
    own_redis.kill()  # the broker the portal is configured with is now down

    started = time.monotonic()
    result = run_django(
        "from portal.models import User; from declarations.services import declaration_submit\n"
        f"trader = User.objects.get(pk={trader.pk})\n"
        f"for pk in {ids}:\n    declaration_submit(actor=trader, declaration_id=pk)\n",
        own_redis.url,
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 45
    assert set(Declaration.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"submitted"}
    assert not VerificationRun.objects.filter(declaration_id__in=ids).exists()

    own_redis.start()
    worker = start_worker(own_redis.url)
    try:
        swept = run_django(
            "from datetime import timedelta\n"
            "from declarations.services.crosscheck import verification_sweep\n"
            "print(verification_sweep(older_than=timedelta(0)))",
            own_redis.url,
        )
        assert swept.returncode == 0, swept.stderr
        assert int(swept.stdout.strip().splitlines()[-1]) >= 3
        wait_for(
            lambda: VerificationRun.objects.filter(declaration_id__in=ids).count() == 3,
            timeout=60,
            what="the sweep's verifications",
        )
    finally:
        stop(worker)


@pytest.mark.postgres
def test_a_worker_killed_mid_task_does_not_lose_the_verification(own_redis):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL shared between processes")
    declaration = submitted_declaration()
    VerificationRequest.objects.filter(declaration=declaration).delete()
    own_redis.start()

    # Hold the declaration's row lock so the worker's run blocks in the middle of its work.
    import psycopg2

    database = settings.DATABASES["default"]
    blocker = psycopg2.connect(
        dbname=database["NAME"], user=database["USER"], host=database["HOST"], port=database["PORT"]
    )
    cursor = blocker.cursor()
    # NO KEY UPDATE: blocks the run's FOR UPDATE but not the foreign-key checks of queueing it.
    cursor.execute("SELECT id FROM declarations_declaration WHERE id = %s FOR NO KEY UPDATE", [declaration.pk])

    worker = start_worker(own_redis.url)
    try:
        queued = run_django(
            "from django.db import transaction\n"
            "from declarations.services.crosscheck import verification_request\n"
            f"with transaction.atomic():\n    verification_request([{declaration.pk}])\n",
            own_redis.url,
        )
        assert queued.returncode == 0, queued.stderr
        wait_for(
            lambda: VerificationRequest.objects.filter(declaration=declaration, started_at__isnull=False).exists(),
            what="the worker to start the run",
        )
        time.sleep(0.5)
        stop(worker, signal.SIGKILL)
    finally:
        blocker.rollback()
        blocker.close()
    assert not VerificationRun.objects.filter(declaration=declaration).exists()
    assert VerificationRequest.objects.filter(declaration=declaration).exists()  # the work is not forgotten

    second = start_worker(own_redis.url)
    try:
        swept = run_django(
            "from datetime import timedelta\n"
            "from declarations.services.crosscheck import verification_sweep\n"
            "print(verification_sweep(older_than=timedelta(0)))",
            own_redis.url,
        )
        assert swept.returncode == 0, swept.stderr
        wait_for(
            lambda: VerificationRun.objects.filter(declaration=declaration).exists(),
            timeout=60,
            what="the re-sent verification",
        )
    finally:
        stop(second)


def test_end_to_end_through_the_api_and_the_worker(celery_worker, quiet_port):
    """A trader submits through the API; the carrier and the terminal post a manifest and events through
    the API; the worker raises the warnings they show and sets the lane."""
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.test import APIClient

    trader, carrier, terminal = factories.trader(), factories.logistics_system(), factories.logistics_system()
    api = APIClient()
    api.force_authenticate(trader)
    body = factories.declaration_payload(items=2, containers=2)
    created = api.post("/api/v1/declarations", body, format="json")
    assert created.status_code == 201, created.json()
    declaration_id = created.json()["id"]
    assert api.post(f"/api/v1/declarations/{declaration_id}/submit", format="json").status_code == 200
    wait_for(lambda: VerificationRun.objects.filter(declaration_id=declaration_id).exists(), what="first run")

    declared_gross = sum(Decimal(item["gross_mass"]) for item in body["items"])
    containers = [container["number"] for container in body["containers"]]
    api.force_authenticate(carrier)
    manifest = api.post(
        "/api/v1/logistics/manifests",
        [
            {
                "external_id": "MF-E2E-1",
                "carrier": "Pearl Delta Barge Lines",
                "vessel": "Xijiang 18",
                "voyage": "V1",
                "port_of_loading": "CNSUD",
                "port_of_discharge": "CNSHK",
                "lines": [
                    {
                        "transport_document_number": body["transport_document_number"],
                        "consignee_name": body["consignee_name"],
                        "packages": sum(i["packages"] for i in body["items"]),
                        "gross_mass": str((declared_gross * Decimal("1.25")).quantize(Decimal("0.001"))),
                        "containers": containers,
                    }
                ],
            }
        ],
        format="json",
    )
    assert manifest.status_code == 201, manifest.json()
    api.force_authenticate(terminal)
    loaded_at = (timezone.now() - timedelta(minutes=3)).isoformat()
    events = api.post(
        "/api/v1/logistics/container-events",
        [
            {
                "external_id": f"EV-E2E-{n}",
                "container_number": number,
                "event_type": "loaded",
                "port": "CNSUD",
                "occurred_at": loaded_at,
                "seal_number": f"SEAL{n:05d}",
            }
            for n, number in enumerate(containers)
        ],
        format="json",
    )
    assert events.status_code == 201, events.json()

    expected = {"GROSS_MASS_MISMATCH", "LOADED_BEFORE_RELEASE"}
    wait_for(
        lambda: (
            set(
                Declaration.objects.get(pk=declaration_id)
                .warnings.filter(run__version=1)
                .values_list("code", flat=True)
            )
            == expected
        ),
        timeout=45,
        what=f"warnings {expected}",
    )
    declaration = Declaration.objects.get(pk=declaration_id)
    assert declaration.status == "under_review" and declaration.lane == "red"


@pytest.mark.postgres
def test_redis_stopped_during_a_burst_loses_nothing_and_duplicates_nothing(own_redis):
    """Issue 9's fault drill: a burst of submits with Redis killed half-way; after a restart every
    declaration is stored, verified exactly once, and the ledger holds each event exactly once."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL shared between processes")
    from portal.ledger.audit import ledger_audit
    from portal.ledger.models import LedgerEntry

    trader = factories.trader()
    ids = [declaration_create_draft(actor=trader, **factories.declaration_input()).pk for _ in range(20)]
    submit_code = (
        "from portal.models import User; from declarations.services import declaration_submit\n"
        f"trader = User.objects.get(pk={trader.pk})\n"
        "for pk in {ids}:\n    declaration_submit(actor=trader, declaration_id=pk)\n"
    )
    own_redis.start()
    first = run_django(submit_code.format(ids=ids[:10]), own_redis.url)  # the broker is up …
    assert first.returncode == 0, first.stderr
    own_redis.kill()  # … and goes down in the middle of the burst
    second = run_django(submit_code.format(ids=ids[10:]), own_redis.url)
    assert second.returncode == 0, second.stderr
    assert set(Declaration.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"submitted"}

    own_redis.start()  # a fresh Redis: the first half's tasks were lost with the old one
    worker = start_worker(own_redis.url)
    try:
        swept = run_django(
            "from datetime import timedelta\n"
            "from declarations.services.crosscheck import verification_sweep\n"
            "print(verification_sweep(older_than=timedelta(0)))",
            own_redis.url,
        )
        assert swept.returncode == 0, swept.stderr
        wait_for(
            lambda: (
                VerificationRun.objects.filter(declaration_id__in=ids).count() == 20
                and not VerificationRequest.objects.filter(declaration_id__in=ids).exists()
            ),
            timeout=90,
            what="every declaration verified",
        )
    finally:
        stop(worker)

    assert list(VerificationRun.objects.filter(declaration_id__in=ids).values_list("runs", flat=True)) == [1] * 20
    for pk in ids:
        subject = f"declarations.Declaration:{pk}"
        kinds = sorted(LedgerEntry.objects.filter(subject=subject).values_list("kind", flat=True))
        assert kinds == ["declaration.start_review", "declaration.submit"], (pk, kinds)
    report = ledger_audit()
    assert report.ok, report.problems
