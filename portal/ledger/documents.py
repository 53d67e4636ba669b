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

from collections.abc import Iterable
from hashlib import sha256
from json.decoder import JSONDecoder, scanstring
from json.encoder import encode_basestring
from json.scanner import make_scanner

from .canonical import datetime_text
from .verifier import (
    _CANONICAL_ENCODER,
    _reject_float,
    canonical_bytes,
    leaf_hash,
    loads_canonical,
    private_field_hash,
)


def split_payload(payload: dict, public_fields: Iterable[str], salt: str, *, checked: bool = True) -> tuple[dict, dict]:
    """(public values, private field hashes) of a JSON-native payload."""
    public_names = set(public_fields)
    public, private = {}, {}
    for name, value in payload.items():
        if name in public_names:
            public[name] = value
        else:
            private[name] = private_field_hash(name, salt, value, checked=checked)
    return public, private


def entry_document(
    *,
    seq: int,
    kind: str,
    subject: str,
    created_at: str,
    payload: dict,
    public_fields: Iterable[str],
    salt: str,
    checked: bool = True,
) -> dict:
    public, private = split_payload(payload, public_fields, salt, checked=checked)
    return {
        "created_at": created_at,
        "kind": kind,
        "private": private,
        "public": public,
        "seq": seq,
        "subject": subject,
    }


def entry_leaf_hash(
    *,
    seq: int,
    kind: str,
    subject: str,
    created_at: str,
    payload: dict,
    public_fields: Iterable[str],
    salt: str,
    checked: bool = True,
) -> bytes:
    """The leaf hash; ``checked=False`` when ``payload`` came from :func:`verifier.loads_canonical`
    and the other arguments are known to be strings and an integer."""
    document = entry_document(
        seq=seq,
        kind=kind,
        subject=subject,
        created_at=created_at,
        payload=payload,
        public_fields=public_fields,
        salt=salt,
        checked=checked,
    )
    return leaf_hash(canonical_bytes(document, checked=checked))


def stored_entry_document(entry) -> dict:
    """The public document of a LedgerEntry row, recomputed from its stored payload."""
    return entry_document(
        seq=entry.seq,
        kind=entry.kind,
        subject=entry.subject,
        created_at=datetime_text(entry.created_at),
        payload=loads_canonical(entry.payload),
        public_fields=entry.public_fields,
        salt=entry.salt,
    )


_encode = _CANONICAL_ENCODER.encode


def stored_leaf_hash(
    seq: int, kind: str, subject: str, created_at: str, payload_text: str, public_names: frozenset, salt: str
) -> bytes:
    """:func:`entry_leaf_hash` for a stored row, built for the audit's speed; the same bytes.

    The private field commitment's canonical object ``{"field", "salt", "value"}`` has its keys
    already in sorted order, so it is written directly instead of encoding a dict per field.
    """
    payload = loads_canonical(payload_text)
    public, private = {}, {}
    middle = ',"salt":' + encode_basestring(salt) + ',"value":'
    for name, value in payload.items():
        if name in public_names:
            public[name] = value
        else:
            commitment = '{"field":' + encode_basestring(name) + middle + _encode(value) + "}"
            private[name] = sha256(commitment.encode("utf-8")).hexdigest()
    document = {
        "created_at": created_at,
        "kind": kind,
        "private": private,
        "public": public,
        "seq": seq,
        "subject": subject,
    }
    return sha256(b"\x00" + _encode(document).encode("utf-8")).digest()


# The same value scanner as :func:`verifier.loads_canonical` (C implementation, fractions refused).
_scan_value = make_scanner(JSONDecoder(parse_float=_reject_float, parse_constant=_reject_float))


def spliced_leaf_hash(
    seq: int, kind: str, subject: str, created_at: str, payload_text: str, public_names: frozenset, salt: str
) -> bytes | None:
    """:func:`stored_leaf_hash` without re-encoding: the leaf document spliced from the stored text.

    A canonical payload is ``{"key":value,...}`` with the keys sorted and every key and value
    already in canonical form, so the leaf document (and each private commitment) can be
    written from slices of the stored text: each member is found with the JSON scanner (which
    checks it is valid JSON without fractions) and copied verbatim. Returns ``None`` when the
    text does not have that flat shape (white space between members, not an object, invalid
    JSON); the caller then falls back to :func:`stored_leaf_hash`.

    For a canonical text the result equals :func:`stored_leaf_hash` (a property test checks
    it). For any other text it may differ — a payload with the same meaning written another
    way — so a result that does not match the stored leaf is never reported on its own: the
    caller recomputes with :func:`stored_leaf_hash`, which decides. A result that *does*
    match means the spliced bytes are the canonical leaf document hashed when the entry was
    appended (SHA-256 being collision resistant), so every member of the text is, verbatim,
    the canonical form of a member of the original payload and nothing else is there: the
    text means the original payload, and :func:`stored_leaf_hash` matches too.
    """
    if payload_text[:1] != "{" or payload_text[-1:] != "}":
        return None
    end_of_text = len(payload_text) - 1
    salted = ',"salt":' + encode_basestring(salt) + ',"value":'
    public, private = [], []
    position = 1
    try:
        if end_of_text > 1:
            while True:
                if payload_text[position] != '"':
                    return None
                name, colon = scanstring(payload_text, position + 1, True)
                if payload_text[colon] != ":":
                    return None
                _value, end = _scan_value(payload_text, colon + 1)
                if name in public_names:
                    public.append(payload_text[position:end])
                else:
                    name_text = payload_text[position:colon]
                    commitment = '{"field":' + name_text + salted + payload_text[colon + 1 : end] + "}"
                    private.append(name_text + ':"' + sha256(commitment.encode("utf-8")).hexdigest() + '"')
                separator = payload_text[end]
                if separator == "}":
                    if end != end_of_text:
                        return None
                    break
                if separator != ",":
                    return None
                position = end + 1
    except (ValueError, StopIteration, IndexError):  # invalid JSON, a fraction, a truncated text
        return None
    document = (
        '{"created_at":'
        + encode_basestring(created_at)
        + ',"kind":'
        + encode_basestring(kind)
        + ',"private":{'
        + ",".join(private)
        + '},"public":{'
        + ",".join(public)
        + '},"seq":'
        + str(seq)
        + ',"subject":'
        + encode_basestring(subject)
        + "}"
    )
    return sha256(b"\x00" + document.encode("utf-8")).digest()
