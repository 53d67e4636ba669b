"""The cross-verification rules of DESIGN §5: one pure function per warning code.

Each rule takes an :class:`EvidenceBundle` and returns the findings it raises, never
touching the database. A rule that lacks the evidence it needs raises nothing (a missing
manifest is reported once, by ``manifest_missing``); a rule that can apply to several
subjects (containers, item lines) gives each finding a ``key`` naming its subject, so
``findings_for`` can drop duplicates by ``(code, key)``.

Conventions shared by every rule:

- the bundle's ``manifest_lines`` are trusted to be the lines of the declaration's
  transport document, and its ``events`` and ``readings`` those of the declared
  containers (the loader selects them);
- container numbers and port codes are compared upper-case without spaces or hyphens;
- "exactly at the tolerance" is never a mismatch: only a difference strictly beyond it is;
- evidence dicts are JSON-serialisable: Decimals and times as strings, record ids as
  integers.
"""

import functools
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from portal.models import PORTS_TIME_ZONE

from ..choices import SEAL_OPEN_VALUES, ContainerEventType, Direction, Procedure, SensorKind, Severity, WarningCode
from ..validators import normalise_container_number
from .evidence import ContainerEventFacts, ContainerFacts, EvidenceBundle, Finding, SensorReadingFacts

MESSAGE_MAX_LENGTH = 500  # VerificationWarning.message
HUNDRED = Decimal(100)

# ---------------------------------------------------------------------------------------
# Small helpers: normalising identifiers and writing numbers the way people read them
# ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def normalise_container(number: str) -> str:
    """``"csqu 305438-3"`` → ``"CSQU3054383"``: how container numbers are compared (kept per process:
    the rules compare every container of a bundle with every event's and reading's)."""
    return normalise_container_number(number)


def normalise_port(locode: str | None) -> str:
    return "".join((locode or "").split()).upper()


def normalise_seal(seal: str) -> str:
    """Seal numbers compare case-insensitively, ignoring spaces."""
    return "".join(seal.split()).casefold()


# Legal-form words dropped from party names before they are compared. Latin forms are
# whole words (a run of single letters such as "b v" from "B.V." counts as the word "bv");
# the Chinese forms are removed wherever they occur, as Chinese names have no spaces.
LEGAL_FORM_WORDS = frozenset(
    {
        "co",
        "company",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "llc",
        "plc",
        "bv",
        "gmbh",
        "ag",
        "sa",
        "srl",
        "spa",
        "pte",
        "pty",
        "kk",
    }
)
LEGAL_FORM_CJK = ("股份有限公司", "有限公司", "公司")  # longest first


def seal_reported_open(value: str) -> bool:
    """Whether a ``seal_status`` reading says the seal is open (one of SEAL_OPEN_VALUES, case-insensitive)."""
    return value.strip().casefold() in SEAL_OPEN_VALUES


def normalise_party_name(name: str) -> str:
    """A party name reduced to what identifies the party, for comparing two spellings.

    NFKC (full-width letters and digits become ASCII), case-folded, punctuation and symbols
    become spaces, legal-form words are dropped, and runs of white space collapse to one
    space. ``"Shenzhen Huaqiang Co., Ltd."`` and ``"SHENZHEN HUAQIANG COMPANY LIMITED"``
    both become ``"shenzhen huaqiang"``; ``"华强股份有限公司"`` becomes ``"华强"``.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = "".join(" " if unicodedata.category(char)[0] in "PSZC" else char for char in text)
    for form in LEGAL_FORM_CJK:
        text = text.replace(form, " ")
    words = text.split()
    kept: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if len(word) == 1 and word.isascii():
            # A run of single letters, e.g. "b v" from "B.V.": dropped when it spells a legal form.
            end = index
            while end < len(words) and len(words[end]) == 1 and words[end].isascii():
                end += 1
            run = words[index:end]
            if "".join(run) not in LEGAL_FORM_WORDS:
                kept.extend(run)
            index = end
            continue
        if word not in LEGAL_FORM_WORDS:
            kept.append(word)
        index += 1
    return " ".join(kept)


def _number(value: Decimal | int) -> str:
    """``Decimal("3600.500")`` → ``"3,600.5"``; integers without decimals."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def _percent(value: Decimal) -> str:
    """A percentage to one decimal place: ``"13.9"``."""
    return _number(value.quantize(Decimal("0.1")))


def _text(value: Decimal | int) -> str:
    """A number for the evidence dict: exact, as a string."""
    return str(value)


def _time(value: datetime | None) -> str | None:
    """A time for the evidence dict: ISO 8601, as recorded."""
    return value.isoformat() if value is not None else None


def _local_time(value: datetime) -> str:
    """A time for a message, in the ports' local time: ``"2025-03-01 17:00 CST"``."""
    return value.astimezone(PORTS_TIME_ZONE).strftime("%Y-%m-%d %H:%M %Z")


