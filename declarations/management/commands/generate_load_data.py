"""Bulk declarations for benchmarks and demos: ``python manage.py generate_load_data --declarations N``."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import random
import time
import uuid
from decimal import ROUND_DOWN, Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from declarations.choices import (
    SEVERITY_SCORES,
    ContainerEventType,
    Direction,
    Lane,
    Procedure,
    Severity,
    Status,
    WarningCode,
)
from declarations.models import (
    ContainerEvent,
    Declaration,
    DeclarationContainer,
    DeclarationItem,
    Manifest,
    ManifestLine,
    SensorReading,
    VerificationRun,
    VerificationWarning,
)
from declarations.models.declaration import warning_codes_text
from declarations.validators import iso6346_check_digit
from portal.choices import OrganisationKind, Role
from portal.models import Country, HSCode, Organisation, Port, User
from portal.validators import uscc_check_character

HELP = """Create N realistic declarations quickly (COPY on PostgreSQL, multi-row inserts elsewhere), for
benchmarks and demos. Each run adds N more (references and record ids are derived from the new
rows' ids, so runs never collide). Declarations span the last 12 weeks: every status of the
workflow, both procedures and directions, all lanes, one to three goods items, containers,
a manifest line per transport document (a few missing), container events (gate-in and a
weighing per container, loading once released, departure and arrival as the status has it),
an e-seal reading per container and a reefer's temperature readings (about five logistics
records per declaration), a verification run per verified declaration with warnings of every
code, and plausible submitted/decided times around the 2-day target. Traders and a carrier named "Load-test …" are
created once and reused.

