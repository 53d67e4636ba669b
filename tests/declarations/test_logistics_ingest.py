"""The logistics ingest services: every rule names its row and field, all or nothing, duplicates, queries."""

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from declarations.choices import Status
from declarations.crosscheck.loader import declarations_concerned
from declarations.models import ContainerEvent, Manifest, ManifestLine, SensorReading, VerificationRequest
from declarations.services import declaration_create_draft, declaration_submit
from declarations.services.logistics import (
    BATCH_SIZE,
    MAX_RECORDS,
    container_events_ingest,
    manifests_ingest,
    sensor_readings_ingest,
)
from tests import factories

pytestmark = pytest.mark.django_db


def event(n: int = 0, **overrides) -> dict:
    row = {
        "external_id": f"EV-{n:06d}",
        "container_number": "CSQU3054383",
        "event_type": "gate_in",
        "port": "CNSUD",
        "occurred_at": "2026-03-01T08:30:00+08:00",
        "seal_number": "SL123456",
    }
    row.update(overrides)
    return row


def reading(n: int = 0, **overrides) -> dict:
    row = {
        "external_id": f"RD-{n:06d}",
        "container_number": "CSQU3054383",
        "device": "REEFER-12",
        "kind": "temperature",
        "value": "-18.5",
        "read_at": "2026-03-01T09:00:00Z",
    }
    row.update(overrides)
    return row


def manifest(n: int = 0, line_overrides: dict | None = None, **overrides) -> dict:
    line = {
        "transport_document_number": "PRBL2026000123",
        "consignee_name": "Holland Home Interiors B.V.",
        "packages": 80,
        "gross_mass": "2400.000",
        "containers": ["CSQU3054383", "MSKU1234565"],
    }
    line.update(line_overrides or {})
    row = {
        "external_id": f"MF-{n:04d}",
        "carrier": "Pearl River Barge Lines",
        "vessel": "YUE HAI 18",
        "voyage": "2611S",
        "port_of_loading": "CNSUD",
        "port_of_discharge": "CNSHK",
        "lines": [line],
    }
    row.update(overrides)
    return row


@pytest.fixture
def carrier():
    return factories.logistics_system()