def _unit_value(value: Decimal) -> str:
    """A unit value for a message: cents, or four decimals below one cent."""
    places = Decimal("0.01") if abs(value) >= Decimal("0.01") or value == 0 else Decimal("0.0001")
    return _number(value.quantize(places))


def _difference_percent(declared: Decimal, reference: Decimal) -> Decimal:
    """How far ``declared`` is from ``reference``, in percent of ``reference`` (> 0)."""
    return abs(declared - reference) * HUNDRED / reference


def _finding(code: str, severity: str, message: str, *, key: str = "", evidence: dict | None = None) -> Finding:
    if len(message) > MESSAGE_MAX_LENGTH:
        message = message[: MESSAGE_MAX_LENGTH - 1] + "…"
    return Finding(code=code, severity=severity, message=message, key=key, evidence=evidence or {})


def _events_of(bundle: EvidenceBundle, number: str) -> list[ContainerEventFacts]:
    """The events of one container, oldest first (ties by id)."""
    wanted = normalise_container(number)
    return sorted(
        (event for event in bundle.events if normalise_container(event.container_number) == wanted),
        key=lambda event: (event.occurred_at, event.id),
    )


def _readings_of(bundle: EvidenceBundle, number: str, kind: str) -> list[SensorReadingFacts]:
    """The readings of one kind from one container, oldest first (ties by id)."""
    wanted = normalise_container(number)
    return sorted(
        (
            reading
            for reading in bundle.readings
            if reading.kind == kind and normalise_container(reading.container_number) == wanted
        ),
        key=lambda reading: (reading.read_at, reading.id),
    )


def _declared_containers(bundle: EvidenceBundle) -> list[ContainerFacts]:
    """The declared containers by number, each once (the first if one is declared twice)."""
    unique: dict[str, ContainerFacts] = {}
    for container in bundle.declaration.containers:
        unique.setdefault(normalise_container(container.number), container)
    return [unique[number] for number in sorted(unique)]


def _manifested_containers(bundle: EvidenceBundle) -> dict[str, list[int]]:
    """Every container on the manifest lines → the ids of the lines that list it."""
    lines_by_container: dict[str, list[int]] = {}
    for line in bundle.manifest_lines:
        for number in line.containers:
            lines_by_container.setdefault(normalise_container(number), []).append(line.line_id)
    return lines_by_container


def _line_ids(bundle: EvidenceBundle) -> list[int]:
    return [line.line_id for line in bundle.manifest_lines]


def _joined(values: Iterable[str], limit: int = 5) -> str:
    values = list(values)
    if len(values) > limit:
        return ", ".join(values[:limit]) + _(" and %(count)d more") % {"count": len(values) - limit}
    return ", ".join(values)


# ---------------------------------------------------------------------------------------
# The rules, in the order of DESIGN §5
# ---------------------------------------------------------------------------------------


def manifest_missing(bundle: EvidenceBundle) -> list[Finding]:
    """MANIFEST_MISSING (high): no manifest line carries the declaration's transport document.

    The only rule whose subject is missing evidence: it is raised exactly when the bundle
    has no manifest line, and clears itself on re-verification once the carrier's manifest
    arrives.
    """
    if bundle.manifest_lines:
        return []
    document = bundle.declaration.transport_document_number
    return [
        _finding(
            WarningCode.MANIFEST_MISSING,
            Severity.HIGH,
            _(
                "No carrier manifest lists transport document %(document)s yet. Ask the carrier to file its manifest, "
                "or check the transport document number on the declaration."
            )
            % {"document": document},
            evidence={"transport_document_number": document},
        )
    ]


def container_not_on_manifest(bundle: EvidenceBundle) -> list[Finding]:
    """CONTAINER_NOT_ON_MANIFEST (high, key = container): a declared container is on none of
    the manifest lines of the transport document.

    Missing evidence: with no manifest line at all nothing is raised (MANIFEST_MISSING says so).
    """
    if not bundle.manifest_lines:
        return []
    manifested = _manifested_containers(bundle)
    document = bundle.declaration.transport_document_number
    findings = []
    for container in _declared_containers(bundle):
        number = normalise_container(container.number)
        if number in manifested:
            continue
        findings.append(
            _finding(
                WarningCode.CONTAINER_NOT_ON_MANIFEST,
                Severity.HIGH,
                _(
                    "Container %(container)s is declared but is not on the manifest of transport document %(document)s "
                    "(the manifest lists %(manifested)s). Correct the container number or ask the carrier to amend "
                    "the manifest."
                )
                % {
                    "container": number,
                    "document": document,
                    "manifested": _joined(sorted(manifested)) or _("no containers"),
                },
                key=number,
                evidence={
                    "container": number,
                    "manifest_line_ids": _line_ids(bundle),
                    "manifested_containers": sorted(manifested),
                },
            )
        )
    return findings


