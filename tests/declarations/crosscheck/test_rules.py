"""Each cross-verification rule of DESIGN §5: a case that raises it, one just inside its
tolerance that does not, and one with missing evidence."""

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from declarations.choices import Severity, WarningCode
from declarations.crosscheck import rules
from declarations.crosscheck.evidence import Finding, Tolerances

from .builders import (
    CONTAINER_A,
    CONTAINER_B,
    CONTAINER_C,
    DOCUMENT,
    FOREIGN,
    ORIGIN,
    REEFER,
    TRANSFER,
    at,
    bundle,
    container,
    declaration,
    event,
    item,
    manifest_line,
    reading,
    reefer,
    sibling,
    with_declaration,
)


def codes(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def keys(findings: list[Finding]) -> list[str]:
    return [finding.key for finding in findings]


def test_a_consistent_declaration_raises_nothing():
    assert rules.findings_for(bundle()) == []


def test_all_rules_follow_the_design_order_of_warning_codes():
    assert [rule.__name__.upper() for rule in rules.ALL_RULES] == list(WarningCode.values)


# MANIFEST_MISSING -------------------------------------------------------------------------


def test_manifest_missing_when_no_manifest_line_carries_the_document():
    findings = rules.manifest_missing(bundle(manifest_lines=()))
    assert codes(findings) == [WarningCode.MANIFEST_MISSING]
    assert findings[0].severity == Severity.HIGH
    assert DOCUMENT in findings[0].message
    assert findings[0].evidence == {"transport_document_number": DOCUMENT}


def test_manifest_missing_not_raised_once_a_line_arrives():
    assert rules.manifest_missing(bundle()) == []


def test_missing_manifest_is_reported_once_and_no_manifest_rule_guesses():
    assert codes(rules.findings_for(bundle(manifest_lines=()))) == [WarningCode.MANIFEST_MISSING]


# CONTAINER_NOT_ON_MANIFEST ----------------------------------------------------------------


def test_container_not_on_manifest_names_the_missing_container():
    findings = rules.container_not_on_manifest(bundle(manifest_lines=(manifest_line(containers=(CONTAINER_A,)),)))
    assert keys(findings) == [CONTAINER_B]
    assert findings[0].severity == Severity.HIGH
    assert CONTAINER_B in findings[0].message and DOCUMENT in findings[0].message
    assert findings[0].evidence["manifest_line_ids"] == [100]


def test_containers_spread_over_lines_and_spelt_differently_are_on_the_manifest():
    lines = (
        manifest_line(line_id=100, containers=("csqu 305438-3",)),
        manifest_line(line_id=101, containers=("MSKU 1234565",)),
    )
    assert rules.container_not_on_manifest(bundle(manifest_lines=lines)) == []


def test_container_not_on_manifest_needs_a_manifest():
    assert rules.container_not_on_manifest(bundle(manifest_lines=())) == []


# UNDECLARED_CONTAINER ---------------------------------------------------------------------


def test_undeclared_container_on_the_manifest():
    lines = (manifest_line(containers=(CONTAINER_A, CONTAINER_B, CONTAINER_C)),)
    findings = rules.undeclared_container(bundle(manifest_lines=lines))
    assert keys(findings) == [CONTAINER_C]
    assert findings[0].severity == Severity.MEDIUM
    assert CONTAINER_C in findings[0].message


def test_a_container_on_two_lines_is_one_finding_naming_both_lines():
    lines = (
        manifest_line(line_id=100, containers=(CONTAINER_A, CONTAINER_C)),
        manifest_line(line_id=101, containers=(CONTAINER_B, CONTAINER_C)),
    )
    findings = rules.undeclared_container(bundle(manifest_lines=lines))
    assert keys(findings) == [CONTAINER_C]
    assert findings[0].evidence["manifest_line_ids"] == [100, 101]


def test_container_declared_by_a_sibling_declaration_is_not_undeclared():
    lines = (manifest_line(containers=(CONTAINER_A, CONTAINER_B, CONTAINER_C)),)
    assert rules.undeclared_container(bundle(manifest_lines=lines, siblings=(sibling(),))) == []


def test_undeclared_container_needs_a_manifest():
    assert rules.undeclared_container(bundle(manifest_lines=())) == []


# GROSS_MASS_MISMATCH: manifest ------------------------------------------------------------


def test_gross_mass_differs_from_the_manifest_beyond_the_tolerance():
    evidence = bundle(
        declaration(total_gross_mass=Decimal("3600")), manifest_lines=(manifest_line(gross_mass=Decimal("4100")),)
    )
    findings = rules.gross_mass_mismatch(evidence)
    assert keys(findings) == ["manifest"]
    assert findings[0].severity == Severity.MEDIUM
    # 500 kg is 12.2 % of the manifest's 4,100 kg.
    assert findings[0].message.startswith(
        "Declared gross mass 3,600 kg differs from the manifest's 4,100 kg by 12.2 % (tolerance 5 %)"
    )
    assert findings[0].evidence["declared_gross_mass"] == "3600"
    assert findings[0].evidence["manifest_gross_mass"] == "4100"
    assert findings[0].evidence["manifest_line_ids"] == [100]


@pytest.mark.parametrize("declared", ["10500", "9500", "10499.99"])
def test_gross_mass_exactly_at_or_inside_the_tolerance_is_not_a_mismatch(declared):
    evidence = bundle(
        declaration(total_gross_mass=Decimal(declared)), manifest_lines=(manifest_line(gross_mass=Decimal("10000")),)
    )
    assert rules.gross_mass_mismatch(evidence) == []


@pytest.mark.parametrize("declared", ["10500.01", "9499.99"])
def test_gross_mass_just_beyond_the_tolerance_is_a_mismatch(declared):
    evidence = bundle(
        declaration(total_gross_mass=Decimal(declared)), manifest_lines=(manifest_line(gross_mass=Decimal("10000")),)
    )
    assert keys(rules.gross_mass_mismatch(evidence)) == ["manifest"]


def test_gross_mass_tolerance_comes_from_the_bundle():
    evidence = bundle(
        declaration(total_gross_mass=Decimal("10800")),
        manifest_lines=(manifest_line(gross_mass=Decimal("10000")),),
    )
    assert keys(rules.gross_mass_mismatch(evidence)) == ["manifest"]
    relaxed = replace(evidence, tolerances=Tolerances(gross_mass_percent=Decimal("10")))
    assert rules.gross_mass_mismatch(relaxed) == []


def test_gross_mass_counts_every_declaration_of_the_document():
    evidence = bundle(
        declaration(total_gross_mass=Decimal("8000")),
        manifest_lines=(manifest_line(gross_mass=Decimal("12000")),),
    )
    assert keys(rules.gross_mass_mismatch(evidence)) == ["manifest"]
    with_sibling = replace(evidence, siblings=(sibling(total_gross_mass=Decimal("4000")),))
    assert rules.gross_mass_mismatch(with_sibling) == []


def test_gross_mass_sums_the_manifest_lines():
    lines = (
        manifest_line(line_id=100, gross_mass=Decimal("7000")),
        manifest_line(line_id=101, gross_mass=Decimal("5000")),
    )
    assert rules.gross_mass_mismatch(bundle(manifest_lines=lines)) == []


def test_gross_mass_against_the_manifest_needs_a_manifest_with_a_mass():
    assert rules.gross_mass_mismatch(bundle(manifest_lines=())) == []
    assert rules.gross_mass_mismatch(bundle(manifest_lines=(manifest_line(gross_mass=Decimal("0")),))) == []


# GROSS_MASS_MISMATCH: weighing ------------------------------------------------------------


def weighed(id: int, number: str, kg: str, hours: float = 1) -> object:
    return event(id, number, "weighed", ORIGIN, hours, weight=Decimal(kg))


def test_gross_mass_differs_from_the_latest_weighing_of_every_container():
    events = (
        weighed(1, CONTAINER_A, "6000", hours=1),
        weighed(2, CONTAINER_A, "7000", hours=2),  # re-weighed: the latest counts
        weighed(3, CONTAINER_B, "6000", hours=1),
    )
    findings = rules.gross_mass_mismatch(bundle(events=events))
    assert keys(findings) == ["weighing"]
    assert findings[0].evidence["weighed_gross_mass"] == "13000"
    assert sorted(findings[0].evidence["event_ids"]) == [2, 3]
    assert "13,000 kg" in findings[0].message and "12,000 kg" in findings[0].message
    assert "7.7 %" in findings[0].message


def test_an_earlier_wrong_weighing_is_superseded_by_the_latest():
    events = (
        weighed(1, CONTAINER_A, "9000", hours=1),
        weighed(2, CONTAINER_A, "6000", hours=2),
        weighed(3, CONTAINER_B, "6000", hours=1),
    )
    assert rules.gross_mass_mismatch(bundle(events=events)) == []


def test_weighing_exactly_at_the_tolerance_is_not_a_mismatch():
    # declared 12,600 kg against 12,000 kg weighed: exactly 5 %
    events = (weighed(1, CONTAINER_A, "6000"), weighed(2, CONTAINER_B, "6000"))
    evidence = bundle(
        declaration(total_gross_mass=Decimal("12600")),
        manifest_lines=(manifest_line(gross_mass=Decimal("12600")),),
        events=events,
    )
    assert rules.gross_mass_mismatch(evidence) == []
    beyond = with_declaration(evidence, total_gross_mass=Decimal("12600.01"))
    assert keys(rules.gross_mass_mismatch(beyond)) == ["weighing"]


def test_weighing_is_compared_only_when_every_container_was_weighed():
    events = (
        weighed(1, CONTAINER_A, "9000"),
        event(2, CONTAINER_B, "weighed", ORIGIN, 1),  # no weight recorded
        event(3, CONTAINER_B, "gate_in", ORIGIN, 1, weight=Decimal("9000")),  # not a weighing
    )
    assert rules.gross_mass_mismatch(bundle(events=events)) == []


def test_weighing_needs_declared_containers():
    evidence = bundle(declaration(containers=()), events=(weighed(1, CONTAINER_A, "9000"),))
    assert rules.gross_mass_mismatch(evidence) == []


# PACKAGE_COUNT_MISMATCH -------------------------------------------------------------------


def test_package_count_differs_from_the_manifest():
    findings = rules.package_count_mismatch(bundle(manifest_lines=(manifest_line(packages=99),)))
    assert codes(findings) == [WarningCode.PACKAGE_COUNT_MISMATCH]
    assert findings[0].severity == Severity.LOW
    assert "100 packages" in findings[0].message and "99" in findings[0].message
    assert findings[0].evidence == {"declared_packages": 100, "manifest_packages": 99, "manifest_line_ids": [100]}


def test_package_count_equal_to_the_manifest_lines_total():
    lines = (manifest_line(line_id=100, packages=60), manifest_line(line_id=101, packages=40))
    assert rules.package_count_mismatch(bundle(manifest_lines=lines)) == []


def test_package_count_is_not_compared_when_the_document_has_other_declarations():
    evidence = bundle(manifest_lines=(manifest_line(packages=140),), siblings=(sibling(),))
    assert rules.package_count_mismatch(evidence) == []


def test_package_count_needs_a_manifest():
    assert rules.package_count_mismatch(bundle(manifest_lines=())) == []


# CONSIGNEE_MISMATCH -----------------------------------------------------------------------


def test_consignee_differs_from_the_manifest():
    lines = (manifest_line(consignee_name="Hamburg Appliances GmbH"),)
    findings = rules.consignee_mismatch(bundle(manifest_lines=lines))
    assert codes(findings) == [WarningCode.CONSIGNEE_MISMATCH]
    assert findings[0].severity == Severity.MEDIUM
    assert "Rotterdam Appliances B.V." in findings[0].message and "Hamburg Appliances GmbH" in findings[0].message
    assert findings[0].evidence["manifest_normalised"] == ["hamburg appliances"]


@pytest.mark.parametrize(
    "manifest_name",
    [
        "ROTTERDAM APPLIANCES BV",
        "Rotterdam  Appliances, B. V.",
        "ｒｏｔｔｅｒｄａｍ ａｐｐｌｉａｎｃｅｓ Ｂ．Ｖ．",
        "Rotterdam-Appliances",
    ],
)
def test_consignee_spelt_differently_is_the_same_consignee(manifest_name):
    assert rules.consignee_mismatch(bundle(manifest_lines=(manifest_line(consignee_name=manifest_name),))) == []


def test_consignee_needs_both_names():
    assert rules.consignee_mismatch(bundle(manifest_lines=(manifest_line(consignee_name=""),))) == []
    assert rules.consignee_mismatch(bundle(declaration(consignee_name=" "))) == []
    assert rules.consignee_mismatch(bundle(manifest_lines=())) == []


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Shenzhen Huaqiang Co., Ltd.", "shenzhen huaqiang"),
        ("SHENZHEN HUAQIANG COMPANY LIMITED", "shenzhen huaqiang"),
        ("Acme Inc.", "acme"),
        ("Acme Incorporated", "acme"),
        ("Acme Corp", "acme"),
        ("Acme Corporation", "acme"),
        ("Acme, LLC", "acme"),
        ("Acme PLC", "acme"),
        ("Müller Logistik GmbH", "müller logistik"),
        ("MÜLLER LOGISTIK GMBH", "müller logistik"),
        ("Straße AG", "strasse"),
        ("Nestlé S.A.", "nestlé"),
        ("Rossi S.r.l.", "rossi"),
        ("Rossi S.p.A.", "rossi"),
        ("Lion City Pte. Ltd.", "lion city"),
        ("Kangaroo Pty Ltd", "kangaroo"),
        ("Sakura K.K.", "sakura"),
        ("Van Dijk B.V.", "van dijk"),
        ("Van Dijk B V", "van dijk"),
        ("Van Dijk BV", "van dijk"),
        ("深圳市华强股份有限公司", "深圳市华强"),
        ("深圳市华强有限公司", "深圳市华强"),
        ("深圳市华强公司", "深圳市华强"),
        ("ＡＣＭＥ　ＬＴＤ", "acme"),
        ("  A.  B.  Trading   ", "a b trading"),
        ("", ""),
    ],
)
def test_party_names_are_normalised(name, normalised):
    assert rules.normalise_party_name(name) == normalised


