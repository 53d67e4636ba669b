"""The port dashboard's weekly figures, precomputed so the page stays fast at a million declarations.

:func:`dashboard_figures_refresh` (beat task ``declarations.dashboard_refresh``, every
``DASHBOARD_REFRESH_SECONDS``) recomputes, for every port that has customs staff, the last
``DASHBOARD_WEEKS`` weeks (Monday to Sunday in the port's time zone):

- clearance time of the declarations released that week (``submitted_at`` → ``decided_at``):
  count, median and 90th percentile (PostgreSQL ``percentile_cont``; the same definition,
  linear interpolation, computed in Python on other databases), and how many met the target;
- inspections ordered that week (the declaration's history shows ``inspection_required``) and
  how many of them found something — the declaration was later rejected or sent back for
  amendment (there is no inspection-results app yet, so this is the proxy);
- warnings per code on the current versions of the port's declarations submitted in the window.

Each port's rows are replaced in one transaction, so the page never sees half a refresh.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, F, Max, Min
from django.utils import timezone

from portal.choices import Role
from portal.models import Port

from ..choices import Status
from ..models import DashboardWarningCount, DashboardWeek, Declaration, VerificationWarning

DASHBOARD_WEEKS = 12
DASHBOARD_REFRESH_SECONDS = 600
CLEARANCE_TARGET = dt.timedelta(days=2)
RELEASED_STATUSES = (Status.RELEASED, Status.DEPARTED, Status.ARRIVED)
CHUNK = 2000


def port_zone(port: Port) -> ZoneInfo:
    return ZoneInfo(port.timezone or "Asia/Shanghai")


def week_start(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The Monday of the week ``moment`` falls in, in ``zone``."""
    day = moment.astimezone(zone).date()
    return day - dt.timedelta(days=day.weekday())


def dashboard_week_starts(now: dt.datetime, zone: ZoneInfo) -> list[dt.date]:
    """The Mondays of the dashboard's weeks, oldest first; the last is the current (partial) week."""
    current = week_start(now, zone)
    return [current - dt.timedelta(weeks=back) for back in range(DASHBOARD_WEEKS - 1, -1, -1)]


def dashboard_window_start(now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    first = dashboard_week_starts(now, zone)[0]
    return dt.datetime.combine(first, dt.time.min, tzinfo=zone)


def percentile_cont(sorted_values: Sequence[float], fraction: float) -> float | None:
    """SQL's ``percentile_cont``: linear interpolation between the closest ranks of sorted values."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def _clearance_by_week(port: Port, since: dt.datetime, zone: ZoneInfo) -> dict[dt.date, tuple]:
    """{week start: (released, median seconds, p90 seconds, within target)}."""
    if connection.vendor == "postgresql":
        table = Declaration._meta.db_table
        # The table name is the model's own; every value is a parameter.
        sql = f"""
                SELECT date_trunc('week', decided_at AT TIME ZONE %s)::date,
                       count(*),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM decided_at - submitted_at)),
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM decided_at - submitted_at)),
                       count(*) FILTER (WHERE decided_at - submitted_at <= %s)
                  FROM {table}
                 WHERE origin_port_id = %s AND status = ANY(%s) AND decided_at >= %s AND submitted_at IS NOT NULL
                 GROUP BY 1
                """  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [str(zone), CLEARANCE_TARGET, port.pk, list(RELEASED_STATUSES), since])
            return {row[0]: (row[1], row[2], row[3], row[4]) for row in cursor.fetchall()}
    durations: dict[dt.date, list[float]] = defaultdict(list)
    rows = Declaration.objects.filter(
        origin_port=port,
        status__in=RELEASED_STATUSES,
        decided_at__gte=since,
        submitted_at__isnull=False,
    ).values_list("submitted_at", "decided_at")
    for submitted_at, decided_at in rows.iterator(chunk_size=CHUNK):
        durations[week_start(decided_at, zone)].append((decided_at - submitted_at).total_seconds())
    result = {}
    for week, values in durations.items():
        values.sort()
        within = sum(1 for value in values if value <= CLEARANCE_TARGET.total_seconds())
        result[week] = (len(values), percentile_cont(values, 0.5), percentile_cont(values, 0.9), within)
    return result


def _inspections_by_week(port: Port, since: dt.datetime, zone: ZoneInfo) -> dict[dt.date, tuple[int, int]]:
    """{week start: (inspections ordered, of which found something)}, from the declarations' history."""
    history = Declaration.history.model
    ordered = dict(
        history.objects.filter(status=Status.INSPECTION_REQUIRED, origin_port_id=port.pk, history_date__gte=since)
        .values("id")
        .annotate(at=Min("history_date"))
        .values_list("id", "at")
    )
    found: set[int] = set()
    ids = list(ordered)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found.update(Declaration.objects.filter(pk__in=chunk, status=Status.REJECTED).values_list("pk", flat=True))
        amended = (
            history.objects.filter(id__in=chunk, status=Status.AMENDMENT_REQUESTED)
            .values("id")
            .annotate(last=Max("history_date"))
            .values_list("id", "last")
        )
        found.update(pk for pk, last in amended if last > ordered[pk])
    weeks: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for pk, at in ordered.items():
        counts = weeks[week_start(at, zone)]
        counts[0] += 1
        counts[1] += pk in found
    return {week: (counts[0], counts[1]) for week, counts in weeks.items()}


def _warning_counts(port: Port, since: dt.datetime) -> list[tuple[str, int, int]]:
    rows = (
        VerificationWarning.objects.filter(
            declaration__origin_port_id=port.pk,
            declaration__submitted_at__gte=since,
            run__version=F("declaration__version"),
        )
        .values("code")
        .annotate(warnings=Count("id"), declarations=Count("declaration_id", distinct=True))
        .values_list("code", "warnings", "declarations")
    )
    return list(rows)


def _seconds(value) -> int | None:
    return None if value is None else round(value)


def dashboard_port_refresh(*, port: Port, now: dt.datetime | None = None) -> None:
    """Recompute one port's weekly figures and warning counts and replace the stored ones."""
    now = now or timezone.now()
    zone = port_zone(port)
    since = dashboard_window_start(now, zone)
    clearance = _clearance_by_week(port, since, zone)
    inspections = _inspections_by_week(port, since, zone)
    warnings = _warning_counts(port, since)
    computed_at = timezone.now()
    weeks = []
    for week in dashboard_week_starts(now, zone):
        released, median, p90, within = clearance.get(week, (0, None, None, 0))
        ordered, found = inspections.get(week, (0, 0))
        weeks.append(
            DashboardWeek(
                port=port,
                week_start=week,
                released=released,
                median_seconds=_seconds(median),
                p90_seconds=_seconds(p90),
                within_target=within,
                inspections_ordered=ordered,
                inspections_found=found,
                computed_at=computed_at,
            )
        )
    with transaction.atomic():
        DashboardWeek.objects.filter(port=port).delete()
        DashboardWeek.objects.bulk_create(weeks)
        DashboardWarningCount.objects.filter(port=port).delete()
        DashboardWarningCount.objects.bulk_create(
            [
                DashboardWarningCount(
                    port=port, code=code, warnings=count, declarations=declarations, computed_at=computed_at
                )
                for code, count, declarations in warnings
            ]
        )


def dashboard_figures_refresh(*, now: dt.datetime | None = None) -> int:
    """Refresh the figures of every port served by customs officers or supervisors; the number of ports."""
    ports = list(
        Port.objects.filter(
            officers__role__in=[Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR], officers__is_active=True
        ).distinct()
    )
    for port in ports:
        dashboard_port_refresh(port=port, now=now)
    return len(ports)