def errors_of(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as raised:
        call(**kwargs)
    return raised.value.message_dict


# --- storing ---------------------------------------------------------------------------------------------------


def test_container_events_are_stored_with_the_senders_organisation_and_normalised_numbers(carrier):
    result = container_events_ingest(
        actor=carrier,
        records=[
            event(1, container_number="csqu 305438-3", event_type="Weighed", weight=12480.5, port="cnshk"),
            event(2),
        ],
    )
    assert (result.received, result.stored, result.duplicates) == (2, 2, 0)
    weighed = ContainerEvent.objects.get(external_id="EV-000001")
    assert weighed.source_id == carrier.organisation_id
    assert weighed.container_number == "CSQU3054383"
    assert weighed.event_type == "weighed"
    assert weighed.weight == Decimal("12480.500")
    assert weighed.port.locode == "CNSHK"
    assert weighed.occurred_at == datetime(2026, 3, 1, 0, 30, tzinfo=UTC)


def test_manifests_are_stored_with_their_lines(carrier):
    result = manifests_ingest(
        actor=carrier,
        records=[
            manifest(
                1,
                lines=[
                    {
                        "transport_document_number": "PRBL1",
                        "consignee_name": "A B.V.",
                        "packages": "3",
                        "gross_mass": 10,
                        "containers": ["csqu3054383"],
                    },
                    {
                        "transport_document_number": "PRBL2",
                        "consignee_name": "C B.V.",
                        "packages": 4,
                        "gross_mass": "2.5",
                        "containers": [],
                    },
                ],
            ),
        ],
    )
    assert (result.stored, result.duplicates) == (1, 0)
    stored = Manifest.objects.get(source=carrier.organisation)
    assert (stored.port_of_loading.locode, stored.port_of_discharge.locode) == ("CNSUD", "CNSHK")
    lines = list(stored.lines.order_by("transport_document_number"))
    assert [(line.transport_document_number, line.packages, line.gross_mass, line.containers) for line in lines] == [
        ("PRBL1", 3, Decimal("10.000"), ["CSQU3054383"]),
        ("PRBL2", 4, Decimal("2.500"), []),
    ]


def test_sensor_readings_of_every_kind_are_stored_normalised(carrier):
    result = sensor_readings_ingest(
        actor=carrier,
        records=[
            reading(1, kind="temperature", value=-18.5),
            reading(2, kind="gross_weight", value="12480"),
            reading(3, kind="seal_status", value="Closed"),
            reading(4, kind="position", value=" 22.4833, 113.8833 "),
        ],
    )
    assert result.stored == 4
    values = dict(SensorReading.objects.values_list("external_id", "value"))
    assert values == {
        "RD-000001": "-18.5",
        "RD-000002": "12480",
        "RD-000003": "closed",
        "RD-000004": "22.4833,113.8833",
    }


def test_a_record_sent_twice_in_one_call_is_stored_once(carrier):
    result = container_events_ingest(actor=carrier, records=[event(1), event(1, event_type="loaded"), event(2)])
    assert (result.received, result.stored, result.duplicates) == (3, 2, 1)
    assert ContainerEvent.objects.get(external_id="EV-000001").event_type == "gate_in"  # the first one wins


def test_a_record_sent_again_in_a_later_call_is_not_stored_twice(carrier):
    container_events_ingest(actor=carrier, records=[event(1), event(2)])
    result = container_events_ingest(actor=carrier, records=[event(2), event(3)])
    assert (result.received, result.stored, result.duplicates) == (2, 1, 1)
    assert ContainerEvent.objects.count() == 3

    manifests_ingest(actor=carrier, records=[manifest(1)])
    again = manifests_ingest(actor=carrier, records=[manifest(1), manifest(2)])
    assert (again.stored, again.duplicates) == (1, 1)
    assert ManifestLine.objects.count() == 2

    sensor_readings_ingest(actor=carrier, records=[reading(1)])
    assert sensor_readings_ingest(actor=carrier, records=[reading(1)]).duplicates == 1
    assert SensorReading.objects.count() == 1


def test_the_same_external_id_from_another_organisation_is_another_record(carrier):
    container_events_ingest(actor=carrier, records=[event(1)])
    result = container_events_ingest(actor=factories.logistics_system(), records=[event(1)])
    assert (result.stored, result.duplicates) == (1, 0)
    assert ContainerEvent.objects.count() == 2


def test_only_logistics_systems_may_ingest():
    for actor in (factories.trader(), factories.customs_officer(), factories.bank_officer()):
        with pytest.raises(PermissionDenied):
            container_events_ingest(actor=actor, records=[event(1)])
    assert not ContainerEvent.objects.exists()


# --- all or nothing, row and field named -----------------------------------------------------------------------


def test_one_bad_row_among_a_thousand_stores_nothing_and_names_the_row(carrier):
    records = [event(n) for n in range(1000)]
    records[617]["container_number"] = "CSQU3054384"
    errors = errors_of(container_events_ingest, actor=carrier, records=records)
    assert errors == {"617.container_number": ["The check digit of CSQU3054384 is wrong: for CSQU305438 it must be 3."]}
    assert not ContainerEvent.objects.exists()


def test_every_bad_row_and_field_is_named_at_once(carrier):
    errors = errors_of(
        container_events_ingest,
        actor=carrier,
        records=[
            event(0),
            event(1, port="XXXXX", event_type="teleported"),
            "not an object",
            event(3, external_id=""),
        ],
    )
    assert set(errors) == {"1.port", "1.event_type", "2", "3.external_id"}


def test_more_than_ten_thousand_records_are_refused_naming_the_limit(carrier):
    errors = errors_of(container_events_ingest, actor=carrier, records=[event(n) for n in range(MAX_RECORDS + 1)])
    assert list(errors) == ["records"]
    assert "10,000" in errors["records"][0]
    assert not ContainerEvent.objects.exists()


def test_exactly_ten_thousand_records_are_accepted(carrier):
    result = container_events_ingest(actor=carrier, records=[event(n) for n in range(MAX_RECORDS)])
    assert result.stored == MAX_RECORDS
    assert ContainerEvent.objects.count() == MAX_RECORDS


def _soon(minutes: float) -> str:
    return (timezone.now() + timedelta(minutes=minutes)).isoformat()


EVENT_RULES = [
    ("container_number", "CSQU3054384", "must be 3"),
    ("container_number", "CSQ3054383", "is not a container number"),
    ("container_number", "", "required"),
    ("event_type", "teleported", "not a known event type"),
    ("event_type", None, "not a known event type"),
    ("port", "XXNOP", "not a known port"),
    ("port", "", "required"),
    ("port", 12, "required"),
    ("occurred_at", "2026-03-01T08:30:00", "no time zone"),
    ("occurred_at", "yesterday", "not a time in ISO 8601"),
    ("occurred_at", None, "A time is required"),
    ("occurred_at", "FUTURE", "in the future"),
    ("weight", "0", "greater than zero"),
    ("weight", "-5", "greater than zero"),
    ("weight", "heavy", "not a number"),
    ("weight", "1.0001", "decimal places"),
    ("weight", True, "A number is required"),
    ("weight", "NaN", "not a number"),
    ("vessel", "V" * 101, "At most 100 characters"),
    ("seal_number", "S" * 36, "At most 35 characters"),
    ("external_id", "X" * 101, "At most 100 characters"),
    ("external_id", None, "required"),
]


@pytest.mark.parametrize(("field", "value", "message"), EVENT_RULES)
def test_container_event_rule_names_row_and_field(carrier, field, value, message):
    if value == "FUTURE":
        value = _soon(6)
    errors = errors_of(container_events_ingest, actor=carrier, records=[event(0), event(1, **{field: value})])
    assert list(errors) == [f"1.{field}"]
    assert message in errors[f"1.{field}"][0]
    assert not ContainerEvent.objects.exists()


def test_a_weighing_event_needs_its_weight(carrier):
    errors = errors_of(container_events_ingest, actor=carrier, records=[event(0, event_type="Weighed")])
    assert list(errors) == ["0.weight"]


def test_times_within_five_minutes_of_clock_skew_are_accepted(carrier):
    result = container_events_ingest(actor=carrier, records=[event(1, occurred_at=_soon(4))])
    assert result.stored == 1


READING_RULES = [
    ("temperature", "warm", "not a number"),
    ("temperature", "500", "between -100 and 100"),
    ("gross_weight", "0", "greater than zero"),
    ("gross_weight", "abc", "not a number"),
    ("seal_status", "the seal looks fine to me", "one short word"),
    ("seal_status", "", "one short word"),
    ("position", "22.48", "latitude,longitude"),
    ("position", "north,east", "latitude,longitude"),
    ("position", "91,113", "latitude must be between"),
    ("position", "22,181", "longitude must be between"),
]


@pytest.mark.parametrize(("kind", "value", "message"), READING_RULES)
def test_sensor_value_rule_by_kind_names_row_and_field(carrier, kind, value, message):
    errors = errors_of(sensor_readings_ingest, actor=carrier, records=[reading(0), reading(1, kind=kind, value=value)])
    assert list(errors) == ["1.value"]
    assert message in errors["1.value"][0]
    assert not SensorReading.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind", "humidity", "not a known sensor kind"),
        ("device", "", "required"),
        ("container_number", "MSKU1234560", "must be 5"),
        ("read_at", "2026-03-01 09:00", "no time zone"),
    ],
)
def test_sensor_reading_rule_names_row_and_field(carrier, field, value, message):
    errors = errors_of(sensor_readings_ingest, actor=carrier, records=[reading(0), reading(1, **{field: value})])
    assert list(errors) == [f"1.{field}"]
    assert message in errors[f"1.{field}"][0]