def test_normalising_keeps_names_that_differ_different():
    assert rules.normalise_party_name("Acme Trading Ltd") != rules.normalise_party_name("Acme Shipping Ltd")
    assert rules.normalise_party_name("华强有限公司") != rules.normalise_party_name("华为有限公司")


# SEAL_MISMATCH ----------------------------------------------------------------------------


def test_seal_seen_by_a_terminal_differs_from_the_declared_seal():
    events = (
        event(1, CONTAINER_A, "gate_in", ORIGIN, 1, seal_number="SEAL-4383"),
        event(2, CONTAINER_A, "discharged", TRANSFER, 5, seal_number="SEAL-9999"),
        event(3, CONTAINER_A, "gate_out", TRANSFER, 6, seal_number="SEAL-9999"),
    )
    findings = rules.seal_mismatch(bundle(events=events))
    assert keys(findings) == [CONTAINER_A]
    assert findings[0].severity == Severity.HIGH
    assert "SEAL-4383" in findings[0].message and "SEAL-9999" in findings[0].message
    assert findings[0].evidence["event_ids"] == [2, 3]
    assert findings[0].evidence["seen_seals"] == ["SEAL-9999"]


def test_seal_compared_ignoring_case_and_spaces():
    events = (event(1, CONTAINER_A, "gate_in", ORIGIN, 1, seal_number=" seal - 4383 "),)
    assert rules.seal_mismatch(bundle(events=events)) == []


