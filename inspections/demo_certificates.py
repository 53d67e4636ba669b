"""Demo certificates: a valid one and a revoked one on released demo declarations (run by ``seed_demo``).

Idempotent: a declaration that already has certificates is left alone. Issued and revoked
through the services, so the ledger records them and the PDFs are rendered (on commit,
by the worker, or in-process when no broker is configured).
"""

from django.db import transaction

from declarations.models import Declaration
from portal.models import User

from .certificates.services import certificate_issue, certificate_revoke
from .choices import CertificateKind

# Transport document of a released demo declaration → (kind, revocation reason or "" to keep it valid).
DEMO_CERTIFICATES = {
    "DEMO-BL-0007": (CertificateKind.PHYTOSANITARY, ""),
    "DEMO-BL-0011": (CertificateKind.QUALITY, "Issued for the wrong consignee; replaced by a new certificate."),
}


@transaction.atomic
def demo_certificates_seed() -> int:
    """Issue the demo certificates that do not exist yet; return how many were issued."""
    officer = User.objects.get(username="officer.shunde")
    supervisor = User.objects.get(username="supervisor")
    trader = User.objects.get(username="trader")
    issued = 0
    for document, (kind, revocation) in DEMO_CERTIFICATES.items():
        declaration = Declaration.objects.filter(
            transport_document_number=document, declarant=trader.organisation
        ).first()
        if declaration is None or declaration.certificates.exists():
            continue
        issuer = officer if officer.ports_served.filter(pk=declaration.origin_port_id).exists() else supervisor
        certificate = certificate_issue(
            actor=issuer,
            declaration_id=declaration.pk,
            kind=kind,
            item_ids=list(declaration.items.values_list("pk", flat=True)),
            remarks="Inspected at the port of loading; goods conform to the declaration.",
        )
        if revocation:
            certificate_revoke(actor=supervisor, certificate_id=certificate.pk, reason=revocation)
        issued += 1
    return issued
