"""The canonical public summary of a declaration: what the ledger records at every transition
and what the public verification page recomputes to tell whether the record is unaltered."""

import hashlib

from portal.ledger.canonical import canonical_json

from ..models import Declaration
from .drafts import declaration_container_values, declaration_item_values

# Shown to anyone who verifies the declaration; the other fields are kept in the ledger as hashes.
PUBLIC_SUMMARY_FIELDS = [
    "reference",
    "public_id",
    "status",
    "lane",
    "version",
    "direction",
    "procedure",
    "origin_port",
    "transfer_port",
    "foreign_port",
    "declarant",
    "item_count",
    "container_count",
    "content_digest",
]


def declaration_content_digest(declaration: Declaration) -> str:
    """SHA-256 over the canonical JSON of the goods items and containers, in line order."""
    content = {
        "items": [declaration_item_values(item) for item in declaration.items.all()],
        "containers": [declaration_container_values(container) for container in declaration.containers.all()],
    }
    return hashlib.sha256(canonical_json(content)).hexdigest()


def declaration_public_summary(declaration: Declaration) -> dict:
    """The declaration as the ledger records it (the public fields plus the private ones it hashes)."""
    return {
        "reference": declaration.reference,
        "public_id": declaration.public_id,
        "status": declaration.status,
        "lane": declaration.lane,
        "version": declaration.version,
        "direction": declaration.direction,
        "procedure": declaration.procedure,
        "origin_port": declaration.origin_port.locode if declaration.origin_port_id else None,
        "transfer_port": declaration.transfer_port.locode if declaration.transfer_port_id else None,
        "foreign_port": declaration.foreign_port.locode if declaration.foreign_port_id else None,
        "declarant": declaration.declarant.name_en,
        "item_count": declaration.item_count,
        "container_count": declaration.container_count,
        "content_digest": declaration_content_digest(declaration),
        "transport_document_number": declaration.transport_document_number,
        "consignor_name": declaration.consignor_name,
        "consignee_name": declaration.consignee_name,
        "incoterm": declaration.incoterm,
        "invoice_currency": declaration.invoice_currency_id,
        "total_packages": declaration.total_packages,
        "total_gross_mass": declaration.total_gross_mass,
        "total_net_mass": declaration.total_net_mass,
        "total_value": declaration.total_value,
    }