def test_seal_mismatch_needs_a_seen_and_a_declared_seal():
    assert rules.seal_mismatch(bundle(events=(event(1, CONTAINER_A, "gate_in", ORIGIN, 1),))) == []
    no_declared_seal = declaration(containers=(container(CONTAINER_A, seal_number=""),))
    events = (event(1, CONTAINER_A, "gate_in", ORIGIN, 1, seal_number="SEAL-9999"),)
    assert rules.seal_mismatch(bundle(no_declared_seal, events=events)) == []


# SEAL_BROKEN ------------------------------------------------------------------------------


LEG = (
    event(1, CONTAINER_A, "gate_in", ORIGIN, 0),
    event(2, CONTAINER_A, "loaded", ORIGIN, 1),
    event(3, CONTAINER_A, "discharged", TRANSFER, 5),
)


def test_seal_opened_between_origin_and_transfer_port():
    readings = (reading(10, CONTAINER_A, value="closed", hours=2), reading(11, CONTAINER_A, value="Opened", hours=3))
    findings = rules.seal_broken(bundle(events=LEG, readings=readings))
    assert keys(findings) == [CONTAINER_A]
    assert findings[0].severity == Severity.HIGH
    assert findings[0].evidence["reading_ids"] == [11]
    assert findings[0].evidence["loaded_event_id"] == 2 and findings[0].evidence["discharged_event_id"] == 3
    assert "Opened" in findings[0].message and ORIGIN in findings[0].message and TRANSFER in findings[0].message


