"""Ingesting what carriers, terminals and IoT platforms report: manifests, container events, sensor readings.

One service per record kind, called alike by the bulk API and the CSV upload task. Each
takes a list of at most :data:`MAX_RECORDS` rows (dicts of raw values as they arrive in
JSON or CSV, or already parsed ones) and is **all or nothing**:

1. every row is checked first, with no query per row (ports are looked up once per call);
   if any row is wrong, nothing is stored and :class:`~django.core.exceptions.ValidationError`
   is raised with ``{"<row index>.<field>": [messages]}``, e.g. ``"17.container_number"`` or
   ``"3.lines.0.gross_mass"`` (row indexes count from 0);
2. otherwise all rows are stored in one transaction, in batches of :data:`BATCH_SIZE`. A
   row whose ``external_id`` the sending organisation already used — in an earlier call or
   earlier in the same call — is a duplicate: it is counted and not stored again;
3. the declarations that the new records concern are queued for re-verification on commit
   (``crosscheck.verification_request_for_evidence``).

The sending organisation (``source``) is always the actor's organisation; only users with
the logistics-system role may ingest. Queries per call: a fixed handful plus one insert per
:data:`BATCH_SIZE` records, whatever the number of rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import roles
from portal.models import Port

from ..choices import ContainerEventType, SensorKind
from ..crosscheck.rules import event_matters, reading_matters
from ..models import ContainerEvent, Manifest, ManifestLine, SensorReading
from ..validators import CONTAINER_NUMBER, iso6346_check_digit, normalise_container_number

MAX_RECORDS = 10_000
BATCH_SIZE = 2_000
CLOCK_SKEW = timedelta(minutes=5)
PROGRESS_EVERY = 500  # rows between two progress reports
MASS_INTEGER_DIGITS = 11  # DecimalField(max_digits=14, decimal_places=3)
MASS_DECIMAL_PLACES = 3
SEAL_STATUS = re.compile(r"^[a-z][a-z_-]{0,19}$")
LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
TEMPERATURE_RANGE = (Decimal("-100"), Decimal("100"))

Progress = Callable[[int], None]


@dataclass(frozen=True)
class IngestResult:
    """What one ingest call did: rows received, records newly stored, rows already stored before."""

    received: int
    stored: int
    duplicates: int


class _RowError(Exception):
    """One bad value; carries the message for the row's field."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- value parsers: raw value → clean value, or _RowError -------------------------------------------------------


