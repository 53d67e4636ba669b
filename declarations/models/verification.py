"""Cross-verification: risk rules and tolerances, the queue of declarations to verify, and results."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.models import Country, Organisation, Port

from ..choices import Lane, Severity, VerificationState, WarningCode
from .declaration import MONEY, Declaration

PERCENT = {"max_digits": 5, "decimal_places": 2, "validators": [MinValueValidator(0), MaxValueValidator(100)]}


class PortRiskSettings(models.Model):
    """Tolerances and selectivity of one port; supervisors edit them, history keeps every change."""

    port = models.OneToOneField(Port, on_delete=models.PROTECT, related_name="risk_settings")
    gross_mass_tolerance_percent = models.DecimalField(
        _("gross mass tolerance (%)"),
        default=Decimal("5.00"),
        **PERCENT,
        help_text=_("Declared and manifested or weighed gross mass may differ by this much."),
    )
    temperature_tolerance = models.DecimalField(
        _("temperature tolerance (°C)"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("1.0"),
        validators=[MinValueValidator(0)],
    )
    value_anomaly_factor = models.DecimalField(
        _("value anomaly factor"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("3.00"),
        validators=[MinValueValidator(1)],
        help_text=_("A unit value below the reference minimum ÷ this, or above the maximum × this, is an anomaly."),
    )
    random_selection_percent = models.DecimalField(
        _("random selection (%)"),
        default=Decimal("5.00"),
        **PERCENT,
        help_text=_("Share of otherwise green declarations sent to a documentary check."),
    )
    yellow_score = models.PositiveSmallIntegerField(_("score for yellow"), default=15)
    red_score = models.PositiveSmallIntegerField(_("score for red"), default=40)
    auto_release_green = models.BooleanField(
        _("release green declarations automatically"),
        default=False,
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("port risk settings")
        verbose_name_plural = _("port risk settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(yellow_score__lte=models.F("red_score")), name="risk_settings_yellow_below_red"
            ),
        ]

    def __str__(self) -> str:
        return str(self.port)


class RiskRule(models.Model):
    """ASYCUDA-style selectivity: a condition on the declaration → a score, or a forced lane."""

    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    port = models.ForeignKey(
        Port,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("port of clearance"),
        help_text=_("Empty: every port."),
    )
    hs_prefix = models.CharField(_("HS code or chapter starts with"), max_length=10, blank=True)
    origin_country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("an item originates in"),
    )
    trader = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("declarant")
    )
    route_port = models.ForeignKey(
        Port, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("route includes port")
    )
    min_value = models.DecimalField(_("total value at least"), null=True, blank=True, **MONEY)
    score = models.PositiveSmallIntegerField(_("score added"), default=0)
    forced_lane = models.CharField(_("forced lane"), max_length=6, choices=Lane.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")
        constraints = [
            models.CheckConstraint(condition=~models.Q(score=0, forced_lane=""), name="risk_rule_has_effect"),
        ]

    def __str__(self) -> str:
        return self.name


class VerificationRequest(models.Model):
    """A declaration waiting for (re-)verification; at most one row per declaration, so a burst of
    evidence queues one task, not one per record.

    ``requested_at`` moves forward with every new piece of evidence; ``queued_at`` does not (it says
    how long the entry has waited, so a declaration whose evidence keeps coming is still verified);
    ``started_at`` is set when a run begins. The run removes the row only if nothing was requested
    after it started; the row of a run that died stays, and the sweep sends it again.
    """

    declaration = models.OneToOneField(
        Declaration, on_delete=models.CASCADE, primary_key=True, related_name="verification_request"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"verify {self.declaration_id}"


class VerificationRun(models.Model):
    """The result of verifying one version of a declaration; a re-run replaces it."""

    # No index of its own (models.declaration's UNINDEXED_FOREIGN_KEYS): verification_one_per_version leads with it.
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="verifications", db_index=False)
    version = models.PositiveIntegerField()
    state = models.CharField(max_length=8, choices=VerificationState.choices, default=VerificationState.DONE)
    score = models.PositiveIntegerField(default=0)
    lane = models.CharField(max_length=6, choices=Lane.choices, blank=True)
    lane_reason = models.CharField(max_length=300, blank=True)
    randomly_selected = models.BooleanField(default=False)
    runs = models.PositiveIntegerField(_("times run"), default=1)
    finished_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["declaration", "version"], name="verification_one_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id} v{self.version}: {self.lane}"


class VerificationWarning(models.Model):
    # No index of their own (models.declaration's UNINDEXED_FOREIGN_KEYS): warning_once_per_run leads with the run,
    # warning_declaration_code with the declaration.
    run = models.ForeignKey(VerificationRun, on_delete=models.CASCADE, related_name="warnings", db_index=False)
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="warnings", db_index=False)
    code = models.CharField(max_length=32, choices=WarningCode.choices)
    severity = models.CharField(max_length=6, choices=Severity.choices)
    message = models.CharField(max_length=500)
    evidence = models.JSONField(default=dict)
    key = models.CharField(max_length=100, blank=True, help_text=_("What the warning is about, e.g. a container."))
    raised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "code", "key"], name="warning_once_per_run"),
        ]
        indexes = [models.Index(fields=["declaration", "code"], name="warning_declaration_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.key}"