def undeclared_container(bundle: EvidenceBundle) -> list[Finding]:
    """UNDECLARED_CONTAINER (medium, key = container): a manifest line lists a container that
    neither this declaration nor a sibling declaration of the same transport document declares.

    Missing evidence: no manifest line → nothing to compare.
    """
    declared = {normalise_container(number) for number in bundle.declaration.container_numbers}
    for sibling in bundle.siblings:
        declared |= {normalise_container(number) for number in sibling.container_numbers}
    document = bundle.declaration.transport_document_number
    findings = []
    for number, line_ids in sorted(_manifested_containers(bundle).items()):
        if number in declared:
            continue
        findings.append(
            _finding(
                WarningCode.UNDECLARED_CONTAINER,
                Severity.MEDIUM,
                _(
                    "The manifest of transport document %(document)s lists container %(container)s, which no declaration "
                    "of that document declares. Add it to the declaration or ask the carrier to correct the "
                    "manifest."
                )
                % {"document": document, "container": number},
                key=number,
                evidence={
                    "container": number,
                    "manifest_line_ids": sorted(set(line_ids)),
                    "declared_containers": sorted(declared),
                    "sibling_references": sorted(sibling.reference for sibling in bundle.siblings),
                },
            )
        )
    return findings


def gross_mass_mismatch(bundle: EvidenceBundle) -> list[Finding]:
    """GROSS_MASS_MISMATCH (medium): declared gross mass differs from the manifest's or the
    terminal's weighing by more than ``tolerances.gross_mass_percent``. Two checks:

    (a) key ``"manifest"``: everything declared under the transport document (this
        declaration's total plus its siblings') against the sum of the manifest lines'
        gross mass, as a percentage of the manifest figure. Missing evidence: no manifest
        line, or the manifest lines carry no mass (total 0).
    (b) key ``"weighing"``: when every declared container has at least one ``weighed`` event
        with a weight, the sum of each container's latest weighed weight against this
        declaration's total gross mass, as a percentage of the weighed figure. Assumption:
        the terminal's weighed figure is taken as the cargo's gross mass (container tare
        excluded), as terminals in the pilot report it. Missing evidence: no declared
        container, or any container without a weighing.

    A difference exactly at the tolerance is not a mismatch.
    """
    declaration = bundle.declaration
    tolerance = bundle.tolerances.gross_mass_percent
    findings = []

    manifest_mass = sum((line.gross_mass for line in bundle.manifest_lines), Decimal(0))
    if bundle.manifest_lines and manifest_mass > 0:
        declared_mass = declaration.total_gross_mass + sum(
            (sibling.total_gross_mass for sibling in bundle.siblings), Decimal(0)
        )
        difference = _difference_percent(declared_mass, manifest_mass)
        if difference > tolerance:
            if bundle.siblings:
                message = _(
                    "Declared gross mass %(declared)s kg (this declaration and %(siblings)d other declaration(s) of "
                    "transport document %(document)s) differs from the manifest's %(manifest)s kg by %(difference)s %% "
                    "(tolerance %(tolerance)s %%). Check the mass declared or ask the carrier to correct the manifest."
                )
            else:
                message = _(
                    "Declared gross mass %(declared)s kg differs from the manifest's %(manifest)s kg by "
                    "%(difference)s %% (tolerance %(tolerance)s %%). Check the mass declared or ask the carrier to "
                    "correct the manifest."
                )
            findings.append(
                _finding(
                    WarningCode.GROSS_MASS_MISMATCH,
                    Severity.MEDIUM,
                    message
                    % {
                        "declared": _number(declared_mass),
                        "manifest": _number(manifest_mass),
                        "difference": _percent(difference),
                        "tolerance": _number(tolerance),
                        "siblings": len(bundle.siblings),
                        "document": declaration.transport_document_number,
                    },
                    key="manifest",
                    evidence={
                        "declared_gross_mass": _text(declared_mass),
                        "declaration_gross_mass": _text(declaration.total_gross_mass),
                        "sibling_references": sorted(sibling.reference for sibling in bundle.siblings),
                        "manifest_gross_mass": _text(manifest_mass),
                        "difference_percent": _text(difference.quantize(Decimal("0.01"))),
                        "tolerance_percent": _text(tolerance),
                        "manifest_line_ids": _line_ids(bundle),
                    },
                )
            )

    latest_weighings: dict[str, ContainerEventFacts] = {}
    for container in _declared_containers(bundle):
        weighings = [
            event
            for event in _events_of(bundle, container.number)
            if event.event_type == ContainerEventType.WEIGHED and event.weight is not None
        ]
        if not weighings:
            latest_weighings = {}
            break
        latest_weighings[normalise_container(container.number)] = weighings[-1]
    weighed_mass = sum((event.weight for event in latest_weighings.values()), Decimal(0))
    if latest_weighings and weighed_mass > 0:
        difference = _difference_percent(declaration.total_gross_mass, weighed_mass)
        if difference > tolerance:
            findings.append(
                _finding(
                    WarningCode.GROSS_MASS_MISMATCH,
                    Severity.MEDIUM,
                    _(
                        "Declared gross mass %(declared)s kg differs from the %(weighed)s kg the terminal weighed "
                        "(%(containers)s) by %(difference)s %% (tolerance %(tolerance)s %%). Check the mass declared or "
                        "ask the terminal to re-weigh."
                    )
                    % {
                        "declared": _number(declaration.total_gross_mass),
                        "weighed": _number(weighed_mass),
                        "containers": _joined(
                            f"{number} {_number(event.weight)} kg" for number, event in latest_weighings.items()
                        ),
                        "difference": _percent(difference),
                        "tolerance": _number(tolerance),
                    },
                    key="weighing",
                    evidence={
                        "declared_gross_mass": _text(declaration.total_gross_mass),
                        "weighed_gross_mass": _text(weighed_mass),
                        "weighed_by_container": {
                            number: _text(event.weight) for number, event in latest_weighings.items()
                        },
                        "event_ids": [event.id for event in latest_weighings.values()],
                        "difference_percent": _text(difference.quantize(Decimal("0.01"))),
                        "tolerance_percent": _text(tolerance),
                    },
                )
            )
    return findings


