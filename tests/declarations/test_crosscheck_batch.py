"""The batch verification gives exactly what verifying the declarations one by one gives."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

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
