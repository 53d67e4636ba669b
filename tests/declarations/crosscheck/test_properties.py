"""Properties of the rules and the lane over generated evidence."""

import json
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from declarations.choices import SEAL_OPEN_VALUES, ContainerEventType, Lane, SensorKind, Severity, WarningCode
from declarations.crosscheck import rules
from declarations.crosscheck.evidence import (
    ContainerEventFacts,
    ContainerFacts,
    EvidenceBundle,
    Finding,
    ItemFacts,
    ManifestLineFacts,
    SensorReadingFacts,
    SiblingFacts,
    Tolerances,
)
from declarations.crosscheck.risk import LANE_ORDER, PortSettingsFacts, RiskRuleFacts, risk_assessment

from .builders import (
    CONTAINER_A,
    CONTAINER_B,
    CONTAINER_C,
    FOREIGN,
    ORIGIN,
    REEFER,
    TRANSFER,
    at,
    bundle,
    container,
    declaration,
    event,
    reading,
    reefer,
)

# Small pools so that generated records collide on containers, ports and times.
CONTAINERS = [CONTAINER_A, CONTAINER_B, CONTAINER_C, REEFER, "csqu 305438-3"]
PORTS = [ORIGIN, TRANSFER, FOREIGN, "HKHKG", ""]
SEALS = ["SEAL-4383", "seal 4383", "SEAL-9999", ""]
masses = st.decimals(min_value=0, max_value=30000, places=2)
hours = st.integers(min_value=0, max_value=12)

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, database=None)


@st.composite
def container_facts(draw) -> ContainerFacts:
    number = draw(st.sampled_from(CONTAINERS))
    reefer = draw(st.booleans())
    return ContainerFacts(
        number=number,
        size_type="45R1" if reefer else "45G1",
        seal_number=draw(st.sampled_from(SEALS)),
        temperature_min=Decimal("-20") if reefer else None,
        temperature_max=Decimal("-18") if reefer else None,
    )


@st.composite
def item_facts(draw, line: int) -> ItemFacts:
    return ItemFacts(
        line=line,
        hs_code=draw(st.sampled_from(["8516500000", "9301900000", "0301110000"])),
        description="goods",
        origin_country=draw(st.sampled_from(["CN", "VN"])),
        quantity=draw(st.decimals(0, 1000, places=0)),
        unit="PCE",
        packages=draw(st.integers(0, 100)),
        gross_mass=draw(masses),
        net_mass=draw(masses),
        value=draw(st.decimals(0, 100000, places=2)),
        sensitive_reason=draw(st.sampled_from(["", "dual_use", "cites", "hazardous", "quarantine"])),
        unit_value_min=draw(st.sampled_from([None, Decimal("3")])),
        unit_value_max=draw(st.sampled_from([None, Decimal("10")])),
        value_unit=draw(st.sampled_from(["", "USD/kg", "USD/unit", "USD/pair"])),
    )


@st.composite
def bundles(draw) -> EvidenceBundle:
    containers = tuple(draw(st.lists(container_facts(), max_size=4)))
    items = tuple(draw(item_facts(line)) for line in range(1, draw(st.integers(0, 3)) + 1))
    integrated = draw(st.booleans())
    facts = declaration(
        procedure="integrated" if integrated else "standard",
        transfer_port=TRANSFER if integrated else None,
        direction=draw(st.sampled_from(["export", "import"])),
        invoice_currency=draw(st.sampled_from(["USD", "EUR"])),
        consignee_name=draw(st.sampled_from(["Rotterdam Appliances B.V.", "Other Ltd", ""])),
        total_packages=draw(st.integers(0, 300)),
        total_gross_mass=draw(masses),
        released_at=draw(st.one_of(st.none(), hours.map(at))),
        items=items,
        containers=containers,
    )
    lines = tuple(
        ManifestLineFacts(
            manifest_id=1,
            line_id=100 + index,
            carrier="C",
            vessel="V",
            voyage="1",
            port_of_loading=ORIGIN,
            port_of_discharge=TRANSFER,
            transport_document_number=facts.transport_document_number,
            consignee_name=draw(st.sampled_from(["ROTTERDAM APPLIANCES BV", "Someone Else", ""])),
            packages=draw(st.integers(0, 300)),
            gross_mass=draw(masses),
            containers=tuple(draw(st.lists(st.sampled_from(CONTAINERS), max_size=4))),
        )
        for index in range(draw(st.integers(0, 3)))
    )
    events = tuple(
        ContainerEventFacts(
            id=index,
            container_number=draw(st.sampled_from(CONTAINERS)),
            event_type=draw(st.sampled_from(ContainerEventType.values)),
            port=draw(st.sampled_from(PORTS)),
            occurred_at=at(draw(hours)),
            seal_number=draw(st.sampled_from(SEALS)),
            weight=draw(st.one_of(st.none(), masses)),
        )
        for index in range(draw(st.integers(0, 8)))
    )
    readings = tuple(
        SensorReadingFacts(
            id=index,
            container_number=draw(st.sampled_from(CONTAINERS)),
            device="D",
            kind=draw(st.sampled_from(SensorKind.values)),
            value=draw(st.sampled_from([*SEAL_OPEN_VALUES, "closed", "-19", "-10", "-25", "x"])),
            read_at=at(draw(hours)),
        )
        for index in range(draw(st.integers(0, 8)))
    )
    siblings = tuple(
        SiblingFacts(
            id=10 + index,
            reference=f"HSW-S{index}",
            total_packages=draw(st.integers(0, 100)),
            total_gross_mass=draw(masses),
            container_numbers=frozenset(draw(st.lists(st.sampled_from(CONTAINERS), max_size=2))),
        )
        for index in range(draw(st.integers(0, 2)))
    )
    tolerances = Tolerances(
        gross_mass_percent=draw(st.decimals(0, 20, places=1)),
        temperature=draw(st.decimals(0, 3, places=1)),
        value_anomaly_factor=draw(st.decimals(1, 5, places=1)),
    )
    return EvidenceBundle(
        declaration=facts,
        manifest_lines=lines,
        events=events,
        readings=readings,
        siblings=siblings,
        tolerances=tolerances,
    )


