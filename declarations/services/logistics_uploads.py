"""CSV uploads of logistics records: store the file, process it in the background, report row by row.

A logistics user uploads one CSV file of one record kind (:data:`CSV_COLUMNS` lists the
columns; :func:`logistics_csv_template` gives a file to start from). The file is stored and
a Celery task (``declarations.logistics_upload_process``) parses it and hands every row to
the same ingest service the bulk API uses, so the rules and the all-or-nothing behaviour are
the same. Progress (rows checked of rows in the file) is committed as the rows are checked, so
the page can show it. Errors name the CSV row (row 1 is the header), the column and the problem.

A run that dies (worker killed) leaves the upload pending or running; the task is acknowledged
late, so the broker hands it to another worker, and that run starts over and replaces whatever
the first one wrote. A finished upload is never processed again.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import roles

from ..models import LogisticsUpload, LogisticsUploadKind, LogisticsUploadStatus
from .logistics import INGEST_SERVICES, MAX_RECORDS

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
HEADER_ROW = 1

MANIFEST_HEADER_COLUMNS = ["external_id", "carrier", "vessel", "voyage", "port_of_loading", "port_of_discharge"]
MANIFEST_LINE_COLUMNS = ["transport_document_number", "consignee_name", "packages", "gross_mass", "containers"]

# Columns of each kind, in the order of the template. Manifests: one row per manifest line; rows
# with the same external_id are one manifest and repeat its header columns.
CSV_COLUMNS = {
    LogisticsUploadKind.MANIFESTS: MANIFEST_HEADER_COLUMNS + MANIFEST_LINE_COLUMNS,
    LogisticsUploadKind.CONTAINER_EVENTS: [
        "external_id",
        "container_number",
        "event_type",
        "port",
        "vessel",
        "voyage",
        "occurred_at",
        "seal_number",
        "weight",
    ],
    LogisticsUploadKind.SENSOR_READINGS: ["external_id", "container_number", "device", "kind", "value", "read_at"],
}
REQUIRED_COLUMNS = {
    LogisticsUploadKind.MANIFESTS: set(MANIFEST_HEADER_COLUMNS + MANIFEST_LINE_COLUMNS) - {"containers"},
    LogisticsUploadKind.CONTAINER_EVENTS: {"external_id", "container_number", "event_type", "port", "occurred_at"},
    LogisticsUploadKind.SENSOR_READINGS: {"external_id", "container_number", "device", "kind", "value", "read_at"},
}
TEMPLATE_ROWS = {
    LogisticsUploadKind.MANIFESTS: [
        [
            "MF-2026-0001",
            "Pearl River Barge Lines",
            "YUE HAI 18",
            "2611S",
            "CNSUD",
            "CNSHK",
            "PRBL2026000123",
            "Holland Home Interiors B.V.",
            "80",
            "2400.000",
            "CSQU3054383 MSKU1234565",
        ],
        [
            "MF-2026-0001",
            "Pearl River Barge Lines",
            "YUE HAI 18",
            "2611S",
            "CNSUD",
            "CNSHK",
            "PRBL2026000124",
            "Rotterdam Garden Supply B.V.",
            "12",
            "310.500",
            "TGHU1234567",
        ],
    ],
    LogisticsUploadKind.CONTAINER_EVENTS: [
        ["EV-000001", "CSQU3054383", "gate_in", "CNSUD", "", "", "2026-03-01T08:30:00+08:00", "SL123456", ""],
        ["EV-000002", "CSQU3054383", "weighed", "CNSUD", "", "", "2026-03-01T08:45:00+08:00", "", "12480.000"],
        ["EV-000003", "CSQU3054383", "loaded", "CNSUD", "YUE HAI 18", "2611S", "2026-03-01T14:10:00+08:00", "", ""],
    ],
    LogisticsUploadKind.SENSOR_READINGS: [
        ["RD-000001", "CSQU3054383", "SEAL-7781", "seal_status", "closed", "2026-03-01T09:00:00+08:00"],
        ["RD-000002", "CSQU3054383", "REEFER-12", "temperature", "-18.5", "2026-03-01T09:00:00+08:00"],
        ["RD-000003", "CSQU3054383", "GPS-12", "position", "22.4833,113.8833", "2026-03-01T09:00:00+08:00"],
    ],
}


class CsvFileError(Exception):
    """The file as a whole cannot be read (not CSV, wrong columns, too many rows)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def logistics_csv_template(kind: str) -> str:
    """A CSV file with the columns of ``kind`` and example rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS[kind])
    writer.writerows(TEMPLATE_ROWS[kind])
    return out.getvalue()


def _decoded(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CsvFileError(_("The file is not a text (CSV) file in UTF-8 or GB 18030."))  # pragma: no cover


def _csv_rows(kind: str, content: bytes) -> Iterator[tuple[int, dict]]:
    """(CSV row number, {column: text}) for every non-empty row after the header."""
    text = _decoded(content)
    if "\x00" in text:
        raise CsvFileError(_("The file is not a text (CSV) file."))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvFileError(_("The file is empty.")) from None
    except csv.Error as error:
        raise CsvFileError(_("The file is not valid CSV: %(error)s") % {"error": error}) from None
    names = [name.strip().lower().replace(" ", "_").replace("-", "_") for name in header]
    missing = [column for column in CSV_COLUMNS[kind] if column in REQUIRED_COLUMNS[kind] and column not in names]
    if missing:
        raise CsvFileError(
            _("The header row lacks the column(s) %(missing)s. Expected: %(expected)s.")
            % {"missing": ", ".join(missing), "expected": ", ".join(CSV_COLUMNS[kind])}
        )
    known = set(CSV_COLUMNS[kind])
    try:
        for number, values in enumerate(reader, start=HEADER_ROW + 1):
            if not any(value.strip() for value in values):
                continue
            yield number, {name: value.strip() for name, value in zip(names, values, strict=False) if name in known}
    except csv.Error as error:
        raise CsvFileError(_("The file is not valid CSV: %(error)s") % {"error": error}) from None


def logistics_csv_records(kind: str, content: bytes) -> tuple[list[dict], list[list[int]], list[dict]]:
    """Parse a CSV file into the ingest service's records.

    Returns the records, for each record the CSV row numbers it came from (a manifest spans
    one row per line), and errors that the file's shape already shows (a manifest whose rows
    disagree on its header columns), as ``{row, field, message}``. Raises :class:`CsvFileError`.
    """
    records: list[dict] = []
    sources: list[list[int]] = []
    errors: list[dict] = []
    if kind != LogisticsUploadKind.MANIFESTS:
        for number, row in _csv_rows(kind, content):
            records.append(row)
            sources.append([number])
    else:
        by_id: dict[str, int] = {}
        for number, row in _csv_rows(kind, content):
            line = {name: row.get(name, "") for name in MANIFEST_LINE_COLUMNS}
            external_id = row.get("external_id", "")
            index = by_id.get(external_id) if external_id else None
            if index is None:
                manifest = {name: row.get(name, "") for name in MANIFEST_HEADER_COLUMNS}
                manifest["lines"] = [line]
                if external_id:
                    by_id[external_id] = len(records)
                records.append(manifest)
                sources.append([number])
                continue
            manifest = records[index]
            for name in MANIFEST_HEADER_COLUMNS:
                if row.get(name, "") != manifest[name]:
                    errors.append(
                        {
                            "row": number,
                            "field": name,
                            "message": _("Rows of manifest %(id)s must repeat the same %(column)s as row %(first)d.")
                            % {"id": external_id, "column": name, "first": sources[index][0]},
                        }
                    )
            manifest["lines"].append(line)
            sources[index].append(number)
    if len(records) > MAX_RECORDS:
        raise CsvFileError(
            _("At most %(max)s records per file; this file has %(count)s. Split it into several files.")
            % {"max": f"{MAX_RECORDS:,}", "count": f"{len(records):,}"}
        )
    return records, sources, errors


def logistics_csv_errors(error: ValidationError, sources: list[list[int]]) -> list[dict]:
    """The ingest service's ``{"<record>.<field>": [messages]}`` as ``{row, field, message}`` of the CSV file."""
    rows = []
    for key, messages in error.message_dict.items():
        parts = key.split(".")
        if not parts[0].isdigit():
            rows.extend({"row": None, "field": key, "message": message} for message in messages)
            continue
        record_rows = sources[int(parts[0])]
        row, field = record_rows[0], ".".join(parts[1:])
        if len(parts) >= 3 and parts[1] == "lines" and parts[2].isdigit():  # manifest line → its own CSV row
            row = record_rows[int(parts[2])]
            field = "containers" if len(parts) > 3 and parts[3] == "containers" else ".".join(parts[3:])
            if field == "" and len(parts) == 3:
                field = "lines"
        rows.extend({"row": row, "field": field, "message": message} for message in messages)
    return sorted(rows, key=lambda entry: (entry["row"] or 0, entry["field"]))


