"""How a stored entry becomes its public document and its leaf data.

The leaf data of entry ``seq`` is the canonical JSON of::

    {"created_at": "<UTC, canonical>", "kind": ..., "private": {field: hex hash, ...},
     "public": {field: value, ...}, "seq": seq, "subject": ...}

where ``public`` holds the payload fields named in ``public_fields`` and ``private`` a
salted SHA-256 commitment to every other field (:func:`verifier.private_field_hash`).
Anyone can recompute the leaf hash from the public document the API serves; the portal
(and ``verify_ledger``) recompute it from the full stored payload.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from .canonical import datetime_text
from .verifier import canonical_bytes, leaf_hash, private_field_hash


def split_payload(payload: dict, public_fields: Iterable[str], salt: str) -> tuple[dict, dict]:
    """(public values, private field hashes) of a JSON-native payload."""
    public_names = set(public_fields)
    public, private = {}, {}
    for name, value in payload.items():
        if name in public_names:
            public[name] = value
        else:
            private[name] = private_field_hash(name, salt, value)
    return public, private


def entry_document(*, seq: int, kind: str, subject: str, created_at: str, payload: dict,
                   public_fields: Iterable[str], salt: str) -> dict:
    public, private = split_payload(payload, public_fields, salt)
    return {"created_at": created_at, "kind": kind, "private": private, "public": public, "seq": seq,
            "subject": subject}


def entry_leaf_hash(*, seq: int, kind: str, subject: str, created_at: str, payload: dict,
                    public_fields: Iterable[str], salt: str) -> bytes:
    document = entry_document(seq=seq, kind=kind, subject=subject, created_at=created_at, payload=payload,
                              public_fields=public_fields, salt=salt)
    return leaf_hash(canonical_bytes(document))


def stored_entry_document(entry) -> dict:
    """The public document of a LedgerEntry row, recomputed from its stored payload."""
    return entry_document(seq=entry.seq, kind=entry.kind, subject=entry.subject,
                          created_at=datetime_text(entry.created_at), payload=json.loads(entry.payload),
                          public_fields=entry.public_fields, salt=entry.salt)
