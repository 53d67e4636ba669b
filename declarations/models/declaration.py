"""Merged declarations: the declaration, its goods items, containers and supporting documents."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.choices import choice_label
from portal.history import HistoryManager
from portal.models import Country, Currency, HSCode, Organisation, Port

from ..choices import (
    AWAITING_DECISION,
    STATUS_COLOURS,
    Direction,
    DocumentKind,
    Incoterm,
    Lane,
    Procedure,
    Status,
    Unit,
)
from ..validators import validate_container_number, validate_not_negative, validate_positive

MASS = {"max_digits": 14, "decimal_places": 3}
MONEY = {"max_digits": 16, "decimal_places": 2}

# UNINDEXED_FOREIGN_KEYS: foreign keys of the tables every filing, logistics record and verification writes
# (declarations, their items and containers, container events, sensor readings, manifests, verification runs and
# warnings, notifications, idempotency keys) are declared ``db_index=False`` where their index would serve no read.
# Every index costs a write on each insert, and on each update that changes an indexed column — every transition of
# a declaration. Either an index of the table already leads with the column (a declaration's declarant and origin
# port; an item's, a container's, a verification run's and a warning's declaration; a warning's run; a logistics
# record's source; a notification's recipient; an idempotency key's user), or nothing reads those rows by it (ports
# of discharge, countries, currencies, HS codes, the creator): deleting such a referenced row (PROTECT: only to find
# that it is still used) then scans the table, which only an administrator's clean-up of reference data does.
# ``tests/portal/test_indexes.py`` keeps it so.

# Position of each lane in the officers' queue (red first; not yet verified last), stored on the
# declaration so the queue's order (rank, submitted_at, id) is one index and a keyset cursor.
LANE_QUEUE_RANK = {Lane.RED: 0, Lane.YELLOW: 1, Lane.GREEN: 2, "": 3}


def lane_queue_rank(lane: str) -> int:
    return LANE_QUEUE_RANK[lane]


def warning_codes_text(codes) -> str:
    """``Declaration.current_warning_codes`` for these codes: each distinct code once, sorted, every
    one between spaces (" GROSS_MASS_MISMATCH SEAL_BROKEN "), so a filter on one code is a plain
    ``contains`` of " CODE " that cannot match part of another code; "" when there are none."""
    ordered = sorted(set(codes))
    return f" {' '.join(ordered)} " if ordered else ""


class Declaration(models.Model):
    reference = models.CharField(
        _("reference"),
        max_length=24,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Given when the declaration is first submitted, e.g. CNSUD-2026-000042."),
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    declarant = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="declarations",
        verbose_name=_("declarant"),
        db_index=False,  # UNINDEXED_FOREIGN_KEYS, as the other foreign keys below
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    lane = models.CharField(_("lane"), max_length=6, choices=Lane.choices, blank=True)
    queue_rank = models.PositiveSmallIntegerField(
        _("queue rank"),
        default=LANE_QUEUE_RANK[""],
        editable=False,
        help_text=_("The lane's place in the officers' queue: 0 red, 1 yellow, 2 green, 3 not yet verified."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    current_warning_codes = models.TextField(
        _("current warning codes"),
        blank=True,
        default="",
        editable=False,
        help_text=_(
            "The codes of the current version's verification warnings (see warning_codes_text), "
            "written with the warnings by the verification services and emptied by an amendment; "
            "lets the officers' queue filter by code without reading the warnings."
        ),
    )

    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices, default=Direction.EXPORT)
    procedure = models.CharField(_("procedure"), max_length=10, choices=Procedure.choices, default=Procedure.INTEGRATED)
    origin_port = models.ForeignKey(
        Port,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("origin port"),
        db_index=False,
        help_text=_("For an integrated export, the river port where the goods are declared (e.g. Shunde)."),
    )
    transfer_port = models.ForeignKey(
        Port,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("transfer port"),
        help_text=_("For an integrated declaration, the hub port of the pair (e.g. Shekou)."),
    )
    foreign_port = models.ForeignKey(
        Port,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("foreign port of discharge or loading"),
        db_index=False,
    )
    transport_document_number = models.CharField(
        _("transport document (bill of lading) number"), max_length=35, blank=True
    )
    consignor_name = models.CharField(_("consignor"), max_length=200, blank=True)
    consignor_address = models.CharField(_("consignor address"), max_length=300, blank=True)
    consignee_name = models.CharField(_("consignee"), max_length=200, blank=True)
    consignee_address = models.CharField(_("consignee address"), max_length=300, blank=True)
    consignee_country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consignee country"),
        db_index=False,
    )
    incoterm = models.CharField(_("Incoterm"), max_length=3, choices=Incoterm.choices, blank=True)
    invoice_currency = models.ForeignKey(
        Currency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice currency"),
        db_index=False,
    )

    # Totals kept by the services whenever items change, so lists and queues need no aggregation.
    total_packages = models.PositiveIntegerField(_("total packages"), default=0)
    total_gross_mass = models.DecimalField(_("total gross mass (kg)"), default=Decimal("0"), **MASS)
    total_net_mass = models.DecimalField(_("total net mass (kg)"), default=Decimal("0"), **MASS)
    total_value = models.DecimalField(_("total value"), default=Decimal("0"), **MONEY)
    item_count = models.PositiveIntegerField(_("items"), default=0)
    container_count = models.PositiveIntegerField(_("containers"), default=0)

    officer_message = models.TextField(_("message from customs"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("first submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # current_warning_codes is derived from the warnings (which keep their own runs): no history.
    # History is read by declaration (``id``) and by the dashboard (its own index, migration 0006);
    # the indexes simple-history copies from the foreign keys and unique fields served no query
    # and cost every transition eleven index writes.
    history = HistoricalRecords(
        excluded_fields=["current_warning_codes"],
        history_manager=HistoryManager,
        no_db_index=[
            "reference",
            "public_id",
            "declarant",
            "created_by",
            "origin_port",
            "transfer_port",
            "foreign_port",
            "consignee_country",
            "invoice_currency",
        ],
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        indexes = [
            models.Index(fields=["declarant", "-created_at", "-id"], name="decl_declarant_recent"),
            models.Index(fields=["status", "lane", "submitted_at"], name="decl_status_lane_age"),
            models.Index(fields=["transport_document_number"], name="decl_transport_document"),
            # The officers' queue: awaiting a decision, red → yellow → green → unverified, then oldest.
            # It covers the columns the queue filters and counts on, so the counts per lane (with a
            # warning code or not) read only this small index, never the declarations' pages.
            models.Index(
                fields=["queue_rank", "submitted_at", "id"],
                name="decl_queue_order_cover",
                include=["lane", "status", "origin_port", "transfer_port", "declarant", "current_warning_codes"],
                condition=models.Q(status__in=AWAITING_DECISION),
            ),
        ]
        constraints = [
            # The stored rank always follows the lane (the workflow services set both).
            models.CheckConstraint(
                condition=(
                    models.Q(lane=Lane.RED, queue_rank=0)
                    | models.Q(lane=Lane.YELLOW, queue_rank=1)
                    | models.Q(lane=Lane.GREEN, queue_rank=2)
                    | models.Q(lane="", queue_rank=3)
                ),
                name="declaration_queue_rank_follows_lane",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or _("Draft %(id)s") % {"id": self.pk}

    @property
    def display_reference(self) -> str:
        return str(self)

    def get_status_display(self) -> str:  # replaces Django's generated one: same label, far cheaper (choice_label)
        return choice_label(Status, self.status)

    def get_lane_display(self) -> str:
        return choice_label(Lane, self.lane)

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS[Status(self.status)]

    @property
    def ledger_subject(self) -> str:
        return f"declarations.Declaration:{self.pk}"


class DeclarationItem(models.Model):
    # No index of their own (see UNINDEXED_FOREIGN_KEYS): item_line_unique leads with the declaration.
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="items", db_index=False)
    line_number = models.PositiveIntegerField(_("line"))
    hs_code = models.ForeignKey(
        HSCode, on_delete=models.PROTECT, related_name="+", verbose_name=_("HS code"), db_index=False
    )
    description = models.CharField(_("description of goods"), max_length=300)
    origin_country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="+", verbose_name=_("country of origin"), db_index=False
    )
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, validators=[validate_positive])
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices)
    packages = models.PositiveIntegerField(_("packages"), validators=[MinValueValidator(1)])
    gross_mass = models.DecimalField(_("gross mass (kg)"), validators=[validate_positive], **MASS)
    net_mass = models.DecimalField(_("net mass (kg)"), validators=[validate_positive], **MASS)
    value = models.DecimalField(_("value"), validators=[validate_not_negative], **MONEY)
    history = HistoricalRecords()

    class Meta:
        ordering = ["line_number"]
        verbose_name = _("goods item")
        verbose_name_plural = _("goods items")
        constraints = [
            models.UniqueConstraint(fields=["declaration", "line_number"], name="item_line_unique"),
            models.CheckConstraint(
                condition=models.Q(net_mass__lte=models.F("gross_mass")), name="item_net_not_above_gross"
            ),
            models.CheckConstraint(condition=models.Q(gross_mass__gt=0, net_mass__gt=0), name="item_mass_positive"),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="item_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.line_number}. {self.hs_code_id} {self.description}"


class DeclarationContainer(models.Model):
    # No index of its own (see UNINDEXED_FOREIGN_KEYS): container_once_per_declaration leads with it.
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="containers", db_index=False)
    number = models.CharField(_("container number"), max_length=11, validators=[validate_container_number])
    size_type = models.CharField(
        _("size/type code"), max_length=4, help_text=_("ISO 6346 size and type, e.g. 22G1, 45G1, 45R1 (reefer).")
    )
    seal_number = models.CharField(_("seal number"), max_length=35)
    temperature_min = models.DecimalField(
        _("lowest temperature (°C)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    temperature_max = models.DecimalField(
        _("highest temperature (°C)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("container")
        verbose_name_plural = _("containers")
        constraints = [
            models.UniqueConstraint(fields=["declaration", "number"], name="container_once_per_declaration"),
        ]
        indexes = [models.Index(fields=["number"], name="container_number")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_reefer(self) -> bool:
        return len(self.size_type) == 4 and self.size_type[2] == "R"


def document_upload_path(instance, filename: str) -> str:
    return f"declarations/{instance.declaration.public_id}/{uuid.uuid4().hex}{instance.extension}"


class SupportingDocument(models.Model):
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=24, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=document_upload_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"

    @property
    def extension(self) -> str:
        return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(self.content_type, "")


class ReferenceSequence(models.Model):
    """The last reference number given per port and year; locked while a number is taken."""

    port = models.ForeignKey(Port, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["port", "year"], name="reference_sequence_port_year")]

    def __str__(self) -> str:
        return f"{self.port_id}/{self.year}: {self.last_number}"
