"""The port dashboard for customs officers and supervisors: four charts, each with its numbers.

Queue sizes per lane are counted live (one grouped count on an index); clearance times,
inspections and warnings per code come from the figures ``services.dashboard`` precomputes
every ten minutes, so the page costs the same handful of queries at any size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count
from django.utils import formats, timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from portal import roles
from portal.models import Port, User

from .charts import Bar, Series, horizontal_bars, weekly_bars, weekly_lines
from .choices import AWAITING_DECISION, Lane, WarningCode
from .models import DashboardWarningCount, DashboardWeek, Declaration
from .services.dashboard import (
    CLEARANCE_TARGET,
    DASHBOARD_REFRESH_SECONDS,
    dashboard_week_starts,
    port_zone,
)

CHART_KEYS = ("lanes", "clearance", "warnings", "inspections")


@dataclass
class Chart:
    key: str
    title: str
    columns: list[str]
    rows: list[list]
    svg: SafeString
    note: str = ""


@dataclass
class Dashboard:
    port: Port
    ports: list[Port]
    charts: dict[str, Chart] = field(default_factory=dict)
    computed_at: dt.datetime | None = None
    refresh_minutes: int = DASHBOARD_REFRESH_SECONDS // 60


def dashboard_ports(*, actor: User) -> list[Port]:
    """The ports whose dashboard ``actor`` may see: the ports a customs officer or supervisor serves."""
    if not roles.is_customs(actor):
        return []
    return list(actor.ports_served.order_by("locode"))


def _hours(seconds: int | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def lane_counts(*, port: Port) -> dict[str, int]:
    """Declarations of the port awaiting a decision now, per lane ("" = not yet verified)."""
    counts = dict(
        Declaration.objects.filter(origin_port=port, status__in=AWAITING_DECISION)
        .values("lane")
        .annotate(n=Count("id"))
        .values_list("lane", "n")
    )
    return {lane: counts.get(lane, 0) for lane in (Lane.RED, Lane.YELLOW, Lane.GREEN, "")}


def _lanes_chart(port: Port) -> Chart:
    counts = lane_counts(port=port)
    names = {Lane.RED: _("Red"), Lane.YELLOW: _("Yellow"), Lane.GREEN: _("Green"), "": _("Not yet verified")}
    css = {Lane.RED: "chart-red", Lane.YELLOW: "chart-yellow", Lane.GREEN: "chart-green", "": "chart-grey"}
    title = _("Declarations awaiting a decision now, per lane")
    return Chart(
        key="lanes",
        title=title,
        columns=[_("Lane"), _("Declarations")],
        rows=[[names[lane], count] for lane, count in counts.items()],
        svg=horizontal_bars(
            [Bar(names[lane], count, css[lane]) for lane, count in counts.items()], title=title, chart_id="lanes"
        ),
        note=_("Counted live."),
    )


def _week_label(week: dt.date) -> str:
    return formats.date_format(week, "m-d")


def _weeks(port: Port, now: dt.datetime) -> tuple[list[DashboardWeek], dt.datetime | None]:
    stored = {row.week_start: row for row in DashboardWeek.objects.filter(port=port)}
    weeks = []
    for start in dashboard_week_starts(now, port_zone(port)):
        weeks.append(stored.get(start) or DashboardWeek(port=port, week_start=start))
    computed = [row.computed_at for row in stored.values()]
    return weeks, (min(computed) if computed else None)


def _clearance_chart(weeks: list[DashboardWeek]) -> Chart:
    target_hours = Decimal(int(CLEARANCE_TARGET.total_seconds())) / 3600
    labels = [_week_label(week.week_start) for week in weeks]
    medians = [_hours(week.median_seconds) for week in weeks]
    p90s = [_hours(week.p90_seconds) for week in weeks]
    title = _("Clearance time (submitted → released), hours, per week of release")
    target_label = _("Target: %(hours)s h (2 days)") % {"hours": f"{target_hours:.0f}"}
    return Chart(
        key="clearance",
        title=title,
        columns=[
            _("Week starting"),
            _("Released"),
            _("Median (h)"),
            _("90th percentile (h)"),
            _("Released within 2 days"),
            _("Share within 2 days (%)"),
        ],
        rows=[
            [
                week.week_start.isoformat(),
                week.released,
                median,
                p90,
                week.within_target,
                (Decimal(week.within_target * 100) / week.released).quantize(Decimal("0.1")) if week.released else None,
            ]
            for week, median, p90 in zip(weeks, medians, p90s, strict=True)
        ],
        svg=weekly_lines(
            labels,
            [
                Series(_("Median"), [float(v) if v is not None else None for v in medians], "chart-median"),
                Series(_("90th percentile"), [float(v) if v is not None else None for v in p90s], "chart-p90"),
            ],
            title=title,
            chart_id="clearance",
            unit=_("hours"),
            target=float(target_hours),
            target_label=target_label,
        ),
        note=target_label,
    )


def _inspections_chart(weeks: list[DashboardWeek]) -> Chart:
    labels = [_week_label(week.week_start) for week in weeks]
    title = _("Inspections ordered and inspections that found something, per week ordered")
    return Chart(
        key="inspections",
        title=title,
        columns=[_("Week starting"), _("Inspections ordered"), _("Found something")],
        rows=[[week.week_start.isoformat(), week.inspections_ordered, week.inspections_found] for week in weeks],
        svg=weekly_bars(
            labels,
            [
                Series(_("Ordered"), [week.inspections_ordered for week in weeks], "chart-red"),
                Series(_("Found something"), [week.inspections_found for week in weeks], "chart-yellow"),
            ],
            title=title,
            chart_id="inspections",
            unit=_("declarations"),
        ),
        note=_(
            "Inspection results are not recorded yet: an inspection counts as ordered when the declaration "
            "went to “inspection required” (its history), and as having found something when the declaration "
            "was later rejected or sent back for amendment."
        ),
    )


def _warnings_chart(port: Port) -> Chart:
    counts = {row.code: row for row in DashboardWarningCount.objects.filter(port=port)}
    rows = sorted(counts.values(), key=lambda row: (-row.warnings, row.code))
    labels = {code: code for code in WarningCode.values}
    title = _("Warnings per code on the current versions of declarations submitted in the last 12 weeks")
    return Chart(
        key="warnings",
        title=title,
        columns=[_("Code"), _("Meaning"), _("Warnings"), _("Declarations")],
        rows=[
            [
                row.code,
                str(WarningCode(row.code).label) if row.code in WarningCode.values else "",
                row.warnings,
                row.declarations,
            ]
            for row in rows
        ],
        svg=horizontal_bars(
            [Bar(labels.get(row.code, row.code), row.warnings, "chart-bar") for row in rows],
            title=title,
            chart_id="warnings",
        ),
    )


def dashboard_get(*, actor: User, port_locode: str = "", now: dt.datetime | None = None) -> Dashboard:
    """The dashboard of one port ``actor`` serves (the first one when none is asked for).

    Raises ``Port.DoesNotExist`` when the actor serves no such port."""
    ports = dashboard_ports(actor=actor)
    if port_locode:
        port = next((p for p in ports if p.locode == port_locode.upper()), None)
    else:
        port = ports[0] if ports else None
    if port is None:
        raise Port.DoesNotExist
    now = now or timezone.now()
    weeks, computed_at = _weeks(port, now)
    dashboard = Dashboard(port=port, ports=ports, computed_at=computed_at)
    for chart in (_lanes_chart(port), _clearance_chart(weeks), _warnings_chart(port), _inspections_chart(weeks)):
        dashboard.charts[chart.key] = chart
    return dashboard