def package_count_mismatch(bundle: EvidenceBundle) -> list[Finding]:
    """PACKAGE_COUNT_MISMATCH (low): the declaration's total packages differ from the
    manifest lines' total packages.

    Only for a declaration alone on its transport document: with siblings, each declares
    a share of the manifest and MANIFEST_WRITE_OFF_EXCEEDED watches the sum instead.
    Missing evidence: no manifest line.
    """
    if not bundle.manifest_lines or bundle.siblings:
        return []
    declared = bundle.declaration.total_packages
    manifested = sum(line.packages for line in bundle.manifest_lines)
    if declared == manifested:
        return []
    return [
        _finding(
            WarningCode.PACKAGE_COUNT_MISMATCH,
            Severity.LOW,
            _(
                "%(declared)s packages are declared but the manifest of transport document %(document)s lists "
                "%(manifested)s. Check the package count against the packing list."
            )
            % {
                "declared": _number(declared),
                "manifested": _number(manifested),
                "document": bundle.declaration.transport_document_number,
            },
            evidence={
                "declared_packages": declared,
                "manifest_packages": manifested,
                "manifest_line_ids": _line_ids(bundle),
            },
        )
    ]


def consignee_mismatch(bundle: EvidenceBundle) -> list[Finding]:
    """CONSIGNEE_MISMATCH (medium): a manifest line names a consignee whose normalised name
    (see :func:`normalise_party_name`) differs from the declared consignee's.

    Missing evidence: no manifest line, no declared consignee, or manifest lines without a
    consignee name.
    """
    declared = bundle.declaration.consignee_name
    if not declared.strip():
        return []
    declared_normalised = normalise_party_name(declared)
    differing = [
        line
        for line in bundle.manifest_lines
        if line.consignee_name.strip() and normalise_party_name(line.consignee_name) != declared_normalised
    ]
    if not differing:
        return []
    manifest_names = sorted({line.consignee_name for line in differing})
    return [
        _finding(
            WarningCode.CONSIGNEE_MISMATCH,
            Severity.MEDIUM,
            _(
                "The declared consignee “%(declared)s” differs from the manifest's “%(manifest)s”. Correct the consignee "
                "or ask the carrier to amend the manifest."
            )
            % {
                "declared": declared,
                "manifest": "”, “".join(manifest_names),
            },
            evidence={
                "declared_consignee": declared,
                "manifest_consignees": manifest_names,
                "declared_normalised": declared_normalised,
                "manifest_normalised": sorted({normalise_party_name(name) for name in manifest_names}),
                "manifest_line_ids": [line.line_id for line in differing],
            },
        )
    ]


def seal_mismatch(bundle: EvidenceBundle) -> list[Finding]:
    """SEAL_MISMATCH (high, key = container): a container event records a seal number that
    differs from the seal declared for that container (case-insensitive, spaces ignored).

    Missing evidence: the container has no declared seal, or no event records a seal.
    """
    findings = []
    for container in _declared_containers(bundle):
        declared = normalise_seal(container.seal_number)
        if not declared:
            continue
        differing = [
            event
            for event in _events_of(bundle, container.number)
            if normalise_seal(event.seal_number) and normalise_seal(event.seal_number) != declared
        ]
        if not differing:
            continue
        number = normalise_container(container.number)
        seen = list(dict.fromkeys(event.seal_number.strip() for event in differing))
        first = differing[0]
        findings.append(
            _finding(
                WarningCode.SEAL_MISMATCH,
                Severity.HIGH,
                _(
                    "Container %(container)s was declared with seal %(declared)s but seal %(seen)s was seen "
                    "(%(event)s at %(port)s, %(time)s). Check whether the container was re-sealed and by whom."
                )
                % {
                    "container": number,
                    "declared": container.seal_number,
                    "seen": _joined(seen),
                    "event": first.event_type,
                    "port": first.port,
                    "time": _local_time(first.occurred_at),
                },
                key=number,
                evidence={
                    "container": number,
                    "declared_seal": container.seal_number,
                    "seen_seals": seen,
                    "event_ids": [event.id for event in differing],
                },
            )
        )
    return findings


