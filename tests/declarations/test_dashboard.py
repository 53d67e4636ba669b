"""The port dashboard: figures on small hand-made data, the page, its CSV files, who may see it."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from declarations.choices import Action, Lane, Status, WarningCode
from declarations.models import DashboardWarningCount, DashboardWeek, Declaration
from declarations.selectors_dashboard import dashboard_get, lane_counts
from declarations.services import (
    declaration_amend,
    declaration_create_draft,
    declaration_decide,
    declaration_submit,
    declaration_system_transition,
)
from declarations.services.crosscheck import declaration_verify
from declarations.services.dashboard import (
    dashboard_port_refresh,
    dashboard_week_starts,
    percentile_cont,
    week_start,
)
from portal.models import Port
from tests import factories

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday; its week (Shanghai time) starts on Monday 2026-11-16.
NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=SHANGHAI)
THIS_WEEK = dt.date(2026, 11, 16)
LAST_WEEK = dt.date(2026, 11, 9)


@pytest.fixture
def trader():
    return factories.trader()


@pytest.fixture
def officer():
    return factories.customs_officer(ports=("CNSUD",))


@pytest.fixture
def cnsud():
    return Port.objects.get(locode="CNSUD")


def submitted(trader, **header) -> Declaration:
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(**header))
    return declaration_submit(actor=trader, declaration_id=draft.pk)


def released(trader, officer, *, decided_at: dt.datetime, hours: float, action=Action.RELEASE) -> Declaration:
    """A declaration released (or rejected) through the services, then dated: submitted ``hours``
    before ``decided_at``."""
    declaration = submitted(trader)
    declaration_decide(actor=officer, declaration_id=declaration.pk, action=action, message="checked")
    Declaration.objects.filter(pk=declaration.pk).update(
        submitted_at=decided_at - dt.timedelta(hours=hours), decided_at=decided_at
    )
    return declaration


def week_row(port, week: dt.date) -> DashboardWeek:
    return DashboardWeek.objects.get(port=port, week_start=week)


def test_percentile_cont_interpolates_like_sql():
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7.0], 0.9) == 7.0
    assert percentile_cont([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile_cont([10.0, 20.0, 30.0, 60.0], 0.9) == pytest.approx(51.0)


def test_weeks_start_on_monday_in_the_port_time_zone():
    # Monday 01:00 in Shanghai is still Sunday in UTC: it belongs to the Shanghai week.
    moment = dt.datetime(2026, 11, 16, 1, 0, tzinfo=SHANGHAI)
    assert week_start(moment, SHANGHAI) == THIS_WEEK
    assert week_start(moment, ZoneInfo("UTC")) == LAST_WEEK
    weeks = dashboard_week_starts(NOW, SHANGHAI)
    assert len(weeks) == 12 and weeks[-1] == THIS_WEEK and weeks[0] == THIS_WEEK - dt.timedelta(weeks=11)


@pytest.mark.parametrize("vendor", ["database", "python"])
def test_clearance_median_and_90th_percentile_per_week(trader, officer, cnsud, monkeypatch, vendor):
    monday = dt.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)
    for hours in (10, 20, 30, 60):
        released(trader, officer, decided_at=monday + dt.timedelta(hours=hours % 7), hours=hours)
    # Sunday 17:00 UTC = Monday 01:00 in Shanghai: this week, not last week.
    released(trader, officer, decided_at=dt.datetime(2026, 11, 15, 17, 0, tzinfo=dt.UTC), hours=40)
    released(trader, officer, decided_at=monday - dt.timedelta(days=3), hours=50)  # last week
    released(trader, officer, decided_at=monday, hours=5, action=Action.REJECT)  # rejected: not a clearance
    released(trader, officer, decided_at=monday - dt.timedelta(weeks=13), hours=1)  # before the 12 weeks
    other_port = factories.customs_officer(ports=("CNSHK",))
    declaration = submitted(trader, origin_port="CNSHK", transfer_port="CNSUD")
    declaration_decide(actor=other_port, declaration_id=declaration.pk, action=Action.RELEASE)
    if vendor == "python":
        monkeypatch.setattr(connection, "vendor", "sqlite")  # the portable fallback on the same rows

    dashboard_port_refresh(port=cnsud, now=NOW)

    this_week = week_row(cnsud, THIS_WEEK)
    assert this_week.released == 5
    assert this_week.median_seconds == 30 * 3600  # 10, 20, 30, 40, 60 h
    assert this_week.p90_seconds == round((40 + 0.6 * 20) * 3600)  # position 3.6 between 40 h and 60 h
    assert this_week.within_target == 4  # all but 60 h
    last_week = week_row(cnsud, LAST_WEEK)
    assert (last_week.released, last_week.median_seconds, last_week.p90_seconds, last_week.within_target) == (
        1,
        50 * 3600,
        50 * 3600,
        0,
    )
    assert DashboardWeek.objects.filter(port=cnsud).count() == 12
    assert sum(DashboardWeek.objects.filter(port=cnsud).values_list("released", flat=True)) == 6


def test_refresh_replaces_the_previous_figures(trader, officer, cnsud):
    monday = dt.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)
    released(trader, officer, decided_at=monday, hours=10)
    dashboard_port_refresh(port=cnsud, now=NOW)
    released(trader, officer, decided_at=monday, hours=30)
    dashboard_port_refresh(port=cnsud, now=NOW)
    assert DashboardWeek.objects.filter(port=cnsud).count() == 12
    assert week_row(cnsud, THIS_WEEK).released == 2
    assert week_row(cnsud, THIS_WEEK).median_seconds == 20 * 3600


def test_lane_counts_are_the_port_declarations_awaiting_a_decision(trader, officer, cnsud):
    for lane in (Lane.RED, Lane.RED, Lane.YELLOW, Lane.GREEN, Lane.GREEN, Lane.GREEN):
        declaration = submitted(trader)
        declaration_system_transition(declaration_id=declaration.pk, action=Action.START_REVIEW, lane=lane)
    submitted(trader)  # not verified yet
    done = submitted(trader)
    declaration_decide(actor=officer, declaration_id=done.pk, action=Action.RELEASE)  # decided: not counted
    submitted(trader, origin_port="CNSHK", transfer_port="CNSUD")  # the other port's

    assert lane_counts(port=cnsud) == {Lane.RED: 2, Lane.YELLOW: 1, Lane.GREEN: 3, "": 1}


def test_inspections_ordered_and_those_that_found_something(trader, officer, cnsud):
    now = timezone.now()
    inspected = [submitted(trader) for _ in range(3)]
    for declaration in inspected:
        declaration_decide(actor=officer, declaration_id=declaration.pk, action=Action.ORDER_INSPECTION)
    declaration_decide(actor=officer, declaration_id=inspected[0].pk, action=Action.REJECT, message="not as declared")
    plain = submitted(trader)
    declaration_decide(actor=officer, declaration_id=plain.pk, action=Action.REJECT, message="no licence")
    old = inspected[2]  # ordered four weeks ago
    Declaration.history.filter(id=old.pk, status=Status.INSPECTION_REQUIRED).update(
        history_date=now - dt.timedelta(weeks=4)
    )

    dashboard_port_refresh(port=cnsud, now=now)

    zone = SHANGHAI
    current = week_row(cnsud, week_start(now, zone))
    assert (current.inspections_ordered, current.inspections_found) == (2, 1)
    earlier = week_row(cnsud, week_start(now - dt.timedelta(weeks=4), zone))
    assert (earlier.inspections_ordered, earlier.inspections_found) == (1, 0)


def test_warnings_per_code_count_current_versions_only(trader, officer, cnsud):
    first, second = submitted(trader), submitted(trader, transport_document_number="PRBL2026000999")
    for declaration in (first, second):
        declaration_verify(declaration_id=declaration.pk)  # no manifests: MANIFEST_MISSING on each
    declaration_decide(
        actor=officer, declaration_id=second.pk, action=Action.REQUEST_AMENDMENT, message="fix the consignee"
    )
    declaration_amend(actor=trader, declaration_id=second.pk)  # version 2, not verified yet

    dashboard_port_refresh(port=cnsud)

    counts = {row.code: row for row in DashboardWarningCount.objects.filter(port=cnsud)}
    assert counts[WarningCode.MANIFEST_MISSING].warnings == 1
    assert counts[WarningCode.MANIFEST_MISSING].declarations == 1


def test_dashboard_page_shows_each_chart_with_its_table_and_freshness(client, trader, officer, cnsud):
    released(trader, officer, decided_at=timezone.now() - dt.timedelta(hours=1), hours=36)
    declaration = submitted(trader)
    declaration_system_transition(declaration_id=declaration.pk, action=Action.START_REVIEW, lane=Lane.RED)
    client.force_login(officer)

    before = client.get(reverse("declarations:dashboard"))
    assert before.status_code == 200
    assert "have not been computed yet" in before.content.decode()

    dashboard_port_refresh(port=cnsud)
    page = client.get(reverse("declarations:dashboard"), {"port": "CNSUD"}).content.decode()
    for key in ("lanes", "clearance", "warnings", "inspections"):
        assert f'data-testid="{key}-chart"' in page and f'data-testid="table-{key}"' in page
        assert f'data-testid="csv-{key}"' in page
    assert "recomputed every 10 minutes" in page
    assert "<script" not in page.split("<main", 1)[1]
    assert "36.0" in page  # the median of this week's single release, in hours
    assert "later rejected or sent back for amendment" in page


def test_csv_has_the_numbers_of_the_chart(client, trader, officer, cnsud):
    monday = dt.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)
    for hours in (12, 24):
        released(trader, officer, decided_at=monday, hours=hours)
    for lane in (Lane.RED, Lane.GREEN, Lane.GREEN):
        declaration = submitted(trader)
        declaration_system_transition(declaration_id=declaration.pk, action=Action.START_REVIEW, lane=lane)
    dashboard_port_refresh(port=cnsud, now=NOW)
    DashboardWeek.objects.filter(port=cnsud).update(computed_at=timezone.now())
    client.force_login(officer)

    lanes = client.get(reverse("declarations:dashboard-csv", args=["lanes"]), {"port": "CNSUD"})
    assert lanes["Content-Type"].startswith("text/csv")
    assert "CNSUD-lanes.csv" in lanes["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(lanes.content.decode())))
    assert rows[0] == ["Lane", "Declarations"]
    assert rows[1:] == [["Red", "1"], ["Yellow", "0"], ["Green", "2"], ["Not yet verified", "0"]]

    figures = dashboard_get(actor=officer, port_locode="CNSUD", now=NOW).charts["clearance"]
    this_week = next(row for row in figures.rows if row[0] == THIS_WEEK.isoformat())
    assert [str(value) for value in this_week[1:]] == ["2", "18.0", "22.8", "2", "100.0"]


def test_unknown_chart_is_404(client, officer):
    client.force_login(officer)
    assert client.get(reverse("declarations:dashboard-csv", args=["nothing"])).status_code == 404


@pytest.mark.parametrize(
    ("make_user", "port", "expected"),
    [
        (lambda: factories.customs_officer(ports=("CNSUD",)), "CNSUD", 200),
        (lambda: factories.customs_supervisor(ports=("CNSUD", "CNSHK")), "CNSHK", 200),
        (lambda: factories.customs_officer(ports=("CNSHK",)), "CNSUD", 404),
        (lambda: factories.customs_officer(ports=()), "", 404),
        (lambda: factories.trader(), "CNSUD", 403),
        (lambda: factories.bank_officer(), "CNSUD", 403),
        (lambda: factories.logistics_system(), "CNSUD", 403),
    ],
)
def test_who_may_see_a_port_dashboard(client, make_user, port, expected):
    client.force_login(make_user())
    assert client.get(reverse("declarations:dashboard"), {"port": port}).status_code == expected
    assert client.get(reverse("declarations:dashboard-csv", args=["lanes"]), {"port": port}).status_code == expected


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("declarations:dashboard"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_recompute_now_refreshes_the_port(client, trader, officer, cnsud, monkeypatch):
    from portal.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    released(trader, officer, decided_at=timezone.now() - dt.timedelta(hours=2), hours=20)
    client.force_login(officer)
    response = client.post(reverse("declarations:dashboard-refresh"), {"port": "CNSUD"})
    assert response.status_code == 302
    assert sum(DashboardWeek.objects.filter(port=cnsud).values_list("released", flat=True)) == 1


def test_page_queries_do_not_grow_with_the_data(client, trader, officer, cnsud):
    client.force_login(officer)
    dashboard_port_refresh(port=cnsud)
    url = reverse("declarations:dashboard") + "?port=CNSUD"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    monday = timezone.now() - dt.timedelta(days=1)
    for weeks_ago in range(6):
        released(trader, officer, decided_at=monday - dt.timedelta(weeks=weeks_ago), hours=10 + weeks_ago)
    for lane in (Lane.RED, Lane.YELLOW, Lane.GREEN):
        declaration = submitted(trader)
        declaration_system_transition(declaration_id=declaration.pk, action=Action.START_REVIEW, lane=lane)
        declaration_verify(declaration_id=declaration.pk)
    dashboard_port_refresh(port=cnsud)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