@pytest.mark.parametrize(
    ("key", "overrides", "line_overrides", "message"),
    [
        ("1.port_of_loading", {"port_of_loading": "ZZZZZ"}, None, "not a known port"),
        ("1.port_of_discharge", {"port_of_discharge": None}, None, "required"),
        ("1.carrier", {"carrier": ""}, None, "required"),
        ("1.vessel", {"vessel": " "}, None, "required"),
        ("1.voyage", {"voyage": "V" * 51}, None, "At most 50"),
        ("1.lines", {"lines": []}, None, "at least one line"),
        ("1.lines", {"lines": "PRBL1"}, None, "at least one line"),
        ("1.lines.0.transport_document_number", {}, {"transport_document_number": ""}, "required"),
        ("1.lines.0.consignee_name", {}, {"consignee_name": None}, "required"),
        ("1.lines.0.packages", {}, {"packages": 0}, "at least 1"),
        ("1.lines.0.packages", {}, {"packages": "2.5"}, "whole number"),
        ("1.lines.0.gross_mass", {}, {"gross_mass": "0"}, "greater than zero"),
        ("1.lines.0.gross_mass", {}, {"gross_mass": None}, "A number is required"),
        ("1.lines.0.containers.1", {}, {"containers": ["CSQU3054383", "MSKU1234560"]}, "must be 5"),
        ("1.lines.0.containers", {}, {"containers": {"a": 1}}, "list of container numbers"),
    ],
)
def test_manifest_rule_names_row_and_field(carrier, key, overrides, line_overrides, message):
    errors = errors_of(manifests_ingest, actor=carrier, records=[manifest(0), manifest(1, line_overrides, **overrides)])
    assert list(errors) == [key]
    assert message in errors[key][0]
    assert not Manifest.objects.exists()
    assert not ManifestLine.objects.exists()


