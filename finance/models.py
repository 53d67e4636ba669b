"""Trade finance: banks' products and rate tables, traders' requests, pledged declarations, money moved."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from declarations.models import Declaration
from portal.models import Currency, Organisation, localised

from .choices import ACTIVE_STATUSES, ProductKind, RequestStatus

MONEY = {"max_digits": 16, "decimal_places": 2}


class FinancingProduct(models.Model):
    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="financing_products")
    kind = models.CharField(_("kind"), max_length=24, choices=ProductKind.choices)
    name_en = models.CharField(_("name (English)"), max_length=150)
    name_zh = models.CharField(_("name (Chinese)"), max_length=150, blank=True)
    currencies = models.ManyToManyField(Currency, related_name="+", verbose_name=_("currencies lent in"))
    max_advance_percent = models.DecimalField(
        _("maximum advance rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
        help_text=_("Largest share of the pledged declared value that may be lent."),
    )
    min_tenor_days = models.PositiveSmallIntegerField(_("shortest tenor (days)"))
    max_tenor_days = models.PositiveSmallIntegerField(_("longest tenor (days)"))
    accepted_statuses = models.JSONField(
        _("declaration statuses accepted"),
        default=list,
        help_text=_("Declarations in these statuses may be pledged (export tax rebate: released and departed)."),
    )
    exports_only = models.BooleanField(_("exports only"), default=False)
    active = models.BooleanField(_("offered"), default=True)
    history = HistoricalRecords(m2m_fields=[currencies])

    class Meta:
        ordering = ["bank__name_en", "name_en"]
        verbose_name = _("financing product")
        verbose_name_plural = _("financing products")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_tenor_days__lte=models.F("max_tenor_days")), name="product_tenor_range_ordered"
            ),
        ]

    def __str__(self) -> str:
        return localised(self.name_en, self.name_zh)


class ExchangeRate(models.Model):
    """A bank's own rate: 1 unit of ``base`` is worth ``rate`` units of ``quote`` from ``valid_from``."""

    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="exchange_rates")
    base = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    quote = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    rate = models.DecimalField(max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))])
    valid_from = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["base", "quote", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "base", "quote", "valid_from"], name="one_rate_per_moment"),
            models.CheckConstraint(condition=~models.Q(base=models.F("quote")), name="rate_between_two_currencies"),
        ]

    def __str__(self) -> str:
        return f"1 {self.base_id} = {self.rate} {self.quote_id}"


class FinancingRequest(models.Model):
    reference = models.CharField(_("reference"), max_length=24, unique=True)
    trader = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="financing_requests")
    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="financing_requests_received")
    product = models.ForeignKey(FinancingProduct, on_delete=models.PROTECT, related_name="requests")
    amount = models.DecimalField(_("amount requested"), **MONEY)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    tenor_days = models.PositiveSmallIntegerField(_("tenor (days)"))
    status = models.CharField(
        _("status"), max_length=24, choices=RequestStatus.choices, default=RequestStatus.UNDER_REVIEW
    )
    approved_amount = models.DecimalField(_("amount approved"), null=True, blank=True, **MONEY)
    interest_rate_percent = models.DecimalField(
        _("interest rate (% a year)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    conditions = models.TextField(_("conditions"), blank=True)
    bank_message = models.TextField(_("message from the bank"), blank=True)
    trader_message = models.TextField(_("message from the trader"), blank=True)
    flagged = models.BooleanField(_("collateral changed"), default=False)
    flag_reason = models.CharField(_("what changed"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("financing request")
        verbose_name_plural = _("financing requests")
        indexes = [
            models.Index(fields=["bank", "status", "-created_at"], name="financing_bank_queue"),
            models.Index(fields=["trader", "-created_at"], name="financing_trader_list"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="financing_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(approved_amount__isnull=True) | models.Q(approved_amount__lte=models.F("amount")),
                name="approved_not_above_requested",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def ledger_subject(self) -> str:
        return f"finance.FinancingRequest:{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Pledge(models.Model):
    """A declaration offered as collateral. ``active`` while its request is; the database lets a
    declaration have one active pledge only, so two banks cannot both accept the same goods."""

    request = models.ForeignKey(FinancingRequest, on_delete=models.CASCADE, related_name="pledges")
    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="pledges")
    declared_value = models.DecimalField(_("declared value when pledged"), **MONEY)
    value_currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    declaration_version = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    released_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        constraints = [
            models.UniqueConstraint(
                fields=["declaration"], condition=models.Q(active=True), name="one_active_pledge_per_declaration"
            ),
            models.UniqueConstraint(fields=["request", "declaration"], name="pledge_once_per_request"),
        ]

    def __str__(self) -> str:
        return f"{self.declaration} → {self.request}"


class FinancingDocument(models.Model):
    request = models.ForeignKey(FinancingRequest, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to="financing/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name


class MoneyMovement(models.Model):
    """A disbursement by the bank or a repayment by the trader, as the bank records it."""

    class Kind(models.TextChoices):
        DISBURSEMENT = "disbursement", _("Disbursement")
        REPAYMENT = "repayment", _("Repayment")

    request = models.ForeignKey(FinancingRequest, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    value_date = models.DateField(_("value date"))
    bank_reference = models.CharField(_("bank reference"), max_length=50, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["value_date", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="movement_amount_positive")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.request}"


class FinancingSequence(models.Model):
    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"