@pytest.mark.parametrize("value", ["open", "OPENED", " broken ", "Tampered"])
def test_every_open_seal_value_counts(value):
    assert keys(rules.seal_broken(bundle(events=LEG, readings=(reading(10, value=value, hours=2),)))) == [CONTAINER_A]


@pytest.mark.parametrize("hours", [0.5, 1, 5, 6])
def test_seal_opened_outside_the_leg_is_not_broken_in_transit(hours):
    # before loading, at the loading instant, at the discharge instant, after discharge
    assert rules.seal_broken(bundle(events=LEG, readings=(reading(10, value="open", hours=hours),))) == []


def test_seal_opened_after_loading_of_a_container_not_yet_discharged():
    evidence = bundle(events=LEG[:2], readings=(reading(10, value="open", hours=100),))
    assert keys(rules.seal_broken(evidence)) == [CONTAINER_A]


def test_seal_status_closed_and_other_kinds_do_not_count():
    readings = (reading(10, value="closed", hours=2), reading(11, kind="position", value="open", hours=2))
    assert rules.seal_broken(bundle(events=LEG, readings=readings)) == []


def test_seal_broken_only_for_integrated_declarations():
    evidence = bundle(
        declaration(procedure="standard", transfer_port=None),
        events=LEG,
        readings=(reading(10, value="open", hours=2),),
    )
    assert rules.seal_broken(evidence) == []