# --- cost and follow-up work -----------------------------------------------------------------------------------


def _queries(call, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        call(**kwargs)
    return len(captured.captured_queries)


def _inserts(model, rows: int) -> int:
    """The INSERTs that storing ``rows`` (at most BATCH_SIZE) new rows of ``model`` takes on this database.

    One on PostgreSQL. SQLite allows 999 variables per query, so Django's bulk_create splits the
    rows into batches of 999 // columns (90 container events): there an ingest call makes one
    INSERT more per batch, and only the queries besides the INSERTs stay the same.
    """
    assert rows <= BATCH_SIZE
    columns = [field for field in model._meta.concrete_fields if not field.primary_key]
    return math.ceil(rows / connection.ops.bulk_batch_size(columns, range(rows)))


def test_query_count_of_an_ingest_call_does_not_grow_with_its_rows(carrier, django_assert_max_num_queries):
    few = _queries(container_events_ingest, actor=carrier, records=[event(n) for n in range(3)])
    many = _queries(container_events_ingest, actor=carrier, records=[event(n) for n in range(100, 2100)])
    assert few - _inserts(ContainerEvent, 3) == many - _inserts(ContainerEvent, 2000)
    with django_assert_max_num_queries(7 + _inserts(SensorReading, 1500)):
        sensor_readings_ingest(actor=carrier, records=[reading(n) for n in range(1500)])
    few = _queries(manifests_ingest, actor=carrier, records=[manifest(n) for n in range(2)])
    many = _queries(manifests_ingest, actor=carrier, records=[manifest(n) for n in range(100, 1100)])
    # One line per manifest.
    assert few - _inserts(Manifest, 2) - _inserts(ManifestLine, 2) == (
        many - _inserts(Manifest, 1000) - _inserts(ManifestLine, 1000)
    )


def test_new_evidence_queues_the_declarations_it_concerns_for_verification(carrier):
    trader = factories.trader()
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(items=1, containers=1))
    declaration_submit(actor=trader, declaration_id=draft.pk)
    VerificationRequest.objects.all().delete()
    container = draft.containers.get().number

    container_events_ingest(actor=carrier, records=[event(1, container_number=container)])

    assert VerificationRequest.objects.filter(declaration_id=draft.pk).exists()


def _submitted(trader, number: str, **container) -> int:
    data = factories.declaration_input(items=1, containers=1)
    data["containers"][0].update(number=number, **container)
    draft = declaration_create_draft(actor=trader, **data)
    declaration_submit(actor=trader, declaration_id=draft.pk)
    return draft.pk


def test_only_readings_a_rule_reads_queue_their_declarations_for_verification(carrier):
    trader = factories.trader()
    dry = _submitted(trader, "CSQU3054383")
    reefer = _submitted(
        trader, "MSKU1234565", size_type="45R1", temperature_min=Decimal("-20"), temperature_max=Decimal("-18")
    )
    VerificationRequest.objects.all().delete()
    routine = [
        reading(1, container_number="CSQU3054383", kind="seal_status", value="closed"),
        reading(2, container_number="CSQU3054383", kind="temperature", value="30"),  # no range declared: no rule
        reading(3, container_number="CSQU3054383", kind="position", value="22.5,113.9"),
        reading(4, container_number="MSKU1234565", kind="gross_weight", value="16750"),
        reading(5, container_number="MSKU1234565", kind="seal_status", value="sealed"),
    ]

    assert sensor_readings_ingest(actor=carrier, records=routine).stored == 5
    assert not VerificationRequest.objects.exists()

    sensor_readings_ingest(actor=carrier, records=[reading(6, container_number="MSKU1234565", value="-19")])
    assert list(VerificationRequest.objects.values_list("declaration_id", flat=True)) == [reefer]

    sensor_readings_ingest(
        actor=carrier, records=[reading(7, container_number="CSQU3054383", kind="seal_status", value=" Broken ")]
    )
    assert sorted(VerificationRequest.objects.values_list("declaration_id", flat=True)) == sorted([dry, reefer])