def logistics_upload_errors_csv(upload: LogisticsUpload) -> str:
    """The error report of a failed upload: one CSV row per problem (row, field, message)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "field", "message"])
    for error in upload.errors:
        writer.writerow([error.get("row") or "", error.get("field", ""), error.get("message", "")])
    return out.getvalue()


def logistics_upload_create(*, actor, kind: str, file: UploadedFile) -> LogisticsUpload:
    """Store an uploaded CSV file for ``actor``'s organisation and queue its processing on commit.

    Requires a logistics-system ``actor``, a known ``kind`` and a file of at most
    :data:`MAX_UPLOAD_BYTES`. Schedules ``declarations.logistics_upload_process``.
    """
    if not roles.is_logistics_system(actor):
        raise PermissionDenied(_("Only logistics systems may upload logistics records."))
    if kind not in LogisticsUploadKind.values:
        raise ValidationError({"kind": [_("Choose what the file contains.")]})
    if file.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": [_("The file is larger than %(max)d MB.") % {"max": MAX_UPLOAD_BYTES // (1024 * 1024)}]}
        )
    with transaction.atomic():
        upload = LogisticsUpload(
            organisation_id=actor.organisation_id,
            uploaded_by=actor,
            kind=kind,
            file_name=(file.name or "upload.csv")[-255:],
        )
        upload.file.save("upload.csv", file, save=False)
        upload.save()
        # After commit: the worker must find the row; a rolled-back upload sends nothing.
        transaction.on_commit(lambda: _send_upload_task(upload.pk))
    return upload


def _send_upload_task(upload_id: int) -> None:
    """Send the processing task; if the broker is down, leave the upload to :func:`logistics_uploads_resend_stale`."""
    from ..tasks import logistics_upload_process

    try:
        logistics_upload_process.delay(upload_id)
    except Exception:  # kombu raises several kinds when the broker is unreachable
        logger.warning("broker unreachable: logistics upload %s will be sent by the sweep", upload_id, exc_info=True)


STALE_AFTER = timedelta(minutes=10)


def logistics_uploads_resend_stale(*, now=None) -> int:
    """Send the task again for every upload left unfinished for :data:`STALE_AFTER` (its task was lost: broker
    down at upload time, or a worker died and the broker has not redelivered yet). Safe: only the latest run
    of an upload writes its result, and records already stored count as duplicates. Returns how many."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    stale = list(
        LogisticsUpload.objects.filter(
            Q(status=LogisticsUploadStatus.PENDING, created_at__lte=cutoff)
            | Q(status=LogisticsUploadStatus.RUNNING, started_at__lte=cutoff)
        ).values_list("pk", flat=True)
    )
    for upload_id in stale:
        _send_upload_task(upload_id)
    return len(stale)


