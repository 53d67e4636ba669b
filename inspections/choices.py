from django.db import models
from django.utils.translation import gettext_lazy as _


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("No-show")


class InspectionResult(models.TextChoices):
    PASSED = "passed", _("Passed")
    PASSED_WITH_REMARKS = "passed_with_remarks", _("Passed with remarks")
    FAILED = "failed", _("Failed")


class CertificateKind(models.TextChoices):
    HEALTH = "health", _("Health certificate")
    QUALITY = "quality", _("Quality certificate")
    PHYTOSANITARY = "phytosanitary", _("Phytosanitary certificate")
    ORIGIN = "origin", _("Certificate of origin")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")