def test_only_events_a_rule_reads_queue_their_declarations_for_verification(carrier):
    trader = factories.trader()
    declared = _submitted(trader, "CSQU3054383")  # Shunde → Shekou → Rotterdam
    VerificationRequest.objects.all().delete()
    on_route = [
        event(1, event_type="gate_in", port="CNSUD", seal_number=""),
        event(2, event_type="gate_out", port="CNSHK", seal_number=" "),
        event(3, event_type="arrived", port="NLRTM", seal_number=""),
    ]

    assert container_events_ingest(actor=carrier, records=on_route).stored == 3
    assert not VerificationRequest.objects.exists()

    read = [
        event(4, event_type="gate_in", port="HKHKG", seal_number=""),  # off the route: route_mismatch reads it
        event(5, event_type="weighed", port="CNSUD", seal_number="", weight="16750"),
        event(6, event_type="loaded", port="CNSUD", seal_number=""),
        event(7, event_type="discharged", port="CNSHK", seal_number=""),
        event(8, event_type="departed", port="CNSHK", seal_number=""),
        event(9, event_type="gate_out", port="CNSUD", seal_number="SL-1"),  # a seal: seal_mismatch reads it
    ]
    for row in read:
        VerificationRequest.objects.all().delete()
        container_events_ingest(actor=carrier, records=[row])
        assert list(VerificationRequest.objects.values_list("declaration_id", flat=True)) == [declared], row


def test_a_routine_event_queues_only_the_declarations_whose_route_it_is_off(carrier):
    trader = factories.trader()
    to_rotterdam = _submitted(trader, "CSQU3054383")
    data = factories.declaration_input(items=1, containers=1, transport_document_number="DOC-HK", foreign_port="HKHKG")
    data["containers"][0]["number"] = "CSQU3054383"
    to_hong_kong = declaration_create_draft(actor=trader, **data).pk
    declaration_submit(actor=trader, declaration_id=to_hong_kong)
    VerificationRequest.objects.all().delete()

    container_events_ingest(actor=carrier, records=[event(1, event_type="gate_in", port="HKHKG", seal_number="")])

    assert list(VerificationRequest.objects.values_list("declaration_id", flat=True)) == [to_rotterdam]


def test_evidence_concerns_live_declarations_by_document_or_by_container_each_once():
    trader = factories.trader()

    def declared(document: str, container: str, *, submit: bool = True) -> int:
        data = factories.declaration_input(items=1, containers=1, transport_document_number=document)
        data["containers"][0]["number"] = container
        draft = declaration_create_draft(actor=trader, **data)
        if submit:
            declaration_submit(actor=trader, declaration_id=draft.pk)
        return draft.pk

    by_document = declared("DOC-A", "CSQU3054383")
    by_container = declared("DOC-B", "MSKU1234565")
    by_both = declared("DOC-C", "TGHU1234567")
    declared("DOC-D", "CSQU3054383", submit=False)  # a draft: not verifiable
    same_container = declared("DOC-E", "MSKU1234565")
    live = [Status.SUBMITTED]

    def concerned(documents, containers):
        return declarations_concerned(transport_documents=documents, container_numbers=containers, statuses=live)

    assert sorted(concerned({"DOC-A", "DOC-C", "DOC-D"}, {"TGHU1234567"})) == sorted([by_document, by_both])
    assert sorted(concerned({"DOC-C"}, {"TGHU1234567"})) == [by_both]
    assert concerned(set(), {"TGHU1234567"}) == [by_both]
    assert concerned({"DOC-A"}, set()) == [by_document]
    assert concerned(set(), set()) == []
    assert concerned({"DOC-X"}, {"CMAU0000000"}) == []
    # A container concerns every live declaration of it; its document adds no second entry.
    assert sorted(concerned({"DOC-B"}, {"MSKU1234565"})) == sorted([by_container, same_container])