def _upload_update(upload_id: int, attempt: int, **fields) -> bool:
    """Write fields of the upload if this run is still its latest one (autocommitted, so the page sees it)."""
    return bool(LogisticsUpload.objects.filter(pk=upload_id, attempt=attempt).update(**fields))


def logistics_upload_process(*, upload_id: int) -> LogisticsUpload | None:
    """Parse the upload's file and ingest every row, all or nothing; record progress and the result.

    Safe to run twice: a finished upload is left alone; an unfinished one (a run that died)
    starts over, and only the latest run writes progress and results. Returns the upload,
    or None when there is nothing to do.
    """
    # Lock: two deliveries of the task must not both take the same attempt number.
    with transaction.atomic():
        upload = LogisticsUpload.objects.select_for_update().filter(pk=upload_id).first()
        if upload is None or upload.finished:
            return None
        upload.attempt += 1
        upload.status = LogisticsUploadStatus.RUNNING
        upload.started_at = timezone.now()
        upload.rows_total = upload.rows_processed = upload.received = upload.stored = upload.duplicates = 0
        upload.errors = []
        upload.finished_at = None
        upload.save()
    attempt = upload.attempt

    def fail(errors: list[dict]) -> None:
        _upload_update(
            upload_id, attempt, status=LogisticsUploadStatus.FAILED, errors=errors, finished_at=timezone.now()
        )

    try:
        with upload.file.open("rb") as handle:
            content = handle.read()
        records, sources, shape_errors = logistics_csv_records(upload.kind, content)
    except CsvFileError as error:
        fail([{"row": None, "field": "", "message": error.message}])
        return _reloaded(upload_id)
    if not records:
        fail([{"row": None, "field": "", "message": _("The file has no rows after the header.")}])
        return _reloaded(upload_id)
    _upload_update(upload_id, attempt, rows_total=len(records))

    def progress(done: int) -> None:
        _upload_update(upload_id, attempt, rows_processed=done)

    ingest = INGEST_SERVICES[upload.kind]
    try:
        if shape_errors:
            raise ValidationError({})
        result = ingest(actor=upload.uploaded_by, records=records, progress=progress)
    except ValidationError as error:
        errors = shape_errors + (logistics_csv_errors(error, sources) if hasattr(error, "error_dict") else [])
        fail(sorted(errors, key=lambda entry: (entry["row"] or 0, entry["field"])))
        return _reloaded(upload_id)
    except PermissionDenied as error:
        fail([{"row": None, "field": "", "message": str(error) or _("Not allowed.")}])
        return _reloaded(upload_id)
    _upload_update(
        upload_id,
        attempt,
        status=LogisticsUploadStatus.SUCCEEDED,
        rows_processed=len(records),
        received=result.received,
        stored=result.stored,
        duplicates=result.duplicates,
        finished_at=timezone.now(),
    )
    return _reloaded(upload_id)