def test_seal_broken_needs_a_loading_at_the_origin_port():
    events = (event(2, CONTAINER_A, "loaded", TRANSFER, 1),)
    assert rules.seal_broken(bundle(events=events, readings=(reading(10, value="open", hours=2),))) == []


# ROUTE_MISMATCH ---------------------------------------------------------------------------


def test_container_seen_at_a_port_off_the_route():
    events = (
        event(1, CONTAINER_A, "gate_in", ORIGIN, 0),
        event(2, CONTAINER_A, "discharged", "HKHKG", 3),
        event(3, CONTAINER_A, "loaded", "HKHKG", 4),
        event(4, CONTAINER_B, "discharged", "HKHKG", 3),
        event(5, CONTAINER_B, "discharged", "CNYTN", 6),
    )
    findings = rules.route_mismatch(bundle(events=events))
    assert keys(findings) == [f"{CONTAINER_A}@HKHKG", f"{CONTAINER_B}@CNYTN", f"{CONTAINER_B}@HKHKG"]
    assert {finding.severity for finding in findings} == {Severity.MEDIUM}
    assert findings[0].evidence["event_ids"] == [2, 3]
    assert "HKHKG" in findings[0].message and "CNSUD → CNSHK → NLRTM" in findings[0].message


def test_events_on_every_port_of_the_route_are_not_off_route():
    events = (
        event(1, CONTAINER_A, "loaded", ORIGIN.lower(), 0),
        event(2, CONTAINER_A, "discharged", TRANSFER, 3),
        event(3, CONTAINER_A, "arrived", FOREIGN, 300),
        event(4, CONTAINER_A, "weighed", "", 1, weight=Decimal("6000")),  # port unknown: no evidence
    )
    assert rules.route_mismatch(bundle(events=events)) == []


def test_route_of_a_standard_declaration_has_no_transfer_port():
    evidence = bundle(
        declaration(procedure="standard", transfer_port=None), events=(event(1, CONTAINER_A, "gate_in", TRANSFER, 0),)
    )
    assert keys(rules.route_mismatch(evidence)) == [f"{CONTAINER_A}@{TRANSFER}"]


def test_route_mismatch_needs_events():
    assert rules.route_mismatch(bundle(events=())) == []


# LOADED_BEFORE_RELEASE --------------------------------------------------------------------


def test_export_loaded_before_it_is_released():
    findings = rules.loaded_before_release(bundle(events=(event(1, CONTAINER_A, "loaded", ORIGIN, 1),)))
    assert keys(findings) == [CONTAINER_A]
    assert findings[0].severity == Severity.HIGH
    assert findings[0].evidence == {"container": CONTAINER_A, "event_ids": [1], "released_at": None}
    assert "not been released" in findings[0].message


def test_export_loaded_at_the_transfer_port_before_the_release_time():
    evidence = bundle(declaration(released_at=at(5)), events=(event(1, CONTAINER_B, "loaded", TRANSFER, 4.99),))
    findings = rules.loaded_before_release(evidence)
    assert keys(findings) == [CONTAINER_B]
    assert findings[0].evidence["released_at"] == at(5).isoformat()


def test_loading_at_or_after_the_release_is_fine():
    released = declaration(released_at=at(5))
    events = (event(1, CONTAINER_A, "loaded", ORIGIN, 5), event(2, CONTAINER_B, "loaded", TRANSFER, 6))
    assert rules.loaded_before_release(bundle(released, events=events)) == []


def test_loading_at_the_foreign_port_and_other_events_do_not_count():
    events = (event(1, CONTAINER_A, "loaded", FOREIGN, 1), event(2, CONTAINER_A, "gate_in", ORIGIN, 1))
    assert rules.loaded_before_release(bundle(events=events)) == []


def test_imports_are_not_checked_for_loading_before_release():
    evidence = bundle(declaration(direction="import"), events=(event(1, CONTAINER_A, "loaded", ORIGIN, 1),))
    assert rules.loaded_before_release(evidence) == []


def test_loaded_before_release_needs_a_loading_event():
    assert rules.loaded_before_release(bundle(events=())) == []


# TEMPERATURE_EXCURSION --------------------------------------------------------------------