def seal_broken(bundle: EvidenceBundle) -> list[Finding]:
    """SEAL_BROKEN (high, key = container): a ``seal_status`` reading whose value is one of
    SEAL_OPEN_VALUES (case-insensitive) was taken strictly after the container's first
    ``loaded`` event at the origin port and strictly before its first ``discharged`` event at
    the transfer port after that loading — or at any time after loading if it has not been
    discharged there yet.

    Only for integrated declarations (the rule watches the leg between the two ports).
    Missing evidence: no transfer port, or no ``loaded`` event at the origin port.
    """
    declaration = bundle.declaration
    if declaration.procedure != Procedure.INTEGRATED or not declaration.transfer_port:
        return []
    origin = normalise_port(declaration.origin_port)
    transfer = normalise_port(declaration.transfer_port)
    findings = []
    for container in _declared_containers(bundle):
        events = _events_of(bundle, container.number)
        loaded = next(
            (e for e in events if e.event_type == ContainerEventType.LOADED and normalise_port(e.port) == origin),
            None,
        )
        if loaded is None:
            continue
        discharged = next(
            (
                e
                for e in events
                if e.event_type == ContainerEventType.DISCHARGED
                and normalise_port(e.port) == transfer
                and e.occurred_at > loaded.occurred_at
            ),
            None,
        )
        opened = [
            reading
            for reading in _readings_of(bundle, container.number, SensorKind.SEAL_STATUS)
            if seal_reported_open(reading.value)
            and reading.read_at > loaded.occurred_at
            and (discharged is None or reading.read_at < discharged.occurred_at)
        ]
        if not opened:
            continue
        number = normalise_container(container.number)
        first = opened[0]
        findings.append(
            _finding(
                WarningCode.SEAL_BROKEN,
                Severity.HIGH,
                _(
                    "Device %(device)s reported the seal of container %(container)s as “%(value)s” at %(time)s, after "
                    "loading at %(origin)s and before discharge at %(transfer)s. Hold the container for a seal check "
                    "on arrival."
                )
                % {
                    "device": first.device,
                    "container": number,
                    "value": first.value,
                    "time": _local_time(first.read_at),
                    "origin": origin,
                    "transfer": transfer,
                },
                key=number,
                evidence={
                    "container": number,
                    "reading_ids": [reading.id for reading in opened],
                    "loaded_event_id": loaded.id,
                    "loaded_at": _time(loaded.occurred_at),
                    "discharged_event_id": discharged.id if discharged else None,
                    "discharged_at": _time(discharged.occurred_at) if discharged else None,
                },
            )
        )
    return findings


def route_mismatch(bundle: EvidenceBundle) -> list[Finding]:
    """ROUTE_MISMATCH (medium, key = ``container@port``): a container event happened at a port
    that is not on the declared route (origin, transfer and foreign port).

    Missing evidence: no events, or events without a port.
    """
    route = {normalise_port(port) for port in bundle.declaration.route_ports}
    off_route: dict[tuple[str, str], list[ContainerEventFacts]] = {}
    for event in sorted(bundle.events, key=lambda event: (event.occurred_at, event.id)):
        port = normalise_port(event.port)
        if port and port not in route:
            off_route.setdefault((normalise_container(event.container_number), port), []).append(event)
    findings = []
    for (number, port), events in sorted(off_route.items()):
        first = events[0]
        findings.append(
            _finding(
                WarningCode.ROUTE_MISMATCH,
                Severity.MEDIUM,
                _(
                    "Container %(container)s was reported at %(port)s (%(event)s, %(time)s), which is not on the declared "
                    "route %(route)s. Ask the trader to explain the diversion or amend the route."
                )
                % {
                    "container": number,
                    "port": port,
                    "event": first.event_type,
                    "time": _local_time(first.occurred_at),
                    "route": " → ".join(
                        normalise_port(p)
                        for p in (
                            bundle.declaration.origin_port,
                            bundle.declaration.transfer_port,
                            bundle.declaration.foreign_port,
                        )
                        if p
                    ),
                },
                key=f"{number}@{port}",
                evidence={
                    "container": number,
                    "port": port,
                    "route_ports": sorted(route),
                    "event_ids": [event.id for event in events],
                },
            )
        )
    return findings


