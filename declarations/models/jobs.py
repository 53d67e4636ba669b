"""Background work of the customs supervisors: re-verification jobs, and the port dashboard's
weekly figures precomputed by a beat task (so the dashboard stays fast at a million declarations)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Port

from ..choices import WarningCode


class ReverifyJobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a worker")
    QUEUEING = "queueing", _("Queueing declarations")
    QUEUED = "queued", _("All declarations queued")
    FAILED = "failed", _("Failed")


class ReverifyJob(models.Model):
    """ "Re-verify all open declarations" of a supervisor's ports, queued in batches by a Celery task.

    The task walks the declarations in id order up to ``last_scope_id`` (the newest one when the
    job was started) and keeps its place in ``cursor_id``, so a run that dies is resumed, not
    repeated. How many runs have completed is read live from the verification results.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    ports = models.ManyToManyField(Port, related_name="+", verbose_name=_("ports"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReverifyJobStatus.choices, default=ReverifyJobStatus.PENDING
    )
    total = models.PositiveIntegerField(_("open declarations"), default=0)
    queued = models.PositiveIntegerField(_("declarations queued"), default=0)
    last_scope_id = models.BigIntegerField(default=0, help_text=_("Declarations up to this id are re-verified."))
    cursor_id = models.BigIntegerField(default=0, help_text=_("Declarations up to this id have been queued."))
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    queued_at = models.DateTimeField(_("all queued"), null=True, blank=True)

    class Meta:
        verbose_name = _("re-verification job")
        verbose_name_plural = _("re-verification jobs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(queued__lte=models.F("total")), name="reverify_queued_within_total"
            ),
        ]

    def __str__(self) -> str:
        return f"re-verify #{self.pk} ({self.status})"

    @property
    def queued_percent(self) -> int:
        if self.status == ReverifyJobStatus.QUEUED:
            return 100
        return int(self.queued * 100 / self.total) if self.total else 0


class DashboardWeek(models.Model):
    """One port's figures for one week (Monday to Sunday in the port's time zone), precomputed."""

    port = models.ForeignKey(Port, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField(_("week starting"))
    released = models.PositiveIntegerField(_("released"), default=0)
    median_seconds = models.PositiveIntegerField(_("median clearance time (s)"), null=True, blank=True)
    p90_seconds = models.PositiveIntegerField(_("90th percentile clearance time (s)"), null=True, blank=True)
    within_target = models.PositiveIntegerField(_("released within the target"), default=0)
    inspections_ordered = models.PositiveIntegerField(_("inspections ordered"), default=0)
    inspections_found = models.PositiveIntegerField(_("inspections that found something"), default=0)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("dashboard week")
        verbose_name_plural = _("dashboard weeks")
        constraints = [models.UniqueConstraint(fields=["port", "week_start"], name="dashboard_week_once_per_port")]

    def __str__(self) -> str:
        return f"{self.port_id} {self.week_start}"


class DashboardWarningCount(models.Model):
    """Warnings of one code on the current versions of one port's declarations of the last 12 weeks."""

    port = models.ForeignKey(Port, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=32, choices=WarningCode.choices)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    declarations = models.PositiveIntegerField(_("declarations"), default=0)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("dashboard warning count")
        verbose_name_plural = _("dashboard warning counts")
        constraints = [models.UniqueConstraint(fields=["port", "code"], name="dashboard_warning_once_per_port")]

    def __str__(self) -> str:
        return f"{self.port_id} {self.code}: {self.warnings}"