def reefer_bundle(*values: str, **container_overrides) -> object:
    readings = tuple(
        reading(20 + index, REEFER, kind="temperature", value=value, hours=index, device="TEMP-1")
        for index, value in enumerate(values)
    )
    return bundle(
        declaration(containers=(reefer(**container_overrides),)),
        manifest_lines=(manifest_line(containers=(REEFER,)),),
        readings=readings,
    )


@pytest.mark.parametrize(
    ("value", "severity"),
    [
        ("-16.9", Severity.MEDIUM),  # 1.1 °C above the maximum
        ("-16", Severity.MEDIUM),  # exactly twice the tolerance: still medium
        ("-15.9", Severity.HIGH),  # beyond twice the tolerance
        ("-21.01", Severity.MEDIUM),
        ("-22.5", Severity.HIGH),
    ],
)
def test_reefer_reading_outside_the_declared_range(value, severity):
    findings = rules.temperature_excursion(reefer_bundle("-19", value))
    assert keys(findings) == [REEFER]
    assert findings[0].severity == severity
    assert findings[0].evidence["reading_ids"] == [21]
    assert "-20 °C to -18 °C" in findings[0].message and "tolerance 1 °C" in findings[0].message


def test_the_worst_reading_sets_the_severity():
    findings = rules.temperature_excursion(reefer_bundle("-16.5", "-10", "-19"))
    assert findings[0].severity == Severity.HIGH
    assert findings[0].evidence["reading_ids"] == [20, 21]
    assert findings[0].evidence["highest"] == "-10"


@pytest.mark.parametrize("value", ["-17", "-21", "-17.0", " -19.5 "])
def test_reefer_reading_within_the_tolerance(value):
    assert rules.temperature_excursion(reefer_bundle(value)) == []


def test_unreadable_temperatures_are_ignored():
    assert rules.temperature_excursion(reefer_bundle("n/a", "", "NaN", "Infinity", "-18,5")) == []


def test_temperature_needs_a_reefer_with_a_declared_range_and_readings():
    assert rules.temperature_excursion(reefer_bundle("5", size_type="45G1")) == []
    assert rules.temperature_excursion(reefer_bundle("5", temperature_max=None)) == []
    assert rules.temperature_excursion(reefer_bundle()) == []


# SENSITIVE_GOODS --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "severity"),
    [
        ("quarantine", Severity.INFO),
        ("cites", Severity.MEDIUM),
        ("dual_use", Severity.HIGH),
        ("hazardous", Severity.HIGH),
    ],
)
def test_sensitive_goods_by_reason(reason, severity):
    items = (item(line=1), item(line=2, hs_code="9301900000", sensitive_reason=reason, sensitive_note="Licence 12"))
    findings = rules.sensitive_goods(bundle(declaration(items=items)))
    assert keys(findings) == ["item 2"]
    assert findings[0].severity == severity
    assert "Item 2" in findings[0].message and "9301900000" in findings[0].message
    assert findings[0].message.endswith("Licence 12")
    assert findings[0].evidence == {"line": 2, "hs_code": "9301900000", "reason": reason, "note": "Licence 12"}


def test_goods_without_a_sensitive_reason_are_not_sensitive():
    assert rules.sensitive_goods(bundle()) == []


def test_declaration_without_items_has_no_sensitive_goods():
    assert rules.sensitive_goods(bundle(declaration(items=()))) == []


# VALUE_ANOMALY ----------------------------------------------------------------------------


def priced(**overrides):
    values = {
        "unit_value_min": Decimal("3"),
        "unit_value_max": Decimal("10"),
        "value_unit": "USD/kg",
        "net_mass": Decimal("5000"),
        "quantity": Decimal("500"),
    }
    values.update(overrides)
    return bundle(declaration(items=(item(line=1, **values),)))


@pytest.mark.parametrize(("value", "direction"), [("4999", "below"), ("150001", "above")])
def test_unit_value_per_kg_far_outside_the_reference_range(value, direction):
    findings = rules.value_anomaly(priced(value=Decimal(value)))
    assert keys(findings) == ["item 1"]
    assert findings[0].severity == Severity.MEDIUM
    assert direction in findings[0].message and "USD/kg" in findings[0].message
    assert findings[0].evidence["per"] == "5000"


@pytest.mark.parametrize("value", ["5000", "150000"])
def test_unit_value_exactly_at_the_factor_is_not_an_anomaly(value):
    # 5,000 USD / 5,000 kg = 1 = 3 ÷ 3; 150,000 USD / 5,000 kg = 30 = 10 × 3
    assert rules.value_anomaly(priced(value=Decimal(value))) == []