def loaded_before_release(bundle: EvidenceBundle) -> list[Finding]:
    """LOADED_BEFORE_RELEASE (high, key = container): for exports, a ``loaded`` event at the
    origin or transfer port earlier than the release. A declaration that is not released
    (``released_at`` is None) makes every such loading count.

    Missing evidence: no ``loaded`` event at either port. Imports are never checked.
    """
    declaration = bundle.declaration
    if declaration.direction != Direction.EXPORT:
        return []
    ports = {normalise_port(declaration.origin_port), normalise_port(declaration.transfer_port)} - {""}
    released_at = declaration.released_at
    early: dict[str, list[ContainerEventFacts]] = {}
    for event in sorted(bundle.events, key=lambda event: (event.occurred_at, event.id)):
        if (
            event.event_type == ContainerEventType.LOADED
            and normalise_port(event.port) in ports
            and (released_at is None or event.occurred_at < released_at)
        ):
            early.setdefault(normalise_container(event.container_number), []).append(event)
    findings = []
    for number, events in sorted(early.items()):
        first = events[0]
        if released_at is None:
            message = _(
                "Container %(container)s was loaded at %(port)s at %(time)s although the declaration has "
                "not been released. Stop the vessel's departure or recall the container."
            )
        else:
            message = _(
                "Container %(container)s was loaded at %(port)s at %(time)s, before the release at "
                "%(released)s. Find out who let it through the gate."
            )
        findings.append(
            _finding(
                WarningCode.LOADED_BEFORE_RELEASE,
                Severity.HIGH,
                message
                % {
                    "container": number,
                    "port": normalise_port(first.port),
                    "time": _local_time(first.occurred_at),
                    "released": _local_time(released_at) if released_at else "",
                },
                key=number,
                evidence={
                    "container": number,
                    "event_ids": [event.id for event in events],
                    "released_at": _time(released_at),
                },
            )
        )
    return findings


def _parse_decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def temperature_excursion(bundle: EvidenceBundle) -> list[Finding]:
    """TEMPERATURE_EXCURSION (key = container): a reefer's ``temperature`` reading is below
    the declared minimum minus ``tolerances.temperature`` or above the maximum plus it.
    Medium; high when a reading is beyond twice the tolerance (with a tolerance of 0,
    every excursion is high).

    Missing evidence: not a reefer (size/type code), either bound not declared, or no
    temperature reading; readings whose value is not a number are ignored.
    """
    tolerance = bundle.tolerances.temperature
    findings = []
    for container in _declared_containers(bundle):
        low, high = container.temperature_min, container.temperature_max
        if not container.is_reefer or low is None or high is None:
            continue
        outside = []
        worst = Decimal(0)
        for reading in _readings_of(bundle, container.number, SensorKind.TEMPERATURE):
            value = _parse_decimal(reading.value)
            if value is None:
                continue
            beyond = max(low - value, value - high)  # how far outside the declared range
            if beyond > tolerance:
                outside.append((reading, value))
                worst = max(worst, beyond)
        if not outside:
            continue
        number = normalise_container(container.number)
        values = [value for _reading, value in outside]
        severity = Severity.HIGH if worst > 2 * tolerance else Severity.MEDIUM
        if len(outside) == 1:
            seen = _("read %(value)s °C at %(time)s") % {
                "value": _number(values[0]),
                "time": _local_time(outside[0][0].read_at),
            }
        else:
            seen = _("read %(lowest)s °C to %(highest)s °C in %(count)d readings") % {
                "lowest": _number(min(values)),
                "highest": _number(max(values)),
                "count": len(outside),
            }
        findings.append(
            _finding(
                WarningCode.TEMPERATURE_EXCURSION,
                severity,
                _(
                    "Reefer %(container)s %(seen)s, outside the declared %(min)s °C to %(max)s °C (tolerance "
                    "%(tolerance)s °C). Check the cargo's condition and the reefer unit."
                )
                % {
                    "container": number,
                    "seen": seen,
                    "min": _number(low),
                    "max": _number(high),
                    "tolerance": _number(tolerance),
                },
                key=number,
                evidence={
                    "container": number,
                    "declared_min": _text(low),
                    "declared_max": _text(high),
                    "tolerance": _text(tolerance),
                    "lowest": _text(min(values)),
                    "highest": _text(max(values)),
                    "reading_ids": [reading.id for reading, _value in outside],
                },
            )
        )
    return findings


SENSITIVE_SEVERITIES = {
    "quarantine": Severity.INFO,
    "cites": Severity.MEDIUM,
    "dual_use": Severity.HIGH,
    "hazardous": Severity.HIGH,
}


def _sensitive_actions() -> dict[str, str]:
    return {
        "quarantine": _("is subject to quarantine: check the quarantine certificate"),
        "cites": _("is CITES-listed: check the CITES permit"),
        "dual_use": _("is dual-use: check the export licence"),
        "hazardous": _("is hazardous: check the dangerous-goods declaration and packing"),
    }


