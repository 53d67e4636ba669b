"""Certificates on the public verification page: ``/verify/CERT-2026-000042/<check>/``.

The certificate number is itself the public reference (its prefix is the record type's).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.ledger.registry import RecordType, VerifiableRecord, check_code

from ..models import Certificate
from .summary import certificate_public_summary

PREFIX = "CERT"


def certificate_verification_path(number: str) -> str:
    """The short path a certificate's QR code carries: its number and check code, not the document."""
    return reverse("ledger-verify-record", args=[number, check_code(number)])


def certificate_verification_url(number: str) -> str:
    """The path made absolute with ``PORTAL_BASE_URL`` (the printed PDF is read outside the portal)."""
    return settings.PORTAL_BASE_URL.rstrip("/") + certificate_verification_path(number)


def find_certificate(reference: str) -> VerifiableRecord | None:
    certificate = (
        Certificate.objects.select_related(
            "declaration__declarant", "declaration__origin_port", "issued_by", "revoked_by"
        )
        .prefetch_related("items")
        .filter(number=reference)
        .first()
    )
    if certificate is None:
        return None
    return VerifiableRecord(
        subject=certificate.ledger_subject,
        payload=certificate_public_summary(certificate),
        title=_("Inspection certificate %(number)s") % {"number": certificate.number},
        template="inspections/certificates/_verify_block.html",
        context={"certificate": certificate},
    )


CERTIFICATE_RECORD = RecordType(prefix=PREFIX, label=gettext_lazy("Inspection certificate"), find=find_certificate)
