"""Declarations on the public verification page: ``/verify/DECL-<reference>/<check>/``."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.ledger.registry import RecordType, VerifiableRecord, check_code

from .models import Declaration
from .services.summary import declaration_public_summary

PREFIX = "DECL"


def declaration_verification_reference(declaration: Declaration) -> str:
    return f"{PREFIX}-{declaration.reference}"


def declaration_verification_path(declaration: Declaration) -> str:
    """The path a receipt's QR code carries (short: reference and check code, not the document)."""
    reference = declaration_verification_reference(declaration)
    return reverse("ledger-verify-record", args=[reference, check_code(reference)])


def find_declaration(reference: str) -> VerifiableRecord | None:
    declaration_reference = reference.partition("-")[2]
    declaration = (
        Declaration.objects.select_related("origin_port", "transfer_port", "foreign_port", "declarant")
        .filter(reference=declaration_reference)
        .first()
    )
    if declaration is None:
        return None
    return declaration_verifiable_record(declaration)


def declaration_verifiable_record(declaration: Declaration) -> VerifiableRecord:
    """The declaration as the ledger check sees it, from a declaration already loaded with its
    ports, declarant, items and containers (``declaration_get``): no query of its own."""
    return VerifiableRecord(
        subject=declaration.ledger_subject,
        payload=declaration_public_summary(declaration),
        title=_("Customs declaration %(reference)s") % {"reference": declaration.reference},
    )


DECLARATION_RECORD = RecordType(prefix=PREFIX, label=gettext_lazy("Customs declaration"), find=find_declaration)