def sensitive_goods(bundle: EvidenceBundle) -> list[Finding]:
    """SENSITIVE_GOODS (key = ``item <line>``): an item's HS code (or its nearest ancestor) is
    on the sensitive list. Info for quarantine, medium for CITES, high for dual-use and
    hazardous goods; an unknown reason counts as medium.

    Missing evidence: no item carries a sensitive reason.
    """
    findings = []
    actions = _sensitive_actions()
    for item in sorted(bundle.declaration.items, key=lambda item: item.line):
        reason = item.sensitive_reason.strip()
        if not reason:
            continue
        message = _("Item %(line)d (HS %(hs)s, %(description)s) %(action)s.") % {
            "line": item.line,
            "hs": item.hs_code,
            "description": item.description,
            "action": actions.get(reason, _("is on the sensitive list (%(reason)s)") % {"reason": reason}),
        }
        if item.sensitive_note:
            message += " " + item.sensitive_note
        findings.append(
            _finding(
                WarningCode.SENSITIVE_GOODS,
                SENSITIVE_SEVERITIES.get(reason, Severity.MEDIUM),
                message,
                key=f"item {item.line}",
                evidence={"line": item.line, "hs_code": item.hs_code, "reason": reason, "note": item.sensitive_note},
            )
        )
    return findings


def value_anomaly(bundle: EvidenceBundle) -> list[Finding]:
    """VALUE_ANOMALY (medium, key = ``item <line>``): an item's unit value is below the HS
    code's reference minimum ÷ ``tolerances.value_anomaly_factor`` or above its maximum ×
    that factor (strictly).

    The unit value is value ÷ net mass for ``USD/kg`` and value ÷ quantity for ``USD/unit``
    and ``USD/pair``. Reference ranges are in US dollars, so only USD invoices are checked:
    other currencies need a rate table, which belongs to the finance issue. Missing
    evidence: another currency, no reference range, an unknown value unit, or a zero
    net mass or quantity.
    """
    declaration = bundle.declaration
    if declaration.invoice_currency.strip().upper() != "USD":
        return []
    factor = bundle.tolerances.value_anomaly_factor
    findings = []
    for item in sorted(declaration.items, key=lambda item: item.line):
        if item.unit_value_min is None and item.unit_value_max is None:
            continue
        if item.value_unit == "USD/kg":
            per = item.net_mass
        elif item.value_unit in ("USD/unit", "USD/pair"):
            per = item.quantity
        else:
            continue
        if per is None or per <= 0:
            continue
        unit_value = item.value / per
        too_low = item.unit_value_min is not None and unit_value < item.unit_value_min / factor
        too_high = item.unit_value_max is not None and unit_value > item.unit_value_max * factor
        if not (too_low or too_high):
            continue
        reference_min = _number(item.unit_value_min) if item.unit_value_min is not None else "…"
        reference_max = _number(item.unit_value_max) if item.unit_value_max is not None else "…"
        reference = f"{reference_min}–{reference_max}"
        if too_low:
            limit = item.unit_value_min / factor
            message = _(
                "Item %(line)d (HS %(hs)s) is declared at %(unit_value)s %(unit)s, below %(limit)s %(unit)s "
                "(reference range %(reference)s %(unit)s ÷ %(factor)s). Check the invoice for under-valuation."
            )
        else:
            limit = item.unit_value_max * factor
            message = _(
                "Item %(line)d (HS %(hs)s) is declared at %(unit_value)s %(unit)s, above %(limit)s %(unit)s "
                "(reference range %(reference)s %(unit)s × %(factor)s). Check the invoice and the classification."
            )
        findings.append(
            _finding(
                WarningCode.VALUE_ANOMALY,
                Severity.MEDIUM,
                message
                % {
                    "line": item.line,
                    "hs": item.hs_code,
                    "unit_value": _unit_value(unit_value),
                    "unit": item.value_unit,
                    "reference": reference,
                    "factor": _number(factor),
                    "limit": _unit_value(limit),
                },
                key=f"item {item.line}",
                evidence={
                    "line": item.line,
                    "hs_code": item.hs_code,
                    "value": _text(item.value),
                    "per": _text(per),
                    "unit_value": _text(unit_value.quantize(Decimal("0.0001"))),
                    "value_unit": item.value_unit,
                    "reference_min": _text(item.unit_value_min) if item.unit_value_min is not None else None,
                    "reference_max": _text(item.unit_value_max) if item.unit_value_max is not None else None,
                    "factor": _text(factor),
                },
            )
        )
    return findings