@st.composite
def sensor_readings(draw) -> SensorReadingFacts:
    return SensorReadingFacts(
        id=1000,
        container_number=draw(st.sampled_from(CONTAINERS)),
        device="D",
        kind=draw(st.sampled_from(SensorKind.values)),
        value=draw(st.sampled_from([*SEAL_OPEN_VALUES, " OPEN ", "closed", "sealed", "-19", "-10", "-25", "x"])),
        read_at=at(draw(hours)),
    )


@PROPERTY_SETTINGS
@given(bundles(), sensor_readings())
def test_a_reading_that_does_not_matter_changes_no_finding(bundle, new):
    """Ingest re-verifies only for readings where ``rules.reading_matters`` (and, for a temperature, where the
    container was declared with a range): any other reading must leave every rule's findings as they were."""
    ranged = {
        rules.normalise_container(container.number)
        for container in bundle.declaration.containers
        if container.temperature_min is not None and container.temperature_max is not None
    }
    matters = rules.reading_matters(new.kind, new.value) and (
        new.kind != SensorKind.TEMPERATURE or rules.normalise_container(new.container_number) in ranged
    )
    if not matters:
        assert rules.findings_for(replace(bundle, readings=(*bundle.readings, new))) == rules.findings_for(bundle)


def test_a_seal_reported_open_and_a_reefer_out_of_range_matter():
    """The other side of the property above: these readings change findings, so ingest must re-verify."""
    loaded = bundle(
        declaration(containers=(container(CONTAINER_A), reefer())),
        events=(event(1, CONTAINER_A, "loaded", ORIGIN, 1), event(2, REEFER, "loaded", ORIGIN, 1)),
    )
    for new in (reading(10, CONTAINER_A, "seal_status", " Broken ", hours=2), reading(11, REEFER, "temperature", "-5")):
        assert rules.findings_for(replace(loaded, readings=(new,))) != rules.findings_for(loaded)
        assert rules.reading_matters(new.kind, new.value)


@st.composite
def container_events(draw) -> ContainerEventFacts:
    return ContainerEventFacts(
        id=1000,
        container_number=draw(st.sampled_from(CONTAINERS)),
        event_type=draw(st.sampled_from(ContainerEventType.values)),
        port=draw(st.sampled_from([*PORTS, " cnsud "])),
        occurred_at=at(draw(hours)),
        seal_number=draw(st.sampled_from([*SEALS, " "])),
        weight=draw(st.one_of(st.none(), masses)),
    )


@PROPERTY_SETTINGS
@given(bundles(), container_events())
def test_an_event_that_does_not_matter_changes_no_finding(bundle, new):
    """Ingest re-verifies only for events where ``rules.event_matters``, and for any other event only the
    declarations whose route does not pass its port: any other event must leave every finding as it was."""
    route = {rules.normalise_port(port) for port in bundle.declaration.route_ports}
    port = rules.normalise_port(new.port)
    if not rules.event_matters(new.event_type, new.seal_number) and (not port or port in route):
        assert rules.findings_for(replace(bundle, events=(*bundle.events, new))) == rules.findings_for(bundle)