@pytest.mark.parametrize("unit", ["USD/unit", "USD/pair"])
def test_unit_value_per_unit_or_pair_divides_by_quantity(unit):
    # 500 units: 15,000 USD is 30 per unit (fine); 15,001 USD is above 10 × 3.
    assert rules.value_anomaly(priced(value_unit=unit, value=Decimal("15000"))) == []
    findings = rules.value_anomaly(priced(value_unit=unit, value=Decimal("15001")))
    assert keys(findings) == ["item 1"]
    assert findings[0].evidence["per"] == "500"


def test_one_sided_reference_range():
    assert keys(rules.value_anomaly(priced(unit_value_max=None, value=Decimal("4999")))) == ["item 1"]
    assert rules.value_anomaly(priced(unit_value_max=None, value=Decimal("9999999"))) == []


def test_value_anomaly_factor_comes_from_the_bundle():
    evidence = replace(priced(value=Decimal("4999")), tolerances=Tolerances(value_anomaly_factor=Decimal("4")))
    assert rules.value_anomaly(evidence) == []


def test_value_anomaly_needs_usd_a_reference_range_and_a_quantity():
    assert rules.value_anomaly(with_declaration(priced(value=Decimal("1")), invoice_currency="EUR")) == []
    assert rules.value_anomaly(priced(value=Decimal("1"), unit_value_min=None, unit_value_max=None)) == []
    assert rules.value_anomaly(priced(value=Decimal("1"), value_unit="")) == []
    assert rules.value_anomaly(priced(value=Decimal("1"), net_mass=Decimal("0"))) == []


def test_lower_case_usd_is_usd():
    assert keys(rules.value_anomaly(with_declaration(priced(value=Decimal("1")), invoice_currency="usd"))) == ["item 1"]


# MANIFEST_WRITE_OFF_EXCEEDED --------------------------------------------------------------


def test_packages_declared_across_the_document_exceed_the_manifest():
    evidence = bundle(manifest_lines=(manifest_line(packages=139, gross_mass=Decimal("16000")),), siblings=(sibling(),))
    findings = rules.manifest_write_off_exceeded(evidence)
    assert codes(findings) == [WarningCode.MANIFEST_WRITE_OFF_EXCEEDED]
    assert findings[0].severity == Severity.HIGH
    assert "140 packages against 139 manifested" in findings[0].message
    assert "HSW-2025-000001" in findings[0].message and "HSW-2025-000002" in findings[0].message
    assert "kg" not in findings[0].message


def test_gross_mass_declared_across_the_document_exceeds_the_manifest_beyond_the_tolerance():
    evidence = bundle(manifest_lines=(manifest_line(packages=140, gross_mass=Decimal("15000")),), siblings=(sibling(),))
    findings = rules.manifest_write_off_exceeded(evidence)
    assert "16,000 kg against 15,000 kg manifested (tolerance 5 %)" in findings[0].message
    assert findings[0].evidence["declared_gross_mass"] == "16000"


def test_write_off_exactly_at_the_manifest_figures_is_not_exceeded():
    # 140 packages exactly; 16,000 kg declared against 15,238.10 kg is 4.99 % over; 15,238.0952… is 5 %.
    evidence = bundle(
        manifest_lines=(manifest_line(packages=140, gross_mass=Decimal("15238.10")),), siblings=(sibling(),)
    )
    assert rules.manifest_write_off_exceeded(evidence) == []
    at_tolerance = bundle(
        declaration(total_gross_mass=Decimal("6500")),
        manifest_lines=(manifest_line(packages=140, gross_mass=Decimal("10000")),),
        siblings=(sibling(),),
    )  # 6,500 + 4,000 = 10,500: exactly 5 %
    assert rules.manifest_write_off_exceeded(at_tolerance) == []


def test_declaring_less_than_the_manifest_is_not_a_write_off_problem():
    evidence = bundle(manifest_lines=(manifest_line(packages=500, gross_mass=Decimal("90000")),))
    assert rules.manifest_write_off_exceeded(evidence) == []


def test_write_off_needs_a_manifest():
    assert rules.manifest_write_off_exceeded(bundle(manifest_lines=())) == []


# All together -----------------------------------------------------------------------------


