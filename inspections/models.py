"""Inspection sites and their slots, bookings, inspections with their results, and certificates."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from declarations.models import Declaration, DeclarationItem
from portal.models import Port, localised

from .choices import BookingStatus, CertificateKind, CertificateStatus, InspectionResult


class InspectionSite(models.Model):
    port = models.ForeignKey(Port, on_delete=models.PROTECT, related_name="inspection_sites")
    name_en = models.CharField(_("name (English)"), max_length=150)
    name_zh = models.CharField(_("name (Chinese)"), max_length=150, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    opens_at = models.TimeField(_("opens at"), help_text=_("Local time of the port."))
    closes_at = models.TimeField(_("closes at"))
    weekdays = models.CharField(
        _("open on weekdays"),
        max_length=13,
        default="0,1,2,3,4",
        help_text=_("Comma-separated, 0 = Monday … 6 = Sunday."),
    )
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=60)
    capacity_per_slot = models.PositiveSmallIntegerField(_("inspections per slot"), default=2)
    cutoff_hours = models.PositiveSmallIntegerField(
        _("booking cut-off (hours)"),
        default=24,
        help_text=_("Bookings can be made, moved or cancelled until this long before the slot starts."),
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["port__locode", "name_en"]
        verbose_name = _("inspection site")
        verbose_name_plural = _("inspection sites")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens_at__lt=models.F("closes_at")), name="site_opens_before_close"
            ),
            models.CheckConstraint(
                condition=models.Q(slot_minutes__gt=0, capacity_per_slot__gt=0),
                name="site_slot_length_and_capacity_positive",
            ),
        ]

    def __str__(self) -> str:
        return localised(self.name_en, self.name_zh)

    @property
    def open_weekdays(self) -> set[int]:
        return {int(day) for day in self.weekdays.split(",") if day.strip().isdigit()}


class SiteClosure(models.Model):
    site = models.ForeignKey(InspectionSite, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["site", "date"], name="one_closure_per_site_day")]

    def __str__(self) -> str:
        return f"{self.site} closed {self.date}"


class InspectionSlot(models.Model):
    site = models.ForeignKey(InspectionSite, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)

    class Meta:
        ordering = ["starts_at", "site_id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "starts_at"], name="one_slot_per_site_start"),
            # The database itself refuses overbooking, whatever the code does.
            models.CheckConstraint(condition=models.Q(booked__lte=models.F("capacity")), name="slot_not_overbooked"),
        ]
        indexes = [models.Index(fields=["site", "starts_at"], name="slot_site_start")]

    def __str__(self) -> str:
        return f"{self.site} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return self.capacity - self.booked


class Inspection(models.Model):
    """One physical inspection of a declaration's goods; its result counts for both ports of the pair."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="inspections")
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ordered_at = models.DateTimeField(default=timezone.now)
    override_reason = models.CharField(
        _("reason for a second inspection"),
        max_length=500,
        blank=True,
        help_text=_("A supervisor's reason for inspecting again goods another port already inspected."),
    )
    result = models.CharField(_("result"), max_length=20, choices=InspectionResult.choices, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)
    new_seal_numbers = models.JSONField(
        _("new seals applied"),
        default=dict,
        blank=True,
        help_text=_("Container number → seal number applied after inspection."),
    )
    port = models.ForeignKey(
        Port, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("inspected at port")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-ordered_at", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return f"inspection of {self.declaration} ({self.result or 'pending'})"


class Booking(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="bookings")
    slot = models.ForeignKey(InspectionSlot, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(_("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.BOOKED)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    booked_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-booked_at", "-id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            models.UniqueConstraint(
                fields=["inspection"], condition=models.Q(status="booked"), name="one_live_booking_per_inspection"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspection.declaration} @ {self.slot}"


class InspectionFinding(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    item = models.ForeignKey(DeclarationItem, on_delete=models.PROTECT, related_name="+")
    conforms = models.BooleanField(_("conforms to the declaration"), default=True)
    note = models.CharField(_("finding"), max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="one_finding_per_item")]

    def __str__(self) -> str:
        return f"{self.item}: {'ok' if self.conforms else self.note}"


def photo_path(instance, filename: str) -> str:
    extension = {"image/jpeg": ".jpg", "image/png": ".png"}.get(instance.content_type, "")
    return f"inspections/{instance.inspection_id}/{uuid.uuid4().hex}{extension}"


class InspectionPhoto(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"photo {self.pk} of {self.inspection_id}"


class PortInspectionSettings(models.Model):
    port = models.OneToOneField(Port, on_delete=models.PROTECT, related_name="inspection_settings")
    release_on_pass = models.BooleanField(
        _("release when the inspection passes"),
        default=False,
        help_text=_("Otherwise a passed declaration goes back to the officer for release."),
    )
    history = HistoricalRecords()

    def __str__(self) -> str:
        return str(self.port)


class Certificate(models.Model):
    number = models.CharField(_("number"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=15, choices=CertificateKind.choices)
    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="certificates")
    items = models.ManyToManyField(DeclarationItem, related_name="certificates", verbose_name=_("items covered"))
    status = models.CharField(
        _("status"), max_length=8, choices=CertificateStatus.choices, default=CertificateStatus.VALID
    )
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    remarks = models.TextField(_("remarks"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(_("reason for revocation"), max_length=500, blank=True)
    pdf = models.FileField(upload_to="certificates/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_rendered_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(m2m_fields=[items])

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="valid") | ~models.Q(revocation_reason=""),
                name="revoked_certificate_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def ledger_subject(self) -> str:
        return f"inspections.Certificate:{self.pk}"


class CertificateSequence(models.Model):
    """The last certificate number per year; locked while a number is taken."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"
