"""CSV files of logistics records uploaded through the browser, and how far their processing got."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Organisation


class LogisticsUploadKind(models.TextChoices):
    MANIFESTS = "manifests", _("Manifests")
    CONTAINER_EVENTS = "container_events", _("Container events")
    SENSOR_READINGS = "sensor_readings", _("Sensor readings")


class LogisticsUploadStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a worker")
    RUNNING = "running", _("Checking rows")
    SUCCEEDED = "succeeded", _("Stored")
    FAILED = "failed", _("Nothing stored")


def logistics_upload_path(instance: "LogisticsUpload", filename: str) -> str:
    # The stored name is ours; the sender's file name is kept in ``file_name`` for display only.
    return f"logistics-uploads/{instance.organisation_id}/{timezone.now():%Y/%m}/{instance.kind}.csv"


class LogisticsUpload(models.Model):
    """One CSV file of one record kind; processed all or nothing by a Celery task."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    kind = models.CharField(_("records"), max_length=20, choices=LogisticsUploadKind.choices)
    file = models.FileField(_("file"), upload_to=logistics_upload_path)
    file_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=LogisticsUploadStatus.choices, default=LogisticsUploadStatus.PENDING
    )
    attempt = models.PositiveIntegerField(
        _("attempt"), default=0, help_text=_("Raised by each run; only the latest run writes results.")
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_processed = models.PositiveIntegerField(_("rows checked"), default=0)
    received = models.PositiveIntegerField(_("records received"), default=0)
    stored = models.PositiveIntegerField(_("records stored"), default=0)
    duplicates = models.PositiveIntegerField(_("records already stored"), default=0)
    errors = models.JSONField(
        _("errors"), default=list, blank=True, help_text=_("Each error as {row, field, message}; row 1 is the header.")
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("logistics upload")
        verbose_name_plural = _("logistics uploads")
        indexes = [models.Index(fields=["organisation", "-created_at"], name="logistics_upload_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rows_processed__lte=models.F("rows_total")),
                name="logistics_upload_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.status in (LogisticsUploadStatus.SUCCEEDED, LogisticsUploadStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == LogisticsUploadStatus.SUCCEEDED:
            return 100
        return int(self.rows_processed * 100 / self.rows_total) if self.rows_total else 0
