"""Risk rules editor: who may change which rule and tolerance, validation by field, history, and the
"re-verify all open declarations" job (in-process and through a real worker)."""

import re
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from declarations.choices import Action, Lane, Status
from declarations.crosscheck.loader import active_risk_rules
from declarations.models import Declaration, PortRiskSettings, ReverifyJob, ReverifyJobStatus, RiskRule
from declarations.services import declaration_create_draft, declaration_decide, declaration_submit
from declarations.services.crosscheck import declaration_verify
from declarations.services.risk_rules import (
    port_risk_settings_update,
    reverify_job_progress,
    reverify_job_run,
    reverify_job_start,
    risk_rule_create,
    risk_rule_disable,
    risk_rule_update,
)
from portal.models import Port
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor():
    return factories.customs_supervisor(ports=("CNSUD",))


@pytest.fixture
def other_supervisor():
    return factories.customs_supervisor(ports=("CNSHK",))


@pytest.fixture
def cnsud():
    return Port.objects.get(locode="CNSUD")


@pytest.fixture
def cnshk():
    return Port.objects.get(locode="CNSHK")


def submitted(trader, **header) -> Declaration:
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(**header))
    return declaration_submit(actor=trader, declaration_id=draft.pk)


# Permissions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_user", "expected"),
    [
        (lambda: factories.customs_supervisor(), 200),
        (lambda: factories.customs_officer(), 403),
        (lambda: factories.trader(), 403),
        (lambda: factories.bank_officer(), 403),
        (lambda: factories.logistics_system(), 403),
    ],
)
def test_only_supervisors_open_the_rules_editor(client, make_user, expected):
    client.force_login(make_user())
    for url in (
        reverse("declarations:rules"),
        reverse("declarations:rule-create"),
        reverse("declarations:port-settings", args=["CNSUD"]),
    ):
        assert client.get(url).status_code == expected


def test_officer_cannot_create_rules_or_change_tolerances(cnsud):
    officer = factories.customs_officer(ports=("CNSUD",))
    with pytest.raises(PermissionDenied):
        risk_rule_create(actor=officer, name="Furniture", score=10)
    with pytest.raises(PermissionDenied):
        port_risk_settings_update(actor=officer, port_id=cnsud.pk, red_score=50)
    with pytest.raises(PermissionDenied):
        reverify_job_start(actor=officer)
    assert not RiskRule.objects.exists()


def test_supervisor_of_other_port_cannot_make_or_change_a_rule_of_this_port(
    supervisor, other_supervisor, cnsud, client
):
    with pytest.raises(ValidationError) as refused:
        risk_rule_create(actor=other_supervisor, name="Shunde furniture", score=10, port=cnsud)
    assert "port" in refused.value.message_dict
    rule = risk_rule_create(actor=supervisor, name="Shunde furniture", score=10, port=cnsud)
    with pytest.raises(PermissionDenied):
        risk_rule_update(actor=other_supervisor, rule_id=rule.pk, score=30)
    with pytest.raises(PermissionDenied):
        risk_rule_disable(actor=other_supervisor, rule_id=rule.pk)
    client.force_login(other_supervisor)
    assert client.get(reverse("declarations:rule-edit", args=[rule.pk])).status_code == 403
    assert client.post(reverse("declarations:rule-disable", args=[rule.pk])).status_code == 403
    rule.refresh_from_db()
    assert (rule.score, rule.active) == (10, True)


def test_a_rule_for_every_port_may_be_changed_by_any_supervisor(supervisor, other_supervisor):
    rule = risk_rule_create(actor=supervisor, name="High value", score=15, min_value=Decimal("100000"))
    risk_rule_update(actor=other_supervisor, rule_id=rule.pk, score=25)
    rule.refresh_from_db()
    assert rule.score == 25


def test_tolerances_only_by_supervisors_of_the_port(supervisor, other_supervisor, cnsud, client):
    with pytest.raises(PermissionDenied):
        port_risk_settings_update(actor=other_supervisor, port_id=cnsud.pk, gross_mass_tolerance_percent=Decimal("8"))
    client.force_login(other_supervisor)
    assert client.get(reverse("declarations:port-settings", args=["CNSUD"])).status_code == 404
    assert not PortRiskSettings.objects.filter(port=cnsud).exists()


# Validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"hs_prefix": "94.03"}, "hs_prefix"),
        ({"hs_prefix": "ab"}, "hs_prefix"),
        ({"hs_prefix": "999999"}, "hs_prefix"),
        ({"score": 0, "forced_lane": ""}, "score"),
        ({"min_value": Decimal("-1")}, "min_value"),
    ],
)
def test_invalid_rule_is_refused_with_the_field_named(supervisor, values, field):
    arguments = {"name": "Rule", "score": 10, **values}
    with pytest.raises(ValidationError) as refused:
        risk_rule_create(actor=supervisor, **arguments)
    assert field in refused.value.message_dict
    assert not RiskRule.objects.exists()