def _reloaded(upload_id: int) -> LogisticsUpload | None:
    return LogisticsUpload.objects.filter(pk=upload_id).first()


def logistics_upload_list(*, actor, limit: int = 50):
    """The actor's organisation's uploads, newest first (nobody sees another organisation's)."""
    if not roles.is_logistics_system(actor):
        return LogisticsUpload.objects.none()
    return (
        LogisticsUpload.objects.filter(organisation_id=actor.organisation_id)
        .select_related("uploaded_by")
        .order_by("-created_at", "-id")[:limit]
    )


def logistics_upload_get(*, actor, upload_id: int) -> LogisticsUpload:
    """One upload of the actor's organisation; ``LogisticsUpload.DoesNotExist`` for any other."""
    if not roles.is_logistics_system(actor):
        raise LogisticsUpload.DoesNotExist
    return LogisticsUpload.objects.get(pk=upload_id, organisation_id=actor.organisation_id)


def logistics_uploads_waiting(*, actor, limit: int = 10) -> list[dict]:
    """The organisation's most recent uploads for the home page: ``{"url", "label"}``, newest first."""
    from django.urls import reverse

    return [
        {
            "url": reverse("logistics:upload-detail", args=[upload.pk]),
            "label": f"{upload.file_name} · {upload.get_kind_display()} · {upload.get_status_display()}",
        }
        for upload in logistics_upload_list(actor=actor, limit=limit)
    ]
