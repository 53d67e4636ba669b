"""Statuses, kinds, and the one table of allowed workflow transitions (DESIGN §4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.choices import Role


class Direction(models.TextChoices):
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")


class Procedure(models.TextChoices):
    INTEGRATED = "integrated", _("Integrated (two-port route)")
    STANDARD = "standard", _("Standard (one port)")


class Incoterm(models.TextChoices):
    EXW = "EXW", "EXW"
    FCA = "FCA", "FCA"
    FAS = "FAS", "FAS"
    FOB = "FOB", "FOB"
    CFR = "CFR", "CFR"
    CIF = "CIF", "CIF"
    CPT = "CPT", "CPT"
    CIP = "CIP", "CIP"
    DAP = "DAP", "DAP"
    DPU = "DPU", "DPU"
    DDP = "DDP", "DDP"


class Unit(models.TextChoices):
    """UN/ECE Recommendation 20 codes for the units traders use most."""

    PIECE = "PCE", _("pieces")
    SET = "SET", _("sets")
    PAIR = "PR", _("pairs")
    KILOGRAM = "KGM", _("kilograms")
    METRE = "MTR", _("metres")
    SQUARE_METRE = "MTK", _("square metres")
    LITRE = "LTR", _("litres")
    CUBIC_METRE = "MTQ", _("cubic metres")


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Commercial invoice")
    PACKING_LIST = "packing_list", _("Packing list")
    CERTIFICATE_OF_ORIGIN = "certificate_of_origin", _("Certificate of origin")
    TRANSPORT_DOCUMENT = "transport_document", _("Bill of lading / transport document")
    LICENCE = "licence", _("Licence or permit")
    OTHER = "other", _("Other")


class Lane(models.TextChoices):
    GREEN = "green", _("Green — release without check")
    YELLOW = "yellow", _("Yellow — documentary check")
    RED = "red", _("Red — physical inspection")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    AMENDMENT_REQUESTED = "amendment_requested", _("Amendment requested")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    INSPECTION_REQUIRED = "inspection_required", _("Inspection required")
    INSPECTED = "inspected", _("Inspected")
    RELEASED = "released", _("Released")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    DEPARTED = "departed", _("Departed")
    ARRIVED = "arrived", _("Arrived")


# Colour of each status badge in lists.
STATUS_COLOURS = {
    Status.DRAFT: "grey",
    Status.SUBMITTED: "blue",
    Status.UNDER_REVIEW: "blue",
    Status.AMENDMENT_REQUESTED: "yellow",
    Status.RESUBMITTED: "blue",
    Status.INSPECTION_REQUIRED: "red",
    Status.INSPECTED: "blue",
    Status.RELEASED: "green",
    Status.REJECTED: "red",
    Status.CANCELLED: "grey",
    Status.DEPARTED: "green",
    Status.ARRIVED: "green",
}

AWAITING_DECISION = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.RESUBMITTED, Status.INSPECTED)
EDITABLE = (Status.DRAFT, Status.AMENDMENT_REQUESTED)
FINAL = (Status.REJECTED, Status.CANCELLED, Status.DEPARTED, Status.ARRIVED)


class Action(models.TextChoices):
    SUBMIT = "submit", _("Submit")
    CANCEL = "cancel", _("Cancel")
    START_REVIEW = "start_review", _("Start review")
    REQUEST_AMENDMENT = "request_amendment", _("Request amendment")
    AMEND = "amend", _("Resubmit amended declaration")
    ORDER_INSPECTION = "order_inspection", _("Order inspection")
    RECORD_INSPECTION = "record_inspection", _("Record inspection result")
    RELEASE = "release", _("Release")
    REJECT = "reject", _("Reject")
    DEPART = "depart", _("Record departure")
    ARRIVE = "arrive", _("Record arrival")


SYSTEM = "system"  # the verification worker and terminal events act as the system

# The whole workflow: action → (states it may start from, resulting state, who may take it).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, frozenset[str]]] = {
    Action.SUBMIT: ((Status.DRAFT,), Status.SUBMITTED, frozenset({Role.TRADER_STAFF})),
    Action.CANCEL: ((Status.DRAFT, Status.SUBMITTED), Status.CANCELLED, frozenset({Role.TRADER_STAFF})),
    Action.START_REVIEW: ((Status.SUBMITTED, Status.RESUBMITTED), Status.UNDER_REVIEW, frozenset({SYSTEM})),
    Action.REQUEST_AMENDMENT: (
        AWAITING_DECISION,
        Status.AMENDMENT_REQUESTED,
        frozenset({Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR}),
    ),
    Action.AMEND: ((Status.AMENDMENT_REQUESTED,), Status.RESUBMITTED, frozenset({Role.TRADER_STAFF})),
    Action.ORDER_INSPECTION: (
        (Status.SUBMITTED, Status.UNDER_REVIEW, Status.RESUBMITTED),
        Status.INSPECTION_REQUIRED,
        frozenset({Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR}),
    ),
    # Officers of either port of the pair record the result (``inspections.services``): one inspection counts for both.
    Action.RECORD_INSPECTION: (
        (Status.INSPECTION_REQUIRED,),
        Status.INSPECTED,
        frozenset({Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR}),
    ),
    # The system releases only green declarations, and only where the port's supervisor enabled it.
    Action.RELEASE: (
        AWAITING_DECISION,
        Status.RELEASED,
        frozenset({Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR, SYSTEM}),
    ),
    Action.REJECT: (
        (*AWAITING_DECISION, Status.INSPECTION_REQUIRED),
        Status.REJECTED,
        frozenset({Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR}),
    ),
    Action.DEPART: ((Status.RELEASED,), Status.DEPARTED, frozenset({SYSTEM})),
    Action.ARRIVE: ((Status.RELEASED, Status.DEPARTED), Status.ARRIVED, frozenset({SYSTEM})),
}


def allowed_actions(status: str, role: str) -> list[str]:
    """The actions ``role`` may take on a declaration in ``status``, in table order."""
    return [action for action, (sources, _target, roles) in TRANSITIONS.items() if status in sources and role in roles]


class ContainerEventType(models.TextChoices):
    GATE_IN = "gate_in", _("Gate in")
    LOADED = "loaded", _("Loaded")
    DISCHARGED = "discharged", _("Discharged")
    GATE_OUT = "gate_out", _("Gate out")
    WEIGHED = "weighed", _("Weighed")
    DEPARTED = "departed", _("Vessel departed")
    ARRIVED = "arrived", _("Vessel arrived")


class SensorKind(models.TextChoices):
    SEAL_STATUS = "seal_status", _("Seal status")
    TEMPERATURE = "temperature", _("Temperature (°C)")
    GROSS_WEIGHT = "gross_weight", _("Gross weight (kg)")
    POSITION = "position", _("Position (latitude,longitude)")


# Seal-status readings that mean the seal is no longer intact.
SEAL_OPEN_VALUES = frozenset({"open", "opened", "broken", "tampered"})


class Severity(models.TextChoices):
    INFO = "info", _("Info")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


# Risk score each warning adds, by severity.
SEVERITY_SCORES = {Severity.INFO: 0, Severity.LOW: 10, Severity.MEDIUM: 20, Severity.HIGH: 40}


class WarningCode(models.TextChoices):
    """DESIGN §5: stable codes of the cross-verification warnings."""

    MANIFEST_MISSING = "MANIFEST_MISSING", _("No manifest line for the transport document")
    CONTAINER_NOT_ON_MANIFEST = "CONTAINER_NOT_ON_MANIFEST", _("Declared container not on the manifest")
    UNDECLARED_CONTAINER = "UNDECLARED_CONTAINER", _("Manifested container not declared")
    GROSS_MASS_MISMATCH = "GROSS_MASS_MISMATCH", _("Gross mass differs from manifest or weighing")
    PACKAGE_COUNT_MISMATCH = "PACKAGE_COUNT_MISMATCH", _("Package count differs from manifest")
    CONSIGNEE_MISMATCH = "CONSIGNEE_MISMATCH", _("Consignee differs from manifest")
    SEAL_MISMATCH = "SEAL_MISMATCH", _("Seal seen differs from seal declared")
    SEAL_BROKEN = "SEAL_BROKEN", _("Seal opened between origin and transfer port")
    ROUTE_MISMATCH = "ROUTE_MISMATCH", _("Container seen at a port off the declared route")
    LOADED_BEFORE_RELEASE = "LOADED_BEFORE_RELEASE", _("Container loaded before release")
    TEMPERATURE_EXCURSION = "TEMPERATURE_EXCURSION", _("Reefer temperature outside the declared range")
    SENSITIVE_GOODS = "SENSITIVE_GOODS", _("Sensitive goods (dual-use, CITES, hazardous, quarantine)")
    VALUE_ANOMALY = "VALUE_ANOMALY", _("Unit value far outside the reference range")
    MANIFEST_WRITE_OFF_EXCEEDED = "MANIFEST_WRITE_OFF_EXCEEDED", _("Declarations exceed the manifest line")


# Warnings that also alert the officers of the declaration's ports as soon as they are raised.
ALERTING_CODES = frozenset({WarningCode.LOADED_BEFORE_RELEASE, WarningCode.SEAL_BROKEN})


class VerificationState(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