def test_a_forced_lane_without_score_and_an_existing_chapter_are_accepted(supervisor):
    rule = risk_rule_create(actor=supervisor, name="Arms", hs_prefix="93", forced_lane=Lane.RED)
    assert (rule.hs_prefix, rule.score, rule.forced_lane, rule.active) == ("93", 0, "red", True)


def test_thresholds_must_be_ordered(supervisor, cnsud):
    with pytest.raises(ValidationError) as refused:
        port_risk_settings_update(actor=supervisor, port_id=cnsud.pk, yellow_score=50, red_score=40)
    assert "red_score" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        port_risk_settings_update(actor=supervisor, port_id=cnsud.pk, gross_mass_tolerance_percent=Decimal("120"))
    assert "gross_mass_tolerance_percent" in refused.value.message_dict
    settings = port_risk_settings_update(
        actor=supervisor, port_id=cnsud.pk, yellow_score=20, red_score=60, gross_mass_tolerance_percent=Decimal("7.50")
    )
    assert (settings.yellow_score, settings.red_score, settings.gross_mass_tolerance_percent) == (
        20,
        60,
        Decimal("7.50"),
    )


def test_page_shows_the_errors_next_to_their_fields(client, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("declarations:rule-create"), {"name": "Bad", "hs_prefix": "12x", "score": "0"})
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'id="id_hs_prefix-error">Give the HS code or chapter as digits only', page)
    assert re.search(r'id="id_score-error">Give a score above 0 or choose a forced lane', page)
    assert not RiskRule.objects.exists()

    response = client.post(
        reverse("declarations:port-settings", args=["CNSUD"]),
        {
            "gross_mass_tolerance_percent": "5",
            "temperature_tolerance": "1",
            "value_anomaly_factor": "3",
            "random_selection_percent": "5",
            "yellow_score": "40",
            "red_score": "15",
        },
    )
    assert response.status_code == 200
    assert 'id="id_red_score-error">The red threshold must be above the yellow one' in response.content.decode()


# The pages and history ---------------------------------------------------------------------------


def test_supervisor_creates_edits_and_disables_a_rule_with_history(client, supervisor, cnsud):
    client.force_login(supervisor)
    response = client.post(
        reverse("declarations:rule-create"),
        {"name": "Furniture from Shunde", "port": cnsud.pk, "hs_prefix": "9403", "score": "20", "forced_lane": ""},
    )
    assert response.status_code == 302
    rule = RiskRule.objects.get(name="Furniture from Shunde")
    assert (rule.port, rule.hs_prefix, rule.score) == (cnsud, "9403", 20)

    response = client.post(
        reverse("declarations:rule-edit", args=[rule.pk]),
        {
            "name": "Furniture from Shunde",
            "port": cnsud.pk,
            "hs_prefix": "9403",
            "score": "35",
            "forced_lane": "yellow",
        },
    )
    assert response.status_code == 302
    assert client.post(reverse("declarations:rule-disable", args=[rule.pk])).status_code == 302
    rule.refresh_from_db()
    assert (rule.score, rule.forced_lane, rule.active) == (35, "yellow", False)
    assert rule.pk not in [facts.id for facts in active_risk_rules()]

    history = list(rule.history.order_by("history_date", "history_id"))
    assert [h.history_change_reason for h in history] == ["created", "updated", "disabled"]
    assert {h.history_user_id for h in history} == {supervisor.pk}
    assert [h.score for h in history] == [20, 35, 35]

    listing = client.get(reverse("declarations:rules")).content.decode()
    disabled_table = listing.split('data-testid="disabled-rules-table"', 1)[1]
    assert "Furniture from Shunde" in disabled_table
    edit_page = client.get(reverse("declarations:rule-edit", args=[rule.pk])).content.decode()
    assert supervisor.username in edit_page and "score added" in edit_page

    client.post(reverse("declarations:rule-disable", args=[rule.pk]), {"enable": "1"})
    rule.refresh_from_db()
    assert rule.active


def test_tolerances_history_records_the_supervisor(client, supervisor, cnsud):
    client.force_login(supervisor)
    response = client.post(
        reverse("declarations:port-settings", args=["cnsud"]),
        {
            "gross_mass_tolerance_percent": "3.5",
            "temperature_tolerance": "0.5",
            "value_anomaly_factor": "4",
            "random_selection_percent": "10",
            "yellow_score": "10",
            "red_score": "30",
            "auto_release_green": "on",
        },
    )
    assert response.status_code == 302
    settings = PortRiskSettings.objects.get(port=cnsud)
    assert (settings.gross_mass_tolerance_percent, settings.red_score, settings.auto_release_green) == (
        Decimal("3.50"),
        30,
        True,
    )
    assert settings.history.latest().history_user == supervisor
    page = client.get(reverse("declarations:port-settings", args=["CNSUD"])).content.decode()
    assert 'data-testid="history"' in page and supervisor.username in page


# Re-verification job -----------------------------------------------------------------------------