def everything_wrong():
    """One integrated export that trips every rule."""
    declared = declaration(
        total_gross_mass=Decimal("3600"),
        total_packages=100,
        items=(
            item(line=1, sensitive_reason="dual_use"),
            item(
                line=2,
                unit_value_min=Decimal("3"),
                unit_value_max=Decimal("10"),
                value_unit="USD/kg",
                value=Decimal("1"),
            ),
        ),
        containers=(container(CONTAINER_A), container(CONTAINER_B), reefer()),
    )
    lines = (
        manifest_line(
            containers=(CONTAINER_A, REEFER, CONTAINER_C),
            packages=90,
            gross_mass=Decimal("3000"),
            consignee_name="Someone Else Ltd",
        ),
    )
    events = (
        event(1, CONTAINER_A, "loaded", ORIGIN, 1, seal_number="OTHER-1"),
        event(2, CONTAINER_A, "discharged", "HKHKG", 5),
        weighed(3, CONTAINER_A, "1000"),
        weighed(4, CONTAINER_B, "1000"),
        weighed(5, REEFER, "1000"),
    )
    readings = (reading(10, CONTAINER_A, value="open", hours=2), reading(11, REEFER, "temperature", "-5", 2))
    return bundle(declared, manifest_lines=lines, events=events, readings=readings)


def test_every_rule_can_fire_at_once_with_serialisable_evidence():
    findings = rules.findings_for(everything_wrong())
    assert set(codes(findings)) == set(WarningCode.values) - {WarningCode.MANIFEST_MISSING}
    for finding in findings:
        assert json.loads(json.dumps(finding.evidence)) == finding.evidence
        assert finding.message and len(finding.message) <= 500
        assert finding.severity in Severity.values
    assert len({(finding.code, finding.key) for finding in findings}) == len(findings)


def test_findings_are_in_design_order():
    order = list(WarningCode.values)
    positions = [order.index(finding.code) for finding in rules.findings_for(everything_wrong())]
    assert positions == sorted(positions)


def test_findings_for_drops_a_second_finding_of_the_same_code_and_key(monkeypatch):
    def twice(bundle):
        return [
            Finding(WarningCode.SEAL_MISMATCH, Severity.HIGH, "first", key=CONTAINER_A),
            Finding(WarningCode.SEAL_MISMATCH, Severity.HIGH, "second", key=CONTAINER_A),
            Finding(WarningCode.SEAL_MISMATCH, Severity.HIGH, "other container", key=CONTAINER_B),
        ]

    def again(bundle):
        return [
            Finding(WarningCode.SEAL_MISMATCH, Severity.HIGH, "third", key=CONTAINER_A),
            Finding(WarningCode.SEAL_BROKEN, Severity.HIGH, "other code", key=CONTAINER_A),
        ]

    monkeypatch.setattr(rules, "ALL_RULES", [twice, again])
    findings = rules.findings_for(bundle())
    assert [finding.message for finding in findings] == ["first", "other container", "other code"]


def test_long_messages_are_cut_to_what_a_warning_can_store():
    name = "Very Long Consignee Name " * 40
    findings = rules.consignee_mismatch(bundle(manifest_lines=(manifest_line(consignee_name=name),)))
    assert len(findings[0].message) == 500 and findings[0].message.endswith("…")


def test_a_container_declared_twice_is_reported_once():
    twice = declaration(containers=(container(CONTAINER_A), container("csqu 305438-3")))
    events = (
        event(1, CONTAINER_A, "gate_in", ORIGIN, 1, seal_number="SEAL-9999"),
        event(2, CONTAINER_A, "loaded", ORIGIN, 1),
    )
    evidence = bundle(
        twice,
        manifest_lines=(manifest_line(containers=(CONTAINER_B,)),),
        events=events,
        readings=(reading(10, value="open", hours=2),),
    )
    for rule in (rules.container_not_on_manifest, rules.seal_mismatch, rules.seal_broken, rules.loaded_before_release):
        assert keys(rule(evidence)) == [CONTAINER_A], rule.__name__


def test_messages_show_times_in_the_ports_local_time():
    evidence = bundle(declaration(released_at=at(5)), events=(event(1, CONTAINER_B, "loaded", TRANSFER, 1),))
    message = rules.loaded_before_release(evidence)[0].message
    assert "loaded at CNSHK at 2025-03-01 17:00 CST, before the release at 2025-03-01 21:00 CST" in message


def test_temperature_message_of_a_single_reading():
    message = rules.temperature_excursion(reefer_bundle("-19", "-12.5"))[0].message
    assert message.startswith("Reefer CAIU1002000 read -12.5 °C at 2025-03-01 17:00 CST, outside the declared")


def test_value_anomaly_message_shows_the_limit_and_small_unit_values():
    message = rules.value_anomaly(priced(value=Decimal("1")))[0].message
    assert "declared at 0.0002 USD/kg, below 1 USD/kg (reference range 3–10 USD/kg ÷ 3)" in message


def test_write_off_message_of_a_declaration_alone_on_its_document():
    message = rules.manifest_write_off_exceeded(bundle(manifest_lines=(manifest_line(packages=90),)))[0].message
    assert message.startswith("This declaration declares 100 packages against 90 manifested for transport document")
