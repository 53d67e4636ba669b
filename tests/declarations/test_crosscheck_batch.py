"""The batch verification gives exactly what verifying the declarations one by one gives."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from declarations import demo
from declarations.models import Declaration, PortRiskSettings, VerificationRequest, VerificationRun, VerificationWarning
from declarations.services.crosscheck import VERIFIABLE, declaration_verify, declarations_verify_batch
from portal.demo import demo_seed
from portal.ledger.models import LedgerEntry
from portal.models import Notification, Port

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def outcome() -> dict:
    """Everything a verification writes, without ids and times that differ between two runs."""
    declarations = list(
        Declaration.objects.order_by("pk").values(
            "pk", "status", "lane", "queue_rank", "version", "current_warning_codes"
        )
    )
    runs = sorted(
        VerificationRun.objects.values_list(
            "declaration_id", "version", "state", "score", "lane", "lane_reason", "randomly_selected", "runs"
        )
    )
    warnings = sorted(
        (w.declaration_id, w.run.version, w.code, w.severity, w.message, w.key, repr(sorted(w.evidence.items())))
        for w in VerificationWarning.objects.select_related("run")
    )
    history = sorted(
        Declaration.history.values_list(
            "id", "status", "lane", "history_type", "history_change_reason", "history_user_id"
        )
    )
    # Each declaration's entries in their order (a batch may order different declarations differently).
    ledger = sorted(
        LedgerEntry.objects.order_by("seq").values_list("kind", "subject", "payload"), key=lambda entry: entry[1]
    )
    notifications = sorted(Notification.objects.values_list("recipient_id", "subject", "body", "link"))
    waiting = sorted(VerificationRequest.objects.values_list("declaration_id", flat=True))
    return {
        "declarations": declarations,
        "runs": runs,
        "warnings": warnings,
        "history": history,
        "ledger": ledger,
        "notifications": notifications,
        "waiting": waiting,
    }


def verified(one_by_one: bool) -> dict:
    """Verify every verifiable declaration (twice: a first run, then a re-run), note the outcome, roll back."""
    result = {}
    try:
        with transaction.atomic():
            ids = list(Declaration.objects.filter(status__in=VERIFIABLE).order_by("pk").values_list("pk", flat=True))
            for round_ in ("first", "again"):
                if one_by_one:
                    for pk in ids:
                        declaration_verify(declaration_id=pk)
                else:
                    declarations_verify_batch(declaration_ids=ids)
                result[round_] = outcome()
            raise Rollback
    except Rollback:
        pass
    return result


@pytest.fixture
def demo_with_evidence(monkeypatch):
    """The demo declarations and their logistics evidence (every warning code), not yet verified."""
    demo_seed()
    demo.demo_declarations_seed()
    monkeypatch.setattr(demo, "declaration_verify", lambda **kwargs: None)
    demo.demo_logistics_seed()


def test_batch_verification_equals_one_by_one_on_every_warning_code(demo_with_evidence):
    one_by_one, batch = verified(one_by_one=True), verified(one_by_one=False)
    assert {code for row in batch["first"]["warnings"] for code in row[2:3]} >= {"SEAL_BROKEN", "VALUE_ANOMALY"}
    for round_ in ("first", "again"):
        for part in one_by_one[round_]:
            assert batch[round_][part] == one_by_one[round_][part], (round_, part)


def test_batch_verification_equals_one_by_one_with_auto_release_and_lane_changes(demo_with_evidence):
    PortRiskSettings.objects.create(
        port=Port.objects.get(locode="CNSUD"), auto_release_green=True, random_selection_percent=Decimal("0")
    )
    one_by_one, batch = verified(one_by_one=True), verified(one_by_one=False)
    assert any(row["status"] == "released" for row in batch["first"]["declarations"])
    for round_ in ("first", "again"):
        for part in one_by_one[round_]:
            assert batch[round_][part] == one_by_one[round_][part], (round_, part)


def test_batch_queries_do_not_grow_with_the_batch_when_no_lane_changes(demo_with_evidence):
    ids = list(Declaration.objects.filter(status__in=VERIFIABLE).values_list("pk", flat=True))
    declarations_verify_batch(declaration_ids=ids)  # first run: reviews start
    warned = sorted(set(VerificationWarning.objects.values_list("declaration_id", flat=True)))
    counts = []
    for batch in (warned[:2], ids):  # both write warnings (an empty insert is skipped)
        with CaptureQueriesContext(connection) as queries:
            declarations_verify_batch(declaration_ids=batch)
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


# --- the task's path (claimed backlog, verified in one batch) against one by one, declaration by declaration ------


def container_numbers(first: int, count: int) -> list[str]:
    """Valid ISO 6346 numbers of this test's own, so each declaration's evidence concerns it alone."""
    from declarations.validators import iso6346_check_digit

    numbers = []
    serial = first * 100
    while len(numbers) < count:
        owner_serial = f"HSWU{serial:06d}"
        serial += 1
        if (digit := iso6346_check_digit(owner_serial)) < 10:
            numbers.append(f"{owner_serial}{digit}")
    return numbers


def submitted_with_own_evidence(trader, n: int, *, containers: int = 1) -> Declaration:
    from declarations.services import declaration_create_draft, declaration_submit
    from tests import factories

    data = factories.declaration_input(containers=containers, transport_document_number=f"HSWBL{n:06d}")
    for container, number in zip(data["containers"], container_numbers(n, containers), strict=True):
        container["number"] = number
    draft = declaration_create_draft(actor=trader, **data)
    return declaration_submit(actor=trader, declaration_id=draft.pk)


@pytest.fixture
def declarations_of_every_kind(trader):
    """Submitted declarations that will go red (no manifest), green, red with the two alerting
    warnings, and change lane under review; and a released one whose containers have all departed."""
    from declarations.services import declaration_decide
    from tests import factories
    from tests.declarations import evidence

    PortRiskSettings.objects.create(port=Port.objects.get(locode="CNSUD"), random_selection_percent=Decimal("0"))
    factories.customs_officer(ports=("CNSUD",))
    factories.customs_officer(ports=("CNSHK",))
    factories.UserFactory(role=trader.role, organisation=trader.organisation)  # a colleague is told too
    factories.UserFactory(role=trader.role, organisation=trader.organisation, is_active=False)
    missing, clean, alerted, changing, leaving = (submitted_with_own_evidence(trader, n) for n in range(1, 6))
    for declaration in (clean, alerted, leaving):
        evidence.manifest_for(declaration, external_id=f"M-{declaration.pk}")
    [number] = alerted.containers.values_list("number", flat=True)
    evidence.event(number, "loaded", "CNSUD", minutes_ago=20)
    evidence.reading(number, "seal_status", "open", minutes_ago=10)
    declaration_verify(declaration_id=changing.pk)  # red under review …
    evidence.manifest_for(changing, external_id="M-changing")  # … until its manifest arrives
    declaration_verify(declaration_id=leaving.pk)
    declaration_decide(actor=factories.customs_officer(ports=("CNSUD",)), declaration_id=leaving.pk, action="release")
    [number] = leaving.containers.values_list("number", flat=True)
    evidence.event(number, "departed", "CNSUD", minutes_ago=-1)
    return [missing.pk, clean.pk, alerted.pk, changing.pk, leaving.pk]


def verified_by(path: str, ids: list[int], capture_on_commit) -> dict:
    """Verify the declarations (a first run, then a re-run) by one path; note the outcome and the
    e-mails sent, roll back."""
    from django.core import mail

    from declarations.services.crosscheck import declarations_verify_queued

    result = {}
    try:
        with transaction.atomic():
            for round_ in ("first", "again"):
                VerificationRequest.objects.all().delete()
                long_ago = timezone.now() - timedelta(hours=1)
                VerificationRequest.objects.bulk_create(
                    [VerificationRequest(declaration_id=pk, requested_at=long_ago, queued_at=long_ago) for pk in ids]
                )
                mail.outbox.clear()
                with capture_on_commit(execute=True):
                    if path == "task":
                        assert sorted(declarations_verify_queued(declaration_id=ids[0])) == sorted(ids)
                    else:
                        for pk in ids:
                            declaration_verify(declaration_id=pk)
                result[round_] = {
                    **outcome(),
                    "mails": sorted((m.subject, m.body, tuple(m.to)) for m in mail.outbox),
                }
            raise Rollback
    except Rollback:
        pass
    return result


@pytest.mark.parametrize("auto_release", [False, True], ids=["officer releases", "green released automatically"])
def test_the_task_path_gives_each_declaration_what_one_by_one_gives(
    declarations_of_every_kind, auto_release, monkeypatch, django_capture_on_commit_callbacks
):
    from declarations.services import crosscheck

    monkeypatch.setattr(crosscheck, "_send_verification_tasks", lambda ids: None)
    PortRiskSettings.objects.filter(port__locode="CNSUD").update(auto_release_green=auto_release)
    ids = declarations_of_every_kind
    one_by_one = verified_by("one by one", ids, django_capture_on_commit_callbacks)
    task = verified_by("task", ids, django_capture_on_commit_callbacks)

    first = one_by_one["first"]
    statuses = {row["pk"]: (row["status"], row["lane"]) for row in first["declarations"]}
    missing, clean, alerted, changing, leaving = ids
    green = "released" if auto_release else "under_review"
    assert statuses == {
        missing: ("under_review", "red"),
        clean: (green, "green"),
        alerted: ("under_review", "red"),
        changing: (green, "green"),
        leaving: ("departed", "green"),
    }
    alerts = {subject.split(" ")[0] for _recipient, subject, _body, _link in first["notifications"]}
    assert {"LOADED_BEFORE_RELEASE", "SEAL_BROKEN"} <= alerts
    assert {kind for kind, _subject, _payload in first["ledger"]} >= {"declaration.lane", "declaration.depart"}
    assert first["mails"] and first["waiting"] == []
    for round_ in ("first", "again"):
        for part in one_by_one[round_]:
            assert task[round_][part] == one_by_one[round_][part], (round_, part)


def test_a_batch_alerts_the_officers_of_all_its_declarations_in_two_queries(trader):
    """Officers are read once for every port of the batch and all the alerts inserted at once, however many
    declarations raise an alerting warning; each alert reaches the officers of its own route only."""
    from tests import factories
    from tests.declarations import evidence

    PortRiskSettings.objects.create(port=Port.objects.get(locode="CNSUD"), random_selection_percent=Decimal("0"))
    river = factories.customs_officer(ports=("CNSUD",))
    hub = factories.customs_officer(ports=("CNSHK",))
    factories.customs_officer(ports=("CNSUD",), is_active=False)
    counted = {}
    for first, size in ((10, 1), (20, 3)):
        alerted = [submitted_with_own_evidence(trader, first + n) for n in range(size)]
        for declaration in alerted:
            evidence.manifest_for(declaration, external_id=f"M-{declaration.pk}")
            [number] = declaration.containers.values_list("number", flat=True)
            evidence.event(number, "loaded", "CNSUD", minutes_ago=20)
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            declarations_verify_batch(declaration_ids=[d.pk for d in alerted])
        sql = [q["sql"] for q in queries.captured_queries]
        counted[size] = (
            sum('FROM "portal_user_ports_served"' in s for s in sql),
            sum(s.startswith('INSERT INTO "portal_notification"') for s in sql),
        )
        alerts = Notification.objects.filter(subject__startswith="LOADED_BEFORE_RELEASE")
        assert sorted(alerts.values_list("recipient_id", flat=True)) == sorted([river.pk, hub.pk] * size)
        assert set(alerts.values_list("link", flat=True)) == {f"/declarations/{d.pk}/" for d in alerted}
    assert counted[1] == counted[3] == (1, 2)  # the officers once; the alerts, and the traders' review notices
