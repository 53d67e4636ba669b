"""What carriers, terminals and IoT platforms report: manifests, container events, sensor readings.

Every record keeps the organisation that sent it and that organisation's own id for it;
the pair is unique, so a record sent again is recognised and not stored twice.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Organisation, Port

from ..choices import ContainerEventType, SensorKind
from .declaration import MASS


class LogisticsRecord(models.Model):
    # No index of their own (models.declaration's UNINDEXED_FOREIGN_KEYS): the source leads each record's unique
    # (source, external id); nothing reads container events by port.
    source = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent by"), db_index=False
    )
    external_id = models.CharField(_("sender's id"), max_length=100)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        abstract = True


class Manifest(LogisticsRecord):
    carrier = models.CharField(_("carrier"), max_length=200)
    vessel = models.CharField(_("vessel or barge"), max_length=100)
    voyage = models.CharField(_("voyage"), max_length=50)
    port_of_loading = models.ForeignKey(
        Port, on_delete=models.PROTECT, related_name="+", verbose_name=_("port of loading")
    )
    port_of_discharge = models.ForeignKey(
        Port, on_delete=models.PROTECT, related_name="+", verbose_name=_("port of discharge")
    )

    class Meta:
        verbose_name = _("manifest")
        verbose_name_plural = _("manifests")
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="manifest_source_external_id")]

    def __str__(self) -> str:
        return f"{self.vessel} {self.voyage} {self.port_of_loading_id}→{self.port_of_discharge_id}"


class ManifestLine(models.Model):
    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="lines")
    transport_document_number = models.CharField(_("transport document number"), max_length=35)
    consignee_name = models.CharField(_("consignee"), max_length=200)
    packages = models.PositiveIntegerField(_("packages"))
    gross_mass = models.DecimalField(_("gross mass (kg)"), **MASS)
    containers = models.JSONField(_("container numbers"), default=list)

    class Meta:
        verbose_name = _("manifest line")
        verbose_name_plural = _("manifest lines")
        indexes = [models.Index(fields=["transport_document_number"], name="manifest_line_document")]

    def __str__(self) -> str:
        return self.transport_document_number


class ContainerEvent(LogisticsRecord):
    container_number = models.CharField(_("container number"), max_length=11)
    event_type = models.CharField(_("event"), max_length=12, choices=ContainerEventType.choices)
    port = models.ForeignKey(Port, on_delete=models.PROTECT, related_name="+", verbose_name=_("port"), db_index=False)
    vessel = models.CharField(_("vessel or barge"), max_length=100, blank=True)
    voyage = models.CharField(_("voyage"), max_length=50, blank=True)
    occurred_at = models.DateTimeField(_("time"))
    seal_number = models.CharField(_("seal number seen"), max_length=35, blank=True)
    weight = models.DecimalField(_("weight (kg)"), null=True, blank=True, **MASS)

    class Meta:
        verbose_name = _("container event")
        verbose_name_plural = _("container events")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="container_event_source_external_id")
        ]
        indexes = [models.Index(fields=["container_number", "occurred_at"], name="container_event_timeline")]

    def __str__(self) -> str:
        return f"{self.container_number} {self.event_type} {self.port_id} {self.occurred_at:%Y-%m-%d %H:%M}"


class SensorReading(LogisticsRecord):
    container_number = models.CharField(_("container number"), max_length=11)
    device = models.CharField(_("device"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=SensorKind.choices)
    value = models.CharField(
        _("value"),
        max_length=100,
        help_text=_("A number for temperature and weight; open/closed for seals; “latitude,longitude” for positions."),
    )
    read_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("sensor reading")
        verbose_name_plural = _("sensor readings")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="sensor_reading_source_external_id")
        ]
        indexes = [models.Index(fields=["container_number", "read_at"], name="sensor_reading_timeline")]

    def __str__(self) -> str:
        return f"{self.container_number} {self.kind}={self.value}"