def _text(value, *, max_length: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise _RowError(_("Must be text."))
    text = str(value).strip()
    if not text:
        if required:
            raise _RowError(_("This field is required."))
        return ""
    if len(text) > max_length:
        raise _RowError(
            _("At most %(max)d characters (this has %(length)d).") % {"max": max_length, "length": len(text)}
        )
    return text


def _container_number(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _RowError(_("A container number is required, e.g. CSQU3054383."))
    number = normalise_container_number(value)
    if not CONTAINER_NUMBER.match(number):
        raise _RowError(
            _("“%(value)s” is not a container number: 4 letters (the 4th U, J or Z) then 7 digits, e.g. CSQU3054383.")
            % {"value": value}
        )
    expected = iso6346_check_digit(number[:10])
    if int(number[10]) != expected:
        raise _RowError(
            _("The check digit of %(value)s is wrong: for %(prefix)s it must be %(expected)d.")
            % {"value": number, "prefix": number[:10], "expected": expected}
        )
    return number


def _decimal(value) -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise _RowError(_("A number is required."))
    if isinstance(value, float):
        value = repr(value)  # the shortest text that reads back as the same float, e.g. 12.5, never 12.4999…
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _RowError(_("“%(value)s” is not a number.") % {"value": value}) from None
    if not number.is_finite():
        raise _RowError(_("“%(value)s” is not a number.") % {"value": value})
    return number


def _mass(value) -> Decimal:
    mass = _decimal(value)
    if mass <= 0:
        raise _RowError(_("Must be greater than zero."))
    if mass.as_tuple().exponent < -MASS_DECIMAL_PLACES:
        raise _RowError(_("At most %(places)d decimal places (grams).") % {"places": MASS_DECIMAL_PLACES})
    if mass >= Decimal(10) ** MASS_INTEGER_DIGITS:
        raise _RowError(
            _("Too large: at most %(digits)d digits before the decimal point.") % {"digits": MASS_INTEGER_DIGITS}
        )
    return mass


def _positive_integer(value) -> int:
    if isinstance(value, bool) or value is None or value == "":
        raise _RowError(_("A whole number of at least 1 is required."))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _RowError(_("“%(value)s” is not a whole number.") % {"value": value}) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise _RowError(_("“%(value)s” is not a whole number.") % {"value": value})
    if number < 1:
        raise _RowError(_("Must be at least 1."))
    if number > 2_147_483_647:
        raise _RowError(_("Too large."))
    return int(number)


def _time(value, *, now: datetime) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _RowError(
                _("“%(value)s” is not a time in ISO 8601, e.g. 2026-03-01T08:30:00+08:00.") % {"value": value}
            ) from None
    else:
        raise _RowError(_("A time is required, in ISO 8601 with its offset, e.g. 2026-03-01T08:30:00+08:00."))
    if timezone.is_naive(moment):
        raise _RowError(_("The time has no time zone: add its offset, e.g. +08:00 or Z."))
    if moment > now + CLOCK_SKEW:
        raise _RowError(
            _("The time is in the future (more than %(minutes)d minutes after the portal's clock).")
            % {"minutes": int(CLOCK_SKEW.total_seconds() // 60)}
        )
    return moment


def _choice(value, choices: type, *, what: str) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in choices.values:
        raise _RowError(
            _("“%(value)s” is not a known %(what)s; use one of: %(allowed)s.")
            % {"value": value, "what": what, "allowed": ", ".join(choices.values)}
        )
    return text


def _port(value, ports: dict[str, int]) -> int:
    code = value.strip().upper().replace(" ", "") if isinstance(value, str) else ""
    if not code:
        raise _RowError(_("A port is required, as its UN/LOCODE, e.g. CNSHK."))
    if code not in ports:
        raise _RowError(_("“%(value)s” is not a known port (UN/LOCODE).") % {"value": value})
    return ports[code]


def _sensor_value(kind: str, value) -> str:
    if kind in (SensorKind.TEMPERATURE, SensorKind.GROSS_WEIGHT):
        number = _decimal(value)
        if kind == SensorKind.GROSS_WEIGHT:
            number = _mass(number)
        elif not TEMPERATURE_RANGE[0] <= number <= TEMPERATURE_RANGE[1]:
            raise _RowError(
                _("A temperature must be between %(low)s and %(high)s °C.")
                % {"low": TEMPERATURE_RANGE[0], "high": TEMPERATURE_RANGE[1]}
            )
        text = format(number, "f")
        if len(text) > 100:
            raise _RowError(_("Too many digits."))
        return text
    if kind == SensorKind.SEAL_STATUS:
        word = value.strip().lower() if isinstance(value, str) else ""
        if not SEAL_STATUS.match(word):
            raise _RowError(_("A seal status is one short word, e.g. closed or open."))
        return word
    # Position: "latitude,longitude" in decimal degrees.
    parts = value.split(",") if isinstance(value, str) else []
    if len(parts) != 2:
        raise _RowError(_("A position is “latitude,longitude” in decimal degrees, e.g. 22.4833,113.8833."))
    try:
        latitude, longitude = (Decimal(part.strip()) for part in parts)
    except (InvalidOperation, ValueError):
        raise _RowError(_("A position is “latitude,longitude” in decimal degrees, e.g. 22.4833,113.8833.")) from None
    if not (latitude.is_finite() and longitude.is_finite()):
        raise _RowError(_("A position is “latitude,longitude” in decimal degrees, e.g. 22.4833,113.8833."))
    if not -90 <= latitude <= 90:
        raise _RowError(_("The latitude must be between -90 and 90."))
    if not -180 <= longitude <= 180:
        raise _RowError(_("The longitude must be between -180 and 180."))
    text = f"{format(latitude, 'f')},{format(longitude, 'f')}"
    if len(text) > 100:
        raise _RowError(_("Too many digits."))
    return text


# --- checking whole rows ----------------------------------------------------------------------------------------


class _RowChecker:
    """Collects the clean values of one row, and its errors keyed ``<row>.<field>``."""

    def __init__(self, errors: dict[str, list[str]], prefix: str):
        self.errors = errors
        self.prefix = prefix
        self.clean: dict = {}

    def field(self, row: dict, name: str, parse: Callable, *args, **kwargs):
        try:
            value = parse(row.get(name), *args, **kwargs)
        except _RowError as error:
            self.errors.setdefault(f"{self.prefix}.{name}", []).append(error.message)
            return None
        self.clean[name] = value
        return value

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(f"{self.prefix}.{name}" if name else self.prefix, []).append(message)


def _require_logistics_system(actor) -> None:
    if not roles.is_logistics_system(actor):
        raise PermissionDenied(_("Only logistics systems (carriers, terminals, IoT platforms) may send records."))


def _check_size(records) -> None:
    if not isinstance(records, list):
        raise ValidationError({"records": [_("Send a JSON list of records.")]})
    if len(records) > MAX_RECORDS:
        raise ValidationError(
            {
                "records": [
                    _("At most %(max)s records per call; this call has %(count)s. Split it into several calls.")
                    % {"max": f"{MAX_RECORDS:,}", "count": f"{len(records):,}"}
                ]
            }
        )


def _known_ports(records: list, fields: Iterable[str]) -> dict[str, int]:
    """UN/LOCODE → port id for every port the rows name: one query per call."""
    codes = {
        row[name].strip().upper().replace(" ", "")
        for row in records
        if isinstance(row, dict)
        for name in fields
        if isinstance(row.get(name), str)
    }
    codes = {code for code in codes if LOCODE.match(code)}
    if not codes:
        return {}
    return dict(Port.objects.filter(locode__in=codes).values_list("locode", "pk"))


def _checked_rows(
    records: list,
    check_row: Callable[[dict, _RowChecker], None],
    progress: Progress | None,
    quick_row: Callable[[dict], dict | None] | None = None,
) -> list[dict]:
    """Run ``check_row`` over every row; raise one ValidationError naming every bad row and field.

    ``quick_row``, when given, returns a row's clean values when it can tell cheaply that the row
    is right (the common case), or None; every row it does not vouch for goes through
    ``check_row``, which names what is wrong.
    """
    errors: dict[str, list[str]] = {}
    clean_rows = []
    for index, row in enumerate(records):
        if quick_row is not None and type(row) is dict and (clean := quick_row(row)) is not None:
            clean_rows.append(clean)
            if progress is not None and (index + 1) % PROGRESS_EVERY == 0:
                progress(index + 1)
            continue
        checker = _RowChecker(errors, str(index))
        if not isinstance(row, dict):
            checker.fail("", _("Each record must be an object with named fields."))
        else:
            checker.field(row, "external_id", _text, max_length=100)
            check_row(row, checker)
        clean_rows.append(checker.clean)
        if progress is not None and (index + 1) % PROGRESS_EVERY == 0:
            progress(index + 1)
    if errors:
        raise ValidationError(errors)
    if progress is not None:
        progress(len(records))
    return clean_rows


def _new_rows(model, *, source_id: int, rows: list[dict]) -> tuple[list[dict], int]:
    """The rows whose external id this source has not used yet (first of each id wins), and how many are not."""
    first: dict[str, dict] = {}
    for row in rows:
        first.setdefault(row["external_id"], row)
    ids = list(first)
    stored = set()
    for start in range(0, len(ids), BATCH_SIZE * 5):
        stored.update(
            model.objects.filter(source_id=source_id, external_id__in=ids[start : start + BATCH_SIZE * 5]).values_list(
                "external_id", flat=True
            )
        )
    new = [row for external_id, row in first.items() if external_id not in stored]
    return new, len(rows) - len(new)


def _store(
    model,
    *,
    source_id: int,
    rows: list[dict],
    build: Callable[[dict], object],
    after: Callable[[list], None] | None = None,
    columns: dict[str, str] | None = None,
    noted: Callable[[list[dict]], None] | None = None,
) -> int:
    """Insert the new rows; retried when another call stored one of the same external ids meanwhile.

    With ``columns`` (column → key of the clean row; ``source_id`` is added) and no ``after``, on
    PostgreSQL the rows go in as one ``INSERT … SELECT FROM unnest(…)`` of column arrays, without
    building a model instance per row; elsewhere, and for ``after``, through ``bulk_create``.
    ``noted`` is given the rows that were stored.
    """
    for attempt in range(3):
        new, _duplicates = _new_rows(model, source_id=source_id, rows=rows)
        try:
            # Savepoint: a concurrent call that stored the same external id makes this insert fail; retry.
            with transaction.atomic():
                if columns is not None and after is None and connection.vendor == "postgresql":
                    stored = _insert_unnest(model, source_id=source_id, rows=new, columns=columns)
                else:
                    objects = model.objects.bulk_create([build(row) for row in new], batch_size=BATCH_SIZE)
                    if after is not None:
                        after(objects)
                    stored = len(objects)
            if noted is not None:
                noted(new)
            return stored
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _insert_unnest(model, *, source_id: int, rows: list[dict], columns: dict[str, str]) -> int:
    """One INSERT of ``rows`` from column arrays (PostgreSQL), cast to the model's column types."""
    if not rows:
        return 0
    fields = {field.column: field for field in model._meta.concrete_fields}
    names = ["source_id", *columns]
    arrays = [[source_id] * len(rows), *([row[key] for row in rows] for key in columns.values())]
    casts = ", ".join(f"%s::{fields[name].db_type(connection)}[]" for name in names)
    quoted = ", ".join(connection.ops.quote_name(name) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({quoted}) "  # noqa: S608 — model's own names
            f"SELECT * FROM unnest({casts})",
            arrays,
        )
        return cursor.rowcount


def _verification_request(*, transport_documents: set[str], container_numbers: set[str]) -> None:
    """Queue re-verification of the declarations the new evidence concerns (the lead's hook, on commit)."""
    if not transport_documents and not container_numbers:
        return
    from .crosscheck import verification_request_for_evidence

    verification_request_for_evidence(transport_documents=transport_documents, container_numbers=container_numbers)


# --- manifests ----------------------------------------------------------------------------------------------------


MANIFEST_LINE_LIMIT = 1_000


def _check_manifest(row: dict, checker: _RowChecker, ports: dict[str, int]) -> None:
    checker.field(row, "carrier", _text, max_length=200)
    checker.field(row, "vessel", _text, max_length=100)
    checker.field(row, "voyage", _text, max_length=50)
    checker.field(row, "port_of_loading", _port, ports)
    checker.field(row, "port_of_discharge", _port, ports)
    lines = row.get("lines")
    if not isinstance(lines, list) or not lines:
        checker.fail(
            "lines",
            _("A manifest needs at least one line (transport document, consignee, packages, gross mass, containers)."),
        )
        return
    if len(lines) > MANIFEST_LINE_LIMIT:
        checker.fail("lines", _("At most %(max)d lines per manifest.") % {"max": MANIFEST_LINE_LIMIT})
        return
    clean_lines = []
    for number, line in enumerate(lines):
        line_checker = _RowChecker(checker.errors, f"{checker.prefix}.lines.{number}")
        if not isinstance(line, dict):
            line_checker.fail("", _("Each line must be an object with named fields."))
            continue
        line_checker.field(line, "transport_document_number", _text, max_length=35)
        line_checker.field(line, "consignee_name", _text, max_length=200)
        line_checker.field(line, "packages", _positive_integer)
        line_checker.field(line, "gross_mass", _mass)
        containers = line.get("containers", [])
        if isinstance(containers, str):  # CSV: numbers separated by spaces, commas or semicolons
            containers = [part for part in re.split(r"[\s,;]+", containers) if part]
        if not isinstance(containers, list):
            line_checker.fail("containers", _("A list of container numbers."))
        else:
            numbers = []
            for position, value in enumerate(containers):
                try:
                    numbers.append(_container_number(value))
                except _RowError as error:
                    line_checker.fail(f"containers.{position}", error.message)
            line_checker.clean["containers"] = list(dict.fromkeys(numbers))
        clean_lines.append(line_checker.clean)
    checker.clean["lines"] = clean_lines


def manifests_ingest(*, actor, records: list[dict], progress: Progress | None = None) -> IngestResult:
    """Store carriers' manifests with their lines, all or none.

    Requires a logistics-system ``actor``; each record has ``external_id``, ``carrier``, ``vessel``,
    ``voyage``, ``port_of_loading`` and ``port_of_discharge`` (UN/LOCODEs) and ``lines``, each with
    ``transport_document_number``, ``consignee_name``, ``packages`` (≥ 1), ``gross_mass`` (kg, > 0) and
    ``containers`` (ISO 6346 numbers, stored normalised). Raises ValidationError naming every bad
    row and field, and stores nothing then. Schedules re-verification for the transport documents
    and containers of the new manifests, on commit.
    """
    _require_logistics_system(actor)
    _check_size(records)
    ports = _known_ports(records, ("port_of_loading", "port_of_discharge"))
    rows = _checked_rows(records, lambda row, checker: _check_manifest(row, checker, ports), progress)
    source_id = actor.organisation_id
    documents: set[str] = set()
    containers: set[str] = set()

    def build(row: dict) -> Manifest:
        return Manifest(
            source_id=source_id,
            external_id=row["external_id"],
            carrier=row["carrier"],
            vessel=row["vessel"],
            voyage=row["voyage"],
            port_of_loading_id=row["port_of_loading"],
            port_of_discharge_id=row["port_of_discharge"],
        )

    def store_lines(manifests: list[Manifest]) -> None:
        by_external_id = {manifest.external_id: manifest.pk for manifest in manifests}
        lines = []
        documents.clear()
        containers.clear()
        for row in rows:
            manifest_id = by_external_id.pop(row["external_id"], None)  # pop: only the first row of an id
            if manifest_id is None:
                continue
            for line in row["lines"]:
                lines.append(ManifestLine(manifest_id=manifest_id, **line))
                documents.add(line["transport_document_number"])
                containers.update(line["containers"])
        ManifestLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)

    with transaction.atomic():
        stored = _store(Manifest, source_id=source_id, rows=rows, build=build, after=store_lines)
        _verification_request(transport_documents=set(documents), container_numbers=set(containers))
    return IngestResult(received=len(records), stored=stored, duplicates=len(records) - stored)


# --- container events ---------------------------------------------------------------------------------------------


def _check_container_event(row: dict, checker: _RowChecker, ports: dict[str, int], now: datetime) -> None:
    checker.field(row, "container_number", _container_number)
    checker.field(row, "event_type", _choice, ContainerEventType, what=_("event type"))
    checker.field(row, "port", _port, ports)
    checker.field(row, "vessel", _text, max_length=100, required=False)
    checker.field(row, "voyage", _text, max_length=50, required=False)
    checker.field(row, "occurred_at", _time, now=now)
    checker.field(row, "seal_number", _text, max_length=35, required=False)
    if row.get("weight") not in (None, ""):
        checker.field(row, "weight", _mass)
    elif checker.clean.get("event_type") == ContainerEventType.WEIGHED:
        checker.fail("weight", _("A weighing event needs the weight in kg."))
    else:
        checker.clean["weight"] = None


def _remembered(check: Callable, *refusals: type[Exception]) -> Callable:
    """``check`` of a value, done once per distinct value of one call; None where it refuses the value
    (``_RowError``, or one of ``refusals``). For the quick checks, where values repeat row after row."""
    seen: dict = {}

    def checked(value):
        if value not in seen:
            try:
                seen[value] = check(value)
            except (_RowError, *refusals):
                seen[value] = None
        return seen[value]

    return checked


def _plain_text(value, max_length: int) -> str | None:
    """For the quick checks: ``value`` stripped when it is a text of 1 to ``max_length`` characters, else None."""
    if type(value) is not str or not 0 < len(text := value.strip()) <= max_length:
        return None
    return text


def _quick_container_event(ports: dict[str, int], now: datetime) -> Callable[[dict], dict | None]:
    """A container event's clean values when every value is plainly right, else None (see ``_checked_rows``).

    Values seen before in the same call (container numbers, times, weights) are parsed once.
    """
    latest = now + CLOCK_SKEW
    event_types = set(ContainerEventType.values)
    container = _remembered(_container_number)
    moment_of = _remembered(lambda value: _time(value, now=now))
    mass_of = _remembered(_mass, TypeError)

    def optional_text(value, max_length: int) -> str | None:
        if value is None:
            return ""
        if type(value) is not str or len(text := value.strip()) > max_length:
            return None
        return text

    def quick(row: dict) -> dict | None:
        external_id, number, kind = row.get("external_id"), row.get("container_number"), row.get("event_type")
        port, occurred_at, weight = row.get("port"), row.get("occurred_at"), row.get("weight")
        if (external_id := _plain_text(external_id, 100)) is None:
            return None
        if type(number) is not str or type(kind) is not str or type(port) is not str or type(occurred_at) is not str:
            return None
        if (clean_number := container(number)) is None:
            return None
        if (kind := kind.strip().lower()) not in event_types:
            return None
        if (port_id := ports.get(port.strip().upper().replace(" ", ""))) is None:
            return None
        if (moment := moment_of(occurred_at)) is None or moment > latest:
            return None
        if type(weight) not in (str, int, float, Decimal, type(None)):
            return None
        if weight in (None, ""):
            if kind == ContainerEventType.WEIGHED:
                return None
            mass = None
        elif (mass := mass_of(weight)) is None:
            return None
        vessel = optional_text(row.get("vessel"), 100)
        voyage = optional_text(row.get("voyage"), 50)
        seal_number = optional_text(row.get("seal_number"), 35)
        if vessel is None or voyage is None or seal_number is None:
            return None
        return {
            "external_id": external_id,
            "container_number": clean_number,
            "event_type": kind,
            "port": port_id,
            "vessel": vessel,
            "voyage": voyage,
            "occurred_at": moment,
            "seal_number": seal_number,
            "weight": mass,
        }

    return quick


# Column of declarations_containerevent → key of a checked row (source_id is the sender's).
CONTAINER_EVENT_COLUMNS = {
    "external_id": "external_id",
    "received_at": "received_at",
    "container_number": "container_number",
    "event_type": "event_type",
    "port_id": "port",
    "vessel": "vessel",
    "voyage": "voyage",
    "occurred_at": "occurred_at",
    "seal_number": "seal_number",
    "weight": "weight",
}


def container_events_ingest(*, actor, records: list[dict], progress: Progress | None = None) -> IngestResult:
    """Store terminals' container events, all or none.

    Requires a logistics-system ``actor``; each record has ``external_id``, ``container_number``
    (ISO 6346, stored normalised), ``event_type`` (ContainerEventType), ``port`` (UN/LOCODE),
    ``occurred_at`` (ISO 8601 with offset, not more than 5 minutes ahead) and optionally ``vessel``,
    ``voyage``, ``seal_number`` and ``weight`` (kg, > 0; required for ``weighed``). Raises
    ValidationError naming every bad row and field, and stores nothing then. Schedules
    re-verification, on commit, for the containers of the new events that a rule reads
    (``rules.event_matters``), and for a gate or arrival event without a seal only of the
    declarations whose route does not pass its port.
    """
    _require_logistics_system(actor)
    _check_size(records)
    now = timezone.now()
    ports = _known_ports(records, ("port",))
    rows = _checked_rows(
        records,
        lambda row, checker: _check_container_event(row, checker, ports, now),
        progress,
        quick_row=_quick_container_event(ports, now),
    )
    source_id = actor.organisation_id
    received_at = timezone.now()
    for row in rows:
        row["received_at"] = received_at
    # Re-verification only where a rule reads the event (rules.event_matters), or, for a routine gate or arrival
    # event, where its port is off a declaration's route; routine events on the route change no finding.
    read_containers: set[str] = set()
    routine: dict[int, set[str]] = {}

    def note(new: list[dict]) -> None:
        for row in new:
            if event_matters(row["event_type"], row["seal_number"]):
                read_containers.add(row["container_number"])
            else:
                routine.setdefault(row["port"], set()).add(row["container_number"])

    def build(row: dict) -> ContainerEvent:
        return ContainerEvent(
            source_id=source_id,
            external_id=row["external_id"],
            received_at=received_at,
            container_number=row["container_number"],
            event_type=row["event_type"],
            port_id=row["port"],
            vessel=row["vessel"],
            voyage=row["voyage"],
            occurred_at=row["occurred_at"],
            seal_number=row["seal_number"],
            weight=row["weight"],
        )

    with transaction.atomic():
        stored = _store(
            ContainerEvent,
            source_id=source_id,
            rows=rows,
            build=build,
            columns=CONTAINER_EVENT_COLUMNS,
            noted=note,
        )
        if stored:
            from .crosscheck import verification_request_for_events

            verification_request_for_events(container_numbers=read_containers, routine=routine)
    return IngestResult(received=len(records), stored=stored, duplicates=len(records) - stored)


# --- sensor readings ----------------------------------------------------------------------------------------------


def _check_sensor_reading(row: dict, checker: _RowChecker, now: datetime) -> None:
    checker.field(row, "container_number", _container_number)
    checker.field(row, "device", _text, max_length=100)
    kind = checker.field(row, "kind", _choice, SensorKind, what=_("sensor kind"))
    if kind is not None:
        checker.field(row, "value", lambda value: _sensor_value(kind, value))
    checker.field(row, "read_at", _time, now=now)


def _quick_sensor_reading(now: datetime) -> Callable[[dict], dict | None]:
    """A sensor reading's clean values when every value is plainly right, else None (see ``_checked_rows``).

    Values seen before in the same call (container numbers, kinds with their values, times) are checked once.
    """
    latest = now + CLOCK_SKEW
    kinds = set(SensorKind.values)
    container = _remembered(_container_number)
    value_of = _remembered(lambda kind_and_value: _sensor_value(*kind_and_value))
    moment_of = _remembered(lambda value: _time(value, now=now))

    def quick(row: dict) -> dict | None:
        external_id, number, device = row.get("external_id"), row.get("container_number"), row.get("device")
        kind, value, read_at = row.get("kind"), row.get("value"), row.get("read_at")
        if (external_id := _plain_text(external_id, 100)) is None or (device := _plain_text(device, 100)) is None:
            return None
        if type(number) is not str or type(kind) is not str or type(value) is not str or type(read_at) is not str:
            return None
        if (clean_number := container(number)) is None:
            return None
        if (kind := kind.strip().lower()) not in kinds:
            return None
        if (clean_value := value_of((kind, value))) is None:
            return None
        if (moment := moment_of(read_at)) is None or moment > latest:
            return None
        return {
            "external_id": external_id,
            "container_number": clean_number,
            "device": device,
            "kind": kind,
            "value": clean_value,
            "read_at": moment,
        }

    return quick


# Column of declarations_sensorreading → key of a checked row, here the same names (source_id is the sender's).
SENSOR_READING_COLUMNS = {
    name: name for name in ("external_id", "received_at", "container_number", "device", "kind", "value", "read_at")
}


def sensor_readings_ingest(*, actor, records: list[dict], progress: Progress | None = None) -> IngestResult:
    """Store IoT platforms' sensor readings, all or none.

    Requires a logistics-system ``actor``; each record has ``external_id``, ``container_number``
    (ISO 6346, stored normalised), ``device``, ``kind`` (SensorKind), ``value`` — a number of °C for
    ``temperature``, kg (> 0) for ``gross_weight``, one short word (e.g. closed, open) for
    ``seal_status``, “latitude,longitude” for ``position`` — and ``read_at`` (ISO 8601 with offset,
    not more than 5 minutes ahead). Raises ValidationError naming every bad row and field, and
    stores nothing then. Schedules re-verification, on commit, for the containers of the new readings
    that a rule reads: a seal reported open, a temperature of a container declared with a range.
    """
    _require_logistics_system(actor)
    _check_size(records)
    now = timezone.now()
    rows = _checked_rows(
        records,
        lambda row, checker: _check_sensor_reading(row, checker, now),
        progress,
        quick_row=_quick_sensor_reading(now),
    )
    source_id = actor.organisation_id
    received_at = timezone.now()
    for row in rows:
        row["received_at"] = received_at
    # Re-verification only for what a rule reads (rules.reading_matters): most readings are routine.
    open_seals: set[str] = set()
    temperatures: set[str] = set()

    def note(new: list[dict]) -> None:
        for row in new:
            if reading_matters(row["kind"], row["value"]):
                (temperatures if row["kind"] == SensorKind.TEMPERATURE else open_seals).add(row["container_number"])

    def build(row: dict) -> SensorReading:
        return SensorReading(
            source_id=source_id,
            external_id=row["external_id"],
            received_at=received_at,
            container_number=row["container_number"],
            device=row["device"],
            kind=row["kind"],
            value=row["value"],
            read_at=row["read_at"],
        )

    with transaction.atomic():
        stored = _store(
            SensorReading, source_id=source_id, rows=rows, build=build, columns=SENSOR_READING_COLUMNS, noted=note
        )
        if stored:
            from .crosscheck import verification_request_for_readings

            verification_request_for_readings(open_seals=open_seals, temperatures=temperatures)
    return IngestResult(received=len(records), stored=stored, duplicates=len(records) - stored)


INGEST_SERVICES = {
    "manifests": manifests_ingest,
    "container_events": container_events_ingest,
    "sensor_readings": sensor_readings_ingest,
}
