"""The canonical public summary of a certificate: what the ledger records at issue and at
revocation, and what the public verification page recomputes to tell whether the stored
certificate is unaltered."""

from __future__ import annotations

from ..models import Certificate

# Shown to anyone who verifies the certificate (no field may be named like a dict method, e.g.
# "items": the verification page iterates the public fields with ``.items`` in a template). The
# others (who issued and revoked it, the officer's remarks, the quantities and the consignee) are
# published only as salted hashes.
PUBLIC_SUMMARY_FIELDS = [
    "number",
    "kind",
    "status",
    "declaration",
    "exporter",
    "issuing_port",
    "goods",
    "issued_at",
    "revoked",
    "revoked_at",
    "revocation_reason",
]


def certificate_public_summary(certificate: Certificate) -> dict:
    """The certificate as the ledger records it (public fields plus the private ones it hashes).

    Pure function of the stored rows, so the verification page recomputes exactly the
    payload appended at the last issue or revocation.
    """
    declaration = certificate.declaration
    items = sorted(certificate.items.all(), key=lambda item: item.line_number)
    return {
        "number": certificate.number,
        "kind": certificate.kind,
        "status": certificate.status,
        "declaration": declaration.reference,
        "exporter": declaration.declarant.name_en,
        "issuing_port": declaration.origin_port.locode if declaration.origin_port_id else None,
        "goods": [
            {"line": item.line_number, "hs_code": item.hs_code_id, "description": item.description} for item in items
        ],
        "issued_at": certificate.issued_at,
        "revoked": certificate.revoked_at is not None,
        "revoked_at": certificate.revoked_at,
        "revocation_reason": certificate.revocation_reason,
        # Private: kept in the ledger as salted hashes only.
        "quantities": [
            {"line": item.line_number, "quantity": item.quantity, "unit": item.unit, "net_mass": item.net_mass}
            for item in items
        ],
        "consignee": declaration.consignee_name,
        "remarks": certificate.remarks,
        "issued_by": certificate.issued_by.username,
        "revoked_by": certificate.revoked_by.username if certificate.revoked_by_id else None,
    }