def manifest_write_off_exceeded(bundle: EvidenceBundle) -> list[Finding]:
    """MANIFEST_WRITE_OFF_EXCEEDED (high): the packages or the gross mass declared across this
    declaration and its siblings exceed what the manifest lines carry — packages strictly,
    mass by more than ``tolerances.gross_mass_percent`` of the manifest figure (ASYCUDA's
    manifest write-off).

    Missing evidence: no manifest line.
    """
    if not bundle.manifest_lines:
        return []
    declaration = bundle.declaration
    tolerance = bundle.tolerances.gross_mass_percent
    declared_packages = declaration.total_packages + sum(sibling.total_packages for sibling in bundle.siblings)
    declared_mass = declaration.total_gross_mass + sum(
        (sibling.total_gross_mass for sibling in bundle.siblings), Decimal(0)
    )
    manifest_packages = sum(line.packages for line in bundle.manifest_lines)
    manifest_mass = sum((line.gross_mass for line in bundle.manifest_lines), Decimal(0))
    packages_exceeded = declared_packages > manifest_packages
    mass_exceeded = declared_mass > manifest_mass * (HUNDRED + tolerance) / HUNDRED
    if not (packages_exceeded or mass_exceeded):
        return []
    parts = []
    if packages_exceeded:
        parts.append(
            _("%(declared)s packages against %(manifest)s manifested")
            % {
                "declared": _number(declared_packages),
                "manifest": _number(manifest_packages),
            }
        )
    if mass_exceeded:
        parts.append(
            _("%(declared)s kg against %(manifest)s kg manifested (tolerance %(tolerance)s %%)")
            % {
                "declared": _number(declared_mass),
                "manifest": _number(manifest_mass),
                "tolerance": _number(tolerance),
            }
        )
    references = [declaration.reference, *sorted(sibling.reference for sibling in bundle.siblings)]
    if bundle.siblings:
        message = _(
            "Declarations %(references)s of transport document %(document)s together declare %(parts)s. "
            "More is declared than the carrier carries: find which declaration is wrong before releasing."
        )
    else:
        message = _(
            "This declaration declares %(parts)s for transport document %(document)s. More is declared "
            "than the carrier carries: correct the declaration or ask the carrier to amend the manifest."
        )
    return [
        _finding(
            WarningCode.MANIFEST_WRITE_OFF_EXCEEDED,
            Severity.HIGH,
            message
            % {
                "references": _joined(references),
                "document": declaration.transport_document_number,
                "parts": _("; ").join(parts),
            },
            evidence={
                "declared_packages": declared_packages,
                "manifest_packages": manifest_packages,
                "declared_gross_mass": _text(declared_mass),
                "manifest_gross_mass": _text(manifest_mass),
                "tolerance_percent": _text(tolerance),
                "declaration_references": references,
                "manifest_line_ids": _line_ids(bundle),
            },
        )
    ]


Rule = Callable[[EvidenceBundle], list[Finding]]

# Every rule, in the order of DESIGN §5.
ALL_RULES: list[Rule] = [
    manifest_missing,
    container_not_on_manifest,
    undeclared_container,
    gross_mass_mismatch,
    package_count_mismatch,
    consignee_mismatch,
    seal_mismatch,
    seal_broken,
    route_mismatch,
    loaded_before_release,
    temperature_excursion,
    sensitive_goods,
    value_anomaly,
    manifest_write_off_exceeded,
]


def findings_for(bundle: EvidenceBundle) -> list[Finding]:
    """Every finding of every rule, in rule order, at most one per ``(code, key)`` (the first)."""
    seen: set[tuple[str, str]] = set()
    findings = []
    for rule in ALL_RULES:
        for finding in rule(bundle):
            identity = (str(finding.code), finding.key)
            if identity in seen:
                continue
            seen.add(identity)
            findings.append(finding)
    return findings


def reading_matters(kind: str, value: str) -> bool:
    """Whether a new sensor reading can change what :func:`findings_for` finds, so that the
    declarations of its container are worth verifying again. Only two rules read readings:
    :func:`seal_broken` (``seal_status`` readings with one of SEAL_OPEN_VALUES) and
    :func:`temperature_excursion` (``temperature`` readings, of containers declared with a
    temperature range — the caller checks the range). A closed seal, a position or a weight
    changes no finding and no score.
    """
    if kind == SensorKind.SEAL_STATUS:
        return seal_reported_open(value)
    return kind == SensorKind.TEMPERATURE


# The events a rule reads whatever their port: weighings (gross_mass_mismatch), loadings and discharges
# (seal_broken, loaded_before_release) and departures (a released declaration closes when its containers depart).
EVENTS_READ = frozenset(
    {ContainerEventType.WEIGHED, ContainerEventType.LOADED, ContainerEventType.DISCHARGED, ContainerEventType.DEPARTED}
)


def event_matters(event_type: str, seal_number: str) -> bool:
    """Whether a new container event can change what :func:`findings_for` finds (or close a released
    declaration) at a port on its declaration's route, so that the declarations of its container are
    worth verifying again: a weighing, loading, discharge or departure, or any event recording a seal
    (:func:`seal_mismatch`). Any other event — a gate-in, gate-out or vessel arrival without a seal —
    is read by :func:`route_mismatch` alone, and only at a port off the declared route: the caller
    re-verifies the declarations whose route does not pass the event's port.
    """
    return event_type in EVENTS_READ or bool(normalise_seal(seal_number))