def test_the_events_a_rule_reads_matter():
    """The other side of the property above: each of these events changes a finding, so ingest must re-verify."""
    sealed = declaration(containers=(container(CONTAINER_A, seal_number="SEAL-4383"),), released_at=at(5))
    opened = reading(10, CONTAINER_A, "seal_status", "broken", hours=3)
    loaded = (event(1, CONTAINER_A, "loaded", ORIGIN, 1),)
    cases = [
        (bundle(sealed), event(2, CONTAINER_A, "weighed", ORIGIN, 1, weight=Decimal("25000"))),  # mass
        (bundle(sealed), event(2, CONTAINER_A, "loaded", ORIGIN, 1)),  # loaded before release
        (bundle(sealed, events=loaded, readings=(opened,)), event(2, CONTAINER_A, "discharged", TRANSFER, 2)),
        (bundle(sealed), event(2, CONTAINER_A, "gate_in", ORIGIN, 1, seal_number="SEAL-9999")),  # another seal
        (bundle(sealed), event(2, CONTAINER_A, "gate_in", "HKHKG", 1)),  # off the route
    ]
    for before, new in cases:
        after = replace(before, events=(*before.events, new))
        assert rules.findings_for(after) != rules.findings_for(before), new
        assert rules.event_matters(new.event_type, new.seal_number) or new.port not in before.declaration.route_ports


@PROPERTY_SETTINGS
@given(bundles())
def test_findings_for_never_repeats_a_code_and_key(bundle):
    findings = rules.findings_for(bundle)
    identities = [(finding.code, finding.key) for finding in findings]
    assert len(identities) == len(set(identities))
    for finding in findings:
        assert finding.code in WarningCode.values
        assert finding.severity in Severity.values
        assert 0 < len(finding.message) <= rules.MESSAGE_MAX_LENGTH
        assert json.loads(json.dumps(finding.evidence)) == finding.evidence


@PROPERTY_SETTINGS
@given(bundles())
def test_each_rule_alone_never_repeats_a_key_either(bundle):
    # The loader may store a rule's output without findings_for; keys must already be unique.
    for rule in rules.ALL_RULES:
        found = [finding.key for finding in rule(bundle)]
        assert len(found) == len(set(found)), rule.__name__


@PROPERTY_SETTINGS
@given(bundles())
def test_manifest_missing_exactly_when_there_is_no_manifest_line(bundle):
    raised = WarningCode.MANIFEST_MISSING in [finding.code for finding in rules.findings_for(bundle)]
    assert raised == (not bundle.manifest_lines)


@PROPERTY_SETTINGS
@given(bundles())
def test_verifying_twice_gives_the_same_findings(bundle):
    assert rules.findings_for(bundle) == rules.findings_for(replace(bundle))


severities = st.sampled_from(Severity.values)
risk_rules = st.builds(
    RiskRuleFacts,
    id=st.integers(1, 100),
    name=st.sampled_from(["a", "b", "c"]),
    port=st.sampled_from(["", ORIGIN, TRANSFER]),
    hs_prefix=st.sampled_from(["", "85", "93"]),
    origin_country=st.sampled_from(["", "CN", "VN"]),
    trader_id=st.sampled_from([None, 7, 8]),
    route_port=st.sampled_from(["", FOREIGN, "HKHKG"]),
    min_value=st.one_of(st.none(), st.decimals(0, 100000, places=2)),
    score=st.integers(0, 60),
    forced_lane=st.sampled_from(["", *Lane.values]),
    active=st.booleans(),
)


@st.composite
def port_settings(draw) -> PortSettingsFacts:
    yellow = draw(st.integers(0, 100))
    return PortSettingsFacts(
        random_selection_percent=draw(st.decimals(0, 100, places=2)),
        yellow_score=yellow,
        red_score=draw(st.integers(yellow, 150)),
    )


@PROPERTY_SETTINGS
@given(
    bundle=bundles(),
    severity_list=st.lists(severities, max_size=6),
    rule_list=st.lists(risk_rules, max_size=4),
    settings_facts=port_settings(),
    draw=st.decimals(0, Decimal("99.99"), places=2),
)
def test_adding_a_high_finding_never_lowers_the_lane(bundle, severity_list, rule_list, settings_facts, draw):
    findings = [
        Finding(WarningCode.SEAL_MISMATCH, severity, "m", key=str(index))
        for index, severity in enumerate(severity_list)
    ]
    before = risk_assessment(bundle, findings, rule_list, settings_facts, selection_draw=draw)
    worse = [*findings, Finding(WarningCode.SEAL_BROKEN, Severity.HIGH, "seal open", key="x")]
    after = risk_assessment(bundle, worse, rule_list, settings_facts, selection_draw=draw)
    assert LANE_ORDER[after.lane] >= LANE_ORDER[before.lane]
    assert after.score == before.score + 40


@PROPERTY_SETTINGS
@given(
    bundle=bundles(),
    rule_list=st.lists(risk_rules, max_size=4),
    settings_facts=port_settings(),
    draw=st.decimals(0, Decimal("99.99"), places=2),
)
def test_the_same_draw_gives_the_same_lane(bundle, rule_list, settings_facts, draw):
    findings = rules.findings_for(bundle)
    first = risk_assessment(bundle, findings, rule_list, settings_facts, selection_draw=draw)
    again = risk_assessment(bundle, findings, rule_list, settings_facts, selection_draw=draw)
    assert first == again
    assert first.lane in Lane.values
