"""Record types whose current state the public ``/verify/`` page checks against the ledger.

An app registers each record type once, at import time of its ``apps.py`` ``ready()``::

    from portal.ledger.registry import VerifiableRecord, register

    def find_certificate(reference: str) -> VerifiableRecord | None:
        certificate = Certificate.objects.filter(number=reference).first()
        if certificate is None:
            return None
        return VerifiableRecord(subject=f"inspections.Certificate:{certificate.pk}",
                                payload=certificate_ledger_payload(certificate),
                                title=_("Inspection certificate %(number)s") % {"number": reference})

    register(RecordType(prefix="CERT", label=_("Inspection certificate"), find=find_certificate))

``find`` gets the full public reference (e.g. ``CERT-2025-000123``) and returns the record's
ledger subject and the payload the app would append for it *now* — the same function the
app uses when it appends — or ``None``. The page then compares that payload with the
subject's latest ledger entry. References are matched to a type by the prefix before the
first ``-``.

Check codes: a QR code carries ``/verify/<reference>/<check>/`` where ``check`` is the first
10 characters (base32, lowercase) of HMAC-SHA256(SECRET_KEY, "portal.ledger.verify" ‖
reference). It is stable for the record's life (printed certificates keep working), and
without the secret nobody can derive the code of another reference, so references cannot
be enumerated through the page.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.crypto import constant_time_compare, salted_hmac

CHECK_CODE_LENGTH = 10


@dataclass(frozen=True)
class VerifiableRecord:
    subject: str
    payload: dict
    title: str = ""
    # Optional: a template the page includes under the verdict (e.g. "valid / revoked" and the
    # record's public data), rendered with ``context`` and ``verification``.
    template: str = ""
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RecordType:
    prefix: str
    label: str
    find: Callable[[str], VerifiableRecord | None]


_registry: dict[str, RecordType] = {}


def register(record_type: RecordType) -> RecordType:
    prefix = record_type.prefix.upper()
    if not prefix.isalnum():
        raise ValueError("a record type prefix is letters and digits only")
    existing = _registry.get(prefix)
    if existing is not None and existing.find is not record_type.find:
        raise ValueError(f"the record type prefix {prefix} is already registered")
    _registry[prefix] = record_type
    return record_type


def unregister(prefix: str) -> None:
    _registry.pop(prefix.upper(), None)


def record_type_for(reference: str) -> RecordType | None:
    prefix, dash, _rest = reference.partition("-")
    return _registry.get(prefix.upper()) if dash else None


def check_code(reference: str) -> str:
    digest = salted_hmac("portal.ledger.verify", reference, algorithm="sha256").digest()
    return base64.b32encode(digest).decode("ascii")[:CHECK_CODE_LENGTH].lower()


def check_code_matches(reference: str, code: str) -> bool:
    return constant_time_compare(check_code(reference), code.lower())


def find_record(reference: str) -> VerifiableRecord | None:
    record_type = record_type_for(reference)
    return record_type.find(reference) if record_type else None