def test_duplicates_only_queue_nothing(carrier):
    trader = factories.trader()
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(items=1, containers=1))
    declaration_submit(actor=trader, declaration_id=draft.pk)
    container_events_ingest(actor=carrier, records=[event(1, container_number=draft.containers.get().number)])
    VerificationRequest.objects.all().delete()

    container_events_ingest(actor=carrier, records=[event(1, container_number=draft.containers.get().number)])

    assert not VerificationRequest.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"container_number": " csqu 305438-3 ", "event_type": " Weighed ", "weight": 12480.5, "port": " cn shk"},
        {"weight": "12480.125", "event_type": "weighed"},
        {"weight": 7, "vessel": "  YUE HAI 18 ", "voyage": "2611S", "seal_number": None},
        {"external_id": "  EV-padded  ", "occurred_at": "2026-03-01T00:30:00Z"},
    ],
)
def test_the_quick_check_of_a_container_event_gives_what_the_full_check_gives(overrides):
    from declarations.services.logistics import _check_container_event, _quick_container_event, _RowChecker

    ports, now = {"CNSUD": 1, "CNSHK": 2}, timezone.now()
    row = event(1, **overrides)
    checker = _RowChecker({}, "0")
    checker.field(row, "external_id", lambda value: value.strip())
    _check_container_event(row, checker, ports, now)

    assert not checker.errors
    assert _quick_container_event(ports, now)(row) == checker.clean


@pytest.mark.parametrize(
    "overrides",
    [
        {"container_number": "CSQU3054384"},
        {"event_type": "sailed"},
        {"port": "XXXXX"},
        {"weight": -1},
        {"event_type": "weighed"},
        {"occurred_at": "yesterday"},
        {"external_id": 17},
        {"vessel": "V" * 101},
        {"weight": [1]},
        {"occurred_at": "2026-03-01T08:30:00"},
    ],
)
def test_the_quick_check_leaves_every_doubtful_container_event_to_the_full_check(overrides):
    from declarations.services.logistics import _quick_container_event

    assert _quick_container_event({"CNSUD": 1}, timezone.now())(event(1, **overrides)) is None


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"container_number": " csqu 305438-3 ", "kind": " Temperature ", "value": " -18.50 "},
        {"kind": "seal_status", "value": " Closed "},
        {"kind": "gross_weight", "value": "16750.125", "device": "  SCALE-3  "},
        {"kind": "position", "value": "22.4833, 113.8833", "read_at": "2026-03-01T00:30:00+08:00"},
        {"external_id": "  RD-padded  "},
    ],
)
def test_the_quick_check_of_a_sensor_reading_gives_what_the_full_check_gives(overrides):
    from declarations.services.logistics import _check_sensor_reading, _quick_sensor_reading, _RowChecker

    now = timezone.now()
    row = reading(1, **overrides)
    checker = _RowChecker({}, "0")
    checker.field(row, "external_id", lambda value: value.strip())
    _check_sensor_reading(row, checker, now)

    assert not checker.errors
    assert _quick_sensor_reading(now)(row) == checker.clean


@pytest.mark.parametrize(
    "overrides",
    [
        {"container_number": "CSQU3054384"},
        {"kind": "humidity"},
        {"value": "-101"},
        {"kind": "seal_status", "value": "not sealed"},
        {"kind": "gross_weight", "value": "-5"},
        {"kind": "position", "value": "91,10"},
        {"value": 18.5},
        {"device": ""},
        {"device": "D" * 101},
        {"external_id": 17},
        {"read_at": "yesterday"},
        {"read_at": "2026-03-01T09:00:00"},
        {"read_at": "2999-03-01T09:00:00Z"},
    ],
)
def test_the_quick_check_leaves_every_doubtful_sensor_reading_to_the_full_check(overrides):
    from declarations.services.logistics import _quick_sensor_reading

    assert _quick_sensor_reading(timezone.now())(reading(1, **overrides)) is None


def test_readings_stored_through_the_quick_check_read_back_as_sent(carrier):
    rows = [reading(n, value=f"-18.{n}") for n in range(3)] + [reading(9, kind="seal_status", value=" Closed ")]

    assert sensor_readings_ingest(actor=carrier, records=rows).stored == 4

    stored = SensorReading.objects.order_by("external_id")
    assert [(r.external_id, r.kind, r.value, r.source_id) for r in stored] == [
        ("RD-000000", "temperature", "-18.0", carrier.organisation_id),
        ("RD-000001", "temperature", "-18.1", carrier.organisation_id),
        ("RD-000002", "temperature", "-18.2", carrier.organisation_id),
        ("RD-000009", "seal_status", "closed", carrier.organisation_id),
    ]
    assert all(r.read_at == datetime(2026, 3, 1, 9, tzinfo=UTC) and r.received_at is not None for r in stored)