The declarations are written directly, not through the workflow services: they have NO ledger
entries (the ledger's integrity is untouched — nothing is written to it), and their history holds
only the inspection-related changes the dashboard counts (inspection ordered, amendment requested
afterwards), not every transition."""


def _mass_shares(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` split over ``parts`` containers to the gram, the last taking the remainder (they add up)."""
    if not parts:
        return []
    share = (total / parts).quantize(Decimal("0.001"), rounding=ROUND_DOWN)
    return [share] * (parts - 1) + [total - share * (parts - 1)]


LANE_RANK = {Lane.RED: 0, Lane.YELLOW: 1, Lane.GREEN: 2, "": 3}
OWNER_CODES = ["CSQU", "MSKU", "TGHU", "OOLU", "CMAU", "HLXU", "EGHU", "TCLU"]
ORIGIN_PORTS = ["CNSUD", "CNSHK"]
FOREIGN_PORTS = ["NLRTM", "DEHAM", "USLAX", "SGSIN", "AUSYD", "BEANR", "AEJEA"]
CONSIGNEES = [
    "Holland Home Interiors B.V.",
    "Hamburg Möbel GmbH",
    "Pacific Coast Imports Inc.",
    "Lion City Trading Pte. Ltd.",
    "Harbour Retail Pty Ltd",
    "Antwerp Garden Supply NV",
    "Gulf Household Trading LLC",
]
GOODS = [
    "Wooden dining tables",
    "Upholstered sofas",
    "LED lamps",
    "Ceramic tiles",
    "Kitchen cabinets",
    "Steel shelving",
    "Garden chairs",
    "Cotton bed linen",
    "Air conditioners",
    "Frozen shrimps",
]
WARNING_WEIGHTS = [
    (WarningCode.GROSS_MASS_MISMATCH, Severity.MEDIUM, 20),
    (WarningCode.PACKAGE_COUNT_MISMATCH, Severity.LOW, 14),
    (WarningCode.MANIFEST_MISSING, Severity.HIGH, 8),
    (WarningCode.CONSIGNEE_MISMATCH, Severity.LOW, 10),
    (WarningCode.CONTAINER_NOT_ON_MANIFEST, Severity.MEDIUM, 6),
    (WarningCode.UNDECLARED_CONTAINER, Severity.MEDIUM, 4),
    (WarningCode.SEAL_MISMATCH, Severity.HIGH, 4),
    (WarningCode.SEAL_BROKEN, Severity.HIGH, 2),
    (WarningCode.ROUTE_MISMATCH, Severity.MEDIUM, 3),
    (WarningCode.LOADED_BEFORE_RELEASE, Severity.HIGH, 2),
    (WarningCode.TEMPERATURE_EXCURSION, Severity.MEDIUM, 3),
    (WarningCode.SENSITIVE_GOODS, Severity.MEDIUM, 8),
    (WarningCode.VALUE_ANOMALY, Severity.MEDIUM, 12),
    (WarningCode.MANIFEST_WRITE_OFF_EXCEEDED, Severity.LOW, 4),
]
WINDOW = dt.timedelta(weeks=12)


def container_number(sequence: int) -> str:
    first_ten = f"{OWNER_CODES[(sequence // 1_000_000) % len(OWNER_CODES)]}{sequence % 1_000_000:06d}"
    return f"{first_ten}{iso6346_check_digit(first_ten)}"


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class TableWriter:
    """Rows (dicts keyed by attname) for one model, written with COPY on PostgreSQL."""

    def __init__(self, model: type[models.Model], *, with_pk: bool):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        now = timezone.now()
        self.defaults = {}
        self.callable_defaults: dict[str, models.Field] = {}
        for field in self.fields:
            if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
                self.defaults[field.attname] = now
            elif field.has_default() and not callable(field.default):
                self.defaults[field.attname] = field.get_default()
            elif field.has_default():
                self.callable_defaults[field.attname] = field  # e.g. uuid4, now: one value per row
            else:
                self.defaults[field.attname] = "" if (field.empty_strings_allowed and not field.null) else None
        self.rows: list[dict] = []

    def add(self, row: dict) -> None:
        for attname, field in self.callable_defaults.items():
            if attname not in row:
                row[attname] = field.get_default()
        self.rows.append(row)

    def flush(self) -> int:
        if not self.rows:
            return 0
        attnames = [f.attname for f in self.fields]
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        count = len(self.rows)
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            defaults = self.defaults
            for row in self.rows:
                buffer.write("\t".join(_copy_text(row[name] if name in row else defaults[name]) for name in attnames))
                buffer.write("\n")
            buffer.seek(0)
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        else:
            placeholders = ", ".join(["%s"] * len(self.fields))
            defaults = self.defaults
            values = [
                [
                    field.get_db_prep_save(
                        row[field.attname] if field.attname in row else defaults[field.attname], connection
                    )
                    for field in self.fields
                ]
                for row in self.rows
            ]
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values)  # noqa: S608
        self.rows = []
        return count


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys of ``model`` (taken from its sequence on PostgreSQL)."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser):
        parser.add_argument("--declarations", type=int, required=True, help="How many declarations to add.")
        parser.add_argument("--batch", type=int, default=10_000, help="Declarations per transaction (10,000).")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for repeatable data.")

    def handle(self, *args, declarations: int, batch: int, seed: int | None, **options):
        if declarations < 1 or batch < 1:
            raise CommandError("--declarations and --batch must be positive.")
        self.random = random.Random(seed)
        self.now = timezone.now()
        self._reference_data()
        started = time.perf_counter()
        done = 0
        while done < declarations:
            size = min(batch, declarations - done)
            with transaction.atomic():
                self._batch(size)
            done += size
            rate = done / max(time.perf_counter() - started, 1e-9)
            self.stdout.write(f"{done:,} of {declarations:,} declarations ({rate:,.0f}/s)")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (
                    Declaration,
                    DeclarationItem,
                    DeclarationContainer,
                    VerificationRun,
                    VerificationWarning,
                    Manifest,
                    ManifestLine,
                    ContainerEvent,
                    SensorReading,
                    Declaration.history.model,
                ):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        self.stdout.write(
            self.style.SUCCESS(f"Added {declarations:,} declarations in {time.perf_counter() - started:,.1f} s.")
        )

    # Reference data -----------------------------------------------------------------------------

    def _reference_data(self) -> None:
        ports = {p.locode: p for p in Port.objects.filter(locode__in=ORIGIN_PORTS + FOREIGN_PORTS)}
        missing = [code for code in ORIGIN_PORTS if code not in ports]
        if missing:
            raise CommandError(f"Load the reference data first (manage.py load_reference_data): no {missing}.")
        self.origin_ids = [ports[code].pk for code in ORIGIN_PORTS]
        self.foreign_ids = [ports[code].pk for code in FOREIGN_PORTS if code in ports] or self.origin_ids
        self.hs_codes = list(HSCode.objects.filter(code__regex=r"^[0-9]{6}$").values_list("code", flat=True)[:400])
        if not self.hs_codes:
            raise CommandError("Load the reference data first: no 6-digit HS codes.")
        countries = set(Country.objects.values_list("alpha2", flat=True))
        self.countries = [c for c in ("CN", "VN", "MY", "TH", "IN", "DE", "US") if c in countries] or ["CN"]
        self.consignee_countries = [c for c in ("NL", "DE", "US", "SG", "AU", "BE", "AE") if c in countries] or ["CN"]
        self.traders = []
        for number in range(1, 21):
            base = f"91440606LT{number:07d}"
            organisation, _created = Organisation.objects.get_or_create(
                name_en=f"Load-test trader {number:02d} Co., Ltd.",
                defaults={
                    "kind": OrganisationKind.TRADER,
                    "country_id": "CN",
                    "uscc": base + uscc_check_character(base),
                },
            )
            user, created = User.objects.get_or_create(
                username=f"loadtest-trader-{number:02d}",
                defaults={"organisation": organisation, "role": Role.TRADER_STAFF},
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            self.traders.append((organisation.pk, user.pk, organisation.name_en))
        base = "91440606LC0000001"
        self.carrier, _created = Organisation.objects.get_or_create(
            name_en="Load-test carrier Co., Ltd.",
            defaults={
                "kind": OrganisationKind.LOGISTICS,
                "country_id": "CN",
                "uscc": base + uscc_check_character(base),
            },
        )

    # One batch ----------------------------------------------------------------------------------

    def _outcome(self, submitted_at: dt.datetime, duration: dt.timedelta) -> dict:
        """Status, lane, version, decision time and the inspection story of one declaration."""
        r = self.random.random()
        decided_at = submitted_at + duration
        finished = decided_at <= self.now
        outcome = {"decided_at": None, "version": 1, "inspection_at": None, "amended_at": None}
        if r < 0.02:
            return {**outcome, "status": Status.CANCELLED, "lane": ""}
        if r < 0.10:  # sent to a physical inspection
            outcome["inspection_at"] = submitted_at + duration * 0.3
            if not finished:
                status = Status.INSPECTED if self.random.random() < 0.3 else Status.INSPECTION_REQUIRED
                return {**outcome, "status": status, "lane": Lane.RED}
            result = self.random.random()
            if result < 0.15:
                return {**outcome, "status": Status.REJECTED, "lane": Lane.RED, "decided_at": decided_at}
            if result < 0.25:
                outcome["amended_at"] = submitted_at + duration * 0.5
                outcome["version"] = 2
            return {**outcome, "status": self._released_status(decided_at), "lane": Lane.RED, "decided_at": decided_at}
        lane = self.random.choices([Lane.GREEN, Lane.YELLOW, Lane.RED], weights=[65, 30, 5])[0]
        if not finished:
            status = self.random.choices(
                [Status.UNDER_REVIEW, Status.SUBMITTED, Status.AMENDMENT_REQUESTED, Status.RESUBMITTED],
                weights=[80, 5, 10, 5],
            )[0]
            if status in (Status.SUBMITTED, Status.RESUBMITTED):
                lane = ""
            return {**outcome, "status": status, "lane": lane, "version": 2 if status == Status.RESUBMITTED else 1}
        if self.random.random() < 0.03:
            return {**outcome, "status": Status.REJECTED, "lane": lane, "decided_at": decided_at}
        return {**outcome, "status": self._released_status(decided_at), "lane": lane, "decided_at": decided_at}

    def _released_status(self, decided_at: dt.datetime) -> str:
        age = self.now - decided_at
        if age > dt.timedelta(days=6):
            return self.random.choices([Status.ARRIVED, Status.DEPARTED, Status.RELEASED], weights=[60, 30, 10])[0]
        if age > dt.timedelta(days=2):
            return self.random.choices([Status.DEPARTED, Status.RELEASED], weights=[60, 40])[0]
        return Status.RELEASED

    def _batch(self, size: int) -> None:
        rnd = self.random
        ids = allocate_ids(Declaration, size)
        manifest_ids = allocate_ids(Manifest, math.ceil(size / 100))
        history = Declaration.history.model
        writers = {
            model: TableWriter(model, with_pk=model in (Declaration, Manifest, VerificationRun))
            for model in (
                Declaration,
                DeclarationItem,
                DeclarationContainer,
                Manifest,
                ManifestLine,
                ContainerEvent,
                SensorReading,
                VerificationRun,
                VerificationWarning,
                history,
            )
        }
        verified_rows: list[tuple[dict, list[str]]] = []
        for manifest_number, manifest_id in enumerate(manifest_ids):
            writers[Manifest].add(
                {
                    "id": manifest_id,
                    "source_id": self.carrier.pk,
                    "external_id": f"LOAD-MF-{manifest_id}",
                    "received_at": self.now,
                    "carrier": "Pearl River Barge Lines",
                    "vessel": f"YUE HAI {manifest_id % 90}",
                    "voyage": f"{manifest_id % 9000:04d}S",
                    "port_of_loading_id": self.origin_ids[manifest_number % 2],
                    "port_of_discharge_id": self.origin_ids[(manifest_number + 1) % 2],
                }
            )
        for index, pk in enumerate(ids):
            declarant_id, user_id, _name = self.traders[pk % len(self.traders)]
            integrated = rnd.random() < 0.7
            origin = self.origin_ids[0] if integrated or rnd.random() < 0.5 else self.origin_ids[1]
            draft = rnd.random() < 0.03
            submitted_at = None if draft else self.now - WINDOW * rnd.random()
            duration = dt.timedelta(hours=rnd.lognormvariate(math.log(30), 0.6))
            created_at = (submitted_at or self.now - WINDOW * rnd.random()) - dt.timedelta(hours=rnd.uniform(0.5, 48))
            outcome = (
                {
                    "status": Status.DRAFT,
                    "lane": "",
                    "version": 1,
                    "decided_at": None,
                    "inspection_at": None,
                    "amended_at": None,
                }
                if draft
                else self._outcome(submitted_at, duration)
            )
            items = []
            for line in range(1, rnd.choice((1, 1, 2, 3)) + 1):
                quantity = Decimal(rnd.randint(10, 500))
                gross = Decimal(rnd.randint(200, 12000)) + Decimal(rnd.randint(0, 999)) / 1000
                value = (quantity * Decimal(rnd.randint(5, 400))).quantize(Decimal("0.01"))
                items.append(
                    {
                        "declaration_id": pk,
                        "line_number": line,
                        "hs_code_id": rnd.choice(self.hs_codes),
                        "description": rnd.choice(GOODS),
                        "origin_country_id": rnd.choice(self.countries),
                        "quantity": quantity,
                        "unit": "PCE",
                        "packages": rnd.randint(1, 200),
                        "gross_mass": gross,
                        "net_mass": (gross * Decimal("0.9")).quantize(Decimal("0.001")),
                        "value": value,
                    }
                )
            reefer = rnd.random() < 0.05
            container_total = rnd.choice((1, 1, 2)) if integrated else rnd.choice((0, 1))
            containers = []
            for k in range(container_total):
                number = container_number(pk * 3 + k)
                containers.append(
                    {
                        "declaration_id": pk,
                        "number": number,
                        "size_type": "45R1" if reefer else "45G1",
                        "seal_number": f"SL{pk % 10_000_000:07d}{k}",
                        "temperature_min": Decimal("-20.0") if reefer else None,
                        "temperature_max": Decimal("-16.0") if reefer else None,
                    }
                )
            lane = outcome["lane"]
            reference = None if draft else f"{'CNSUD' if origin == self.origin_ids[0] else 'CNSHK'}-L{pk:011d}"
            document = f"LOADBL{pk:012d}"
            declaration = {
                "id": pk,
                "reference": reference,
                "public_id": uuid.uuid4(),
                "declarant_id": declarant_id,
                "status": outcome["status"],
                "lane": lane,
                "queue_rank": LANE_RANK[lane],
                "version": outcome["version"],
                "direction": Direction.EXPORT if rnd.random() < 0.75 else Direction.IMPORT,
                "procedure": Procedure.INTEGRATED if integrated else Procedure.STANDARD,
                "origin_port_id": origin,
                "transfer_port_id": (self.origin_ids[1] if origin == self.origin_ids[0] else self.origin_ids[0])
                if integrated
                else None,
                "foreign_port_id": rnd.choice(self.foreign_ids),
                "transport_document_number": document,
                "consignor_name": self.traders[pk % len(self.traders)][2],
                "consignor_address": "Shunde, Foshan",
                "consignee_name": rnd.choice(CONSIGNEES),
                "consignee_address": "Port district",
                "consignee_country_id": rnd.choice(self.consignee_countries),
                "incoterm": "FOB",
                "invoice_currency_id": "USD",
                "total_packages": sum(i["packages"] for i in items),
                "total_gross_mass": sum(i["gross_mass"] for i in items),
                "total_net_mass": sum(i["net_mass"] for i in items),
                "total_value": sum(i["value"] for i in items),
                "item_count": len(items),
                "container_count": len(containers),
                "officer_message": "",
                "created_by_id": user_id,
                "created_at": created_at,
                "updated_at": outcome["decided_at"] or submitted_at or created_at,
                "submitted_at": submitted_at,
                "decided_at": outcome["decided_at"],
            }
            if outcome["status"] == Status.REJECTED:
                declaration["officer_message"] = "Goods do not match the declaration."
            writers[Declaration].add(declaration)
            for item in items:
                writers[DeclarationItem].add(item)
            for container in containers:
                writers[DeclarationContainer].add(container)
            self._history(writers[history], declaration, outcome, user_id)
            if draft:
                continue
            # Logistics evidence: the manifest line (5 % missing), events and readings per container.
            if rnd.random() >= 0.05:
                writers[ManifestLine].add(
                    {
                        "manifest_id": manifest_ids[index // 100],
                        "transport_document_number": document,
                        "consignee_name": declaration["consignee_name"],
                        "packages": declaration["total_packages"],
                        "gross_mass": declaration["total_gross_mass"],
                        "containers": [c["number"] for c in containers],
                    }
                )
            released = outcome["decided_at"] is not None and outcome["status"] != Status.REJECTED
            # Each container is weighed at the gate; the weights add up to the declared gross mass.
            shares = _mass_shares(declaration["total_gross_mass"], len(containers))
            for k, container in enumerate(containers):
                gate_in = submitted_at - dt.timedelta(hours=6)
                events = [
                    (ContainerEventType.GATE_IN, gate_in, None),
                    (ContainerEventType.WEIGHED, gate_in + dt.timedelta(minutes=20), shares[k]),
                ]
                if released:
                    loaded = outcome["decided_at"] + dt.timedelta(hours=4)
                    events.append((ContainerEventType.LOADED, loaded, None))
                    if outcome["status"] in (Status.DEPARTED, Status.ARRIVED):
                        events.append((ContainerEventType.DEPARTED, loaded + dt.timedelta(hours=8), None))
                    if outcome["status"] == Status.ARRIVED:
                        events.append((ContainerEventType.ARRIVED, loaded + dt.timedelta(hours=30), None))
                for number, (event_type, occurred_at, weight) in enumerate(events):
                    writers[ContainerEvent].add(
                        {
                            "source_id": self.carrier.pk,
                            "external_id": f"LOAD-EV-{pk}-{k}-{number}",
                            "received_at": occurred_at,
                            "container_number": container["number"],
                            "event_type": event_type,
                            "port_id": origin,
                            "vessel": "",
                            "voyage": "",
                            "occurred_at": occurred_at,
                            "seal_number": container["seal_number"],
                            "weight": weight,
                        }
                    )
                # Every container's e-seal reports at the gate; a reefer's temperature every 6 hours from then on.
                readings = [("seal_status", "closed", gate_in)]
                if reefer:
                    readings += [("temperature", "-18.0", gate_in + dt.timedelta(hours=6 * n)) for n in range(4)]
                for number, (kind, value, read_at) in enumerate(readings):
                    writers[SensorReading].add(
                        {
                            "source_id": self.carrier.pk,
                            "external_id": f"LOAD-RD-{pk}-{k}-{number}",
                            "received_at": read_at,
                            "container_number": container["number"],
                            "device": f"DEV-{pk % 5000}",
                            "kind": kind,
                            "value": value,
                            "read_at": read_at,
                        }
                    )
            if lane:
                verified_rows.append((declaration, [c["number"] for c in containers]))
        run_ids = allocate_ids(VerificationRun, len(verified_rows))
        for run_id, (declaration, numbers) in zip(run_ids, verified_rows, strict=True):
            warnings = []
            if rnd.random() < 0.3:
                picks = rnd.choices(WARNING_WEIGHTS, weights=[w for _c, _s, w in WARNING_WEIGHTS], k=rnd.choice((1, 2)))
                seen = set()
                for code, severity, _weight in picks:
                    key = rnd.choice(numbers) if numbers else ""
                    if (code, key) in seen:
                        continue
                    seen.add((code, key))
                    warnings.append((code, severity, key))
            # As the verification services keep it (the COPY of this batch's declarations runs below).
            declaration["current_warning_codes"] = warning_codes_text(code for code, _s, _k in warnings)
            finished_at = declaration["submitted_at"] + dt.timedelta(seconds=rnd.randint(3, 120))
            writers[VerificationRun].add(
                {
                    "id": run_id,
                    "declaration_id": declaration["id"],
                    "version": declaration["version"],
                    "state": "done",
                    "score": sum(SEVERITY_SCORES[s] for _c, s, _k in warnings),
                    "lane": declaration["lane"],
                    "lane_reason": "Generated load-test data.",
                    "randomly_selected": False,
                    "runs": 1,
                    "finished_at": finished_at,
                }
            )
            for code, severity, key in warnings:
                writers[VerificationWarning].add(
                    {
                        "run_id": run_id,
                        "declaration_id": declaration["id"],
                        "code": code,
                        "severity": severity,
                        "message": f"{WarningCode(code).label} (generated)",
                        "evidence": {"generated": True},
                        "key": key,
                        "raised_at": finished_at,
                    }
                )
        for writer in writers.values():
            writer.flush()

    def _history(self, writer: TableWriter, declaration: dict, outcome: dict, user_id: int) -> None:
        """The inspection-related history rows the dashboard counts (not every transition)."""
        rows: list[tuple[dt.datetime, str, str]] = []
        if outcome["inspection_at"] is not None:
            rows = [(outcome["inspection_at"], Status.INSPECTION_REQUIRED, "order_inspection")]
            if outcome["amended_at"] is not None:
                rows.append((outcome["amended_at"], Status.AMENDMENT_REQUESTED, "request_amendment"))
        for moment, status, reason in rows:
            writer.add(
                {
                    **declaration,
                    "status": status,
                    "lane": Lane.RED,
                    "queue_rank": LANE_RANK[Lane.RED],
                    "version": 1,
                    "decided_at": None,
                    "updated_at": moment,
                    "history_date": moment,
                    "history_change_reason": reason,
                    "history_type": "~",
                    "history_user_id": None,
                }
            )