@pytest.fixture
def open_declarations(supervisor):
    trader = factories.trader()
    officer = factories.customs_officer(ports=("CNSUD",))
    cnsud = Port.objects.get(locode="CNSUD")
    # Thresholds no warning reaches alone, so the first verification leaves them green or yellow.
    port_risk_settings_update(actor=supervisor, port_id=cnsud.pk, yellow_score=150, red_score=300)
    waiting = [submitted(trader) for _ in range(5)]
    for declaration in waiting:
        declaration_verify(declaration_id=declaration.pk)
        declaration.refresh_from_db()
        assert declaration.status == Status.UNDER_REVIEW and declaration.lane != Lane.RED
    decided = submitted(trader)
    declaration_decide(actor=officer, declaration_id=decided.pk, action=Action.RELEASE)
    elsewhere = submitted(trader, origin_port="CNSHK", transfer_port="CNSUD")
    return {"waiting": waiting, "released": decided, "other_port": elsewhere}


def test_reverify_job_queues_open_declarations_in_batches_and_applies_new_rules(
    supervisor, open_declarations, django_capture_on_commit_callbacks, monkeypatch
):
    from portal.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    risk_rule_create(actor=supervisor, name="Furniture to red", hs_prefix="94", forced_lane=Lane.RED)
    with django_capture_on_commit_callbacks(execute=False):
        job = reverify_job_start(actor=supervisor)
    assert (job.status, job.total, job.queued) == (ReverifyJobStatus.PENDING, 5, 0)

    with django_capture_on_commit_callbacks(execute=True):
        reverify_job_run(job_id=job.pk, batch_size=2)  # three batches: 2, 2, 1

    job.refresh_from_db()
    assert (job.status, job.queued, job.cursor_id) == (ReverifyJobStatus.QUEUED, 5, open_declarations["waiting"][-1].pk)
    for declaration in open_declarations["waiting"]:
        declaration.refresh_from_db()
        assert (declaration.status, declaration.lane) == (Status.UNDER_REVIEW, Lane.RED)
        assert declaration.verifications.filter(version=declaration.version).exists()
    assert not open_declarations["released"].verifications.exists()
    assert not open_declarations["other_port"].verifications.exists()
    progress = reverify_job_progress(job=job)
    assert (progress.verified, progress.waiting, progress.finished, progress.verified_percent) == (5, 0, True, 100)

    with django_capture_on_commit_callbacks(execute=True):
        again = reverify_job_run(job_id=job.pk)
    assert again.queued == 5  # a finished job is left alone


def test_reverify_progress_counts_batches_before_their_runs(
    supervisor, open_declarations, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = reverify_job_start(actor=supervisor)
        reverify_job_run(job_id=job.pk, batch_size=2)  # tasks not sent: nothing verified yet
    job.refresh_from_db()
    progress = reverify_job_progress(job=job)
    assert (job.queued, progress.verified, progress.waiting, progress.finished) == (5, 0, 5, False)


def test_reverify_page_polls_until_finished(client, supervisor, open_declarations, django_capture_on_commit_callbacks):
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("declarations:reverify-start"))
    job = ReverifyJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "declarations:reverify-detail", args=[job.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert f'hx-get="{reverse("declarations:reverify-progress", args=[job.pk])}"' in page
    assert "0 of 5 open declarations queued" in page
    other = factories.customs_supervisor(ports=("CNSHK",))
    client.force_login(other)
    assert client.get(reverse("declarations:reverify-detail", args=[job.pk])).status_code == 404


@pytest.mark.worker
def test_reverify_through_the_real_worker(celery_worker, client):
    supervisor = factories.customs_supervisor(ports=("CNSUD",))
    cnsud = Port.objects.get(locode="CNSUD")
    # Thresholds no warning reaches alone, so the first verification leaves them green or yellow.
    port_risk_settings_update(actor=supervisor, port_id=cnsud.pk, yellow_score=150, red_score=300)
    trader = factories.trader()
    declarations = [submitted(trader) for _ in range(4)]
    wait_until(lambda: all(Declaration.objects.get(pk=d.pk).lane for d in declarations), "first verification")
    assert {Declaration.objects.get(pk=d.pk).lane for d in declarations} != {Lane.RED}
    risk_rule_create(actor=supervisor, name="Furniture to red", hs_prefix="9403", forced_lane=Lane.RED)
    client.force_login(supervisor)

    response = client.post(reverse("declarations:reverify-start"))
    job = ReverifyJob.objects.get()
    progress_url = reverse("declarations:reverify-progress", args=[job.pk])
    assert response["Location"] == reverse("declarations:reverify-detail", args=[job.pk])

    def finished() -> bool:
        return 'data-finished="true"' in client.get(progress_url).content.decode()

    wait_until(finished, "the re-verification job")
    fragment = client.get(progress_url).content.decode()
    assert "hx-get" not in fragment and "4 of 4 verified again" in fragment
    assert {Declaration.objects.get(pk=d.pk).lane for d in declarations} == {Lane.RED}


def wait_until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")
