"""Reads for the officer review page: the logistics evidence of one declaration, side by side.

A constant number of queries whatever the number of containers, events and readings:
one each for manifest lines, container events, sensor readings and holds. The chart
geometry is a pure function (:func:`temperature_chart`) so it is tested without a database.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from .choices import SEAL_OPEN_VALUES, SensorKind
from .crosscheck.loader import EVIDENCE_LOOKBACK
from .models import ContainerEvent, Declaration, DeclarationContainer, Hold, ManifestLine, SensorReading

# At most this many events and readings are shown (most recent kept); beyond that the page says so.
EVENT_LIMIT = 500
READING_LIMIT = 2000

CHART_WIDTH, CHART_HEIGHT = 640, 220
CHART_MARGIN = {"left": 48, "right": 12, "top": 12, "bottom": 28}


@dataclass
class ChartPoint:
    x: float
    y: float
    value: Decimal
    read_at: datetime
    outside: bool
    reading_id: int


@dataclass
class TemperatureChart:
    """An SVG line chart of temperature against time, with the declared range as a band."""

    width: int
    height: int
    points: list[ChartPoint]
    polyline: str
    band: dict | None  # {"y": top, "height": h} of the declared range, clipped to the plot
    y_ticks: list[dict]  # {"y": pixel, "label": "−18.0"}
    x_ticks: list[dict]  # {"x": pixel, "label": "03-01 14:00"}
    plot: dict  # left, top, right, bottom
    minimum: Decimal | None
    maximum: Decimal | None
    outside_count: int


@dataclass
class ContainerEvidence:
    container: DeclarationContainer
    events: list[ContainerEvent] = field(default_factory=list)
    temperatures: list[SensorReading] = field(default_factory=list)
    seal_readings: list[SensorReading] = field(default_factory=list)
    other_readings: list[SensorReading] = field(default_factory=list)
    chart: TemperatureChart | None = None
    seals_seen: list[str] = field(default_factory=list)

    @property
    def seal_status(self) -> str:
        """ "broken" if any seal reading says open, "intact" if readings exist, else "unknown"."""
        if any(reading.value.strip().lower() in SEAL_OPEN_VALUES for reading in self.seal_readings):
            return "broken"
        return "intact" if self.seal_readings else "unknown"

    @property
    def seal_mismatch(self) -> bool:
        return any(seal != self.container.seal_number for seal in self.seals_seen)

    @property
    def ports(self) -> list[str]:
        return list(dict.fromkeys(event.port.locode for event in self.events))


@dataclass
class ReviewEvidence:
    manifest_lines: list[ManifestLine]
    containers: list[ContainerEvidence]
    holds: list[Hold]
    since: datetime
    truncated: bool

    @property
    def active_holds(self) -> list[Hold]:
        return [hold for hold in self.holds if hold.lifted_at is None]


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, ValueError, AttributeError):
        return None
    return number if number.is_finite() else None


def _nice_step(span: Decimal) -> Decimal:
    for step in (
        Decimal("0.5"),
        Decimal("1"),
        Decimal("2"),
        Decimal("5"),
        Decimal("10"),
        Decimal("20"),
        Decimal("50"),
        Decimal("100"),
    ):
        if span / step <= 6:
            return step
    return Decimal("200")


def temperature_chart(
    readings: list[tuple[int, datetime, Decimal]],
    minimum: Decimal | None,
    maximum: Decimal | None,
    *,
    width: int = CHART_WIDTH,
    height: int = CHART_HEIGHT,
) -> TemperatureChart | None:
    """Geometry of a temperature chart: ``readings`` are (id, time, °C) oldest first; the declared
    range ``minimum``..``maximum`` is drawn as a band and readings outside it are flagged."""
    if not readings:
        return None
    left, top = CHART_MARGIN["left"], CHART_MARGIN["top"]
    right, bottom = width - CHART_MARGIN["right"], height - CHART_MARGIN["bottom"]
    values = [value for _id, _time, value in readings]
    low = min([*values, *(v for v in (minimum, maximum) if v is not None)])
    high = max([*values, *(v for v in (minimum, maximum) if v is not None)])
    step = _nice_step(max(high - low, Decimal("1")))
    low = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    high = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    if high == low:
        high = low + step
    first, last = readings[0][1], readings[-1][1]
    seconds = max((last - first).total_seconds(), 1.0)

    def x_of(when: datetime) -> float:
        if len(readings) == 1:
            return (left + right) / 2
        return round(left + (when - first).total_seconds() / seconds * (right - left), 1)

    def y_of(value: Decimal) -> float:
        return round(bottom - float((value - low) / (high - low)) * (bottom - top), 1)

    points = [
        ChartPoint(
            x=x_of(when),
            y=y_of(value),
            value=value,
            read_at=when,
            reading_id=reading_id,
            outside=(minimum is not None and value < minimum) or (maximum is not None and value > maximum),
        )
        for reading_id, when, value in readings
    ]
    band = None
    if minimum is not None or maximum is not None:
        band_top = y_of(maximum) if maximum is not None else top
        band_bottom = y_of(minimum) if minimum is not None else bottom
        band = {"x": left, "y": band_top, "width": right - left, "height": round(band_bottom - band_top, 1)}
    y_ticks = []
    tick = low
    while tick <= high:
        y_ticks.append({"y": y_of(tick), "label": f"{tick:.1f}"})
        tick += step
    local = timezone.get_current_timezone()
    x_ticks = [
        {"x": x_of(when), "label": timezone.localtime(when, local).strftime("%m-%d %H:%M")}
        for when in ([first] if len(readings) == 1 else [first, first + (last - first) / 2, last])
    ]
    return TemperatureChart(
        width=width,
        height=height,
        points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        band=band,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        plot={"left": left, "top": top, "right": right, "bottom": bottom},
        minimum=minimum,
        maximum=maximum,
        outside_count=sum(1 for p in points if p.outside),
    )


def declaration_evidence_for_review(*, declaration: Declaration) -> ReviewEvidence:
    """The logistics evidence of a declaration whose containers are prefetched (``declaration_get``):
    its transport document's manifest lines, each container's events across every port and its sensor
    readings since a week before the declaration was drafted (as the verification sees them), and its
    holds. Four queries."""
    containers = list(declaration.containers.all())
    numbers = [container.number for container in containers]
    since = declaration.created_at - EVIDENCE_LOOKBACK
    manifest_lines = (
        list(
            ManifestLine.objects.filter(transport_document_number=declaration.transport_document_number)
            .select_related("manifest__port_of_loading", "manifest__port_of_discharge", "manifest__source")
            .order_by("id")
        )
        if declaration.transport_document_number
        else []
    )
    events = (
        list(
            ContainerEvent.objects.filter(container_number__in=numbers, occurred_at__gte=since)
            .select_related("port", "source")
            .order_by("-occurred_at", "-id")[:EVENT_LIMIT]
        )
        if numbers
        else []
    )
    readings = (
        list(
            SensorReading.objects.filter(container_number__in=numbers, read_at__gte=since).order_by("-read_at", "-id")[
                :READING_LIMIT
            ]
        )
        if numbers
        else []
    )
    holds = list(
        Hold.objects.filter(declaration_id=declaration.pk)
        .select_related("port", "placed_by", "lifted_by")
        .order_by("-placed_at", "-id")
    )
    by_number = {container.number: ContainerEvidence(container=container) for container in containers}
    for event in reversed(events):
        evidence = by_number[event.container_number]
        evidence.events.append(event)
        if event.seal_number:
            evidence.seals_seen.append(event.seal_number)
    for reading in reversed(readings):
        evidence = by_number[reading.container_number]
        if reading.kind == SensorKind.TEMPERATURE:
            evidence.temperatures.append(reading)
        elif reading.kind == SensorKind.SEAL_STATUS:
            evidence.seal_readings.append(reading)
        else:
            evidence.other_readings.append(reading)
    for evidence in by_number.values():
        series = [(r.pk, r.read_at, value) for r in evidence.temperatures if (value := _decimal(r.value)) is not None]
        evidence.chart = temperature_chart(
            series, evidence.container.temperature_min, evidence.container.temperature_max
        )
        evidence.seals_seen = list(dict.fromkeys(evidence.seals_seen))
    return ReviewEvidence(
        manifest_lines=manifest_lines,
        containers=list(by_number.values()),
        holds=holds,
        since=since,
        truncated=len(events) >= EVENT_LIMIT or len(readings) >= READING_LIMIT,
    )
