"""Canonical JSON for ledger payloads: one byte string for one meaning.

The exact form (the standalone verifier, :mod:`portal.ledger.verifier`, does the same for
the JSON-native part, so a bank can recompute any leaf):

* UTF-8; non-ASCII characters as themselves (``ensure_ascii=False``), never ``\\u`` escapes
  (except the control characters JSON requires to be escaped);
* object keys sorted by code point; separators ``,`` and ``:``; no white space anywhere;
* ``str``, ``int``, ``bool`` and ``None`` as JSON; lists and tuples as arrays; mappings
  with string keys as objects;
* :class:`decimal.Decimal` → a JSON **string** in plain notation, never an exponent,
  keeping the scale it was given: ``Decimal("12.50")`` → ``"12.50"``, ``Decimal("1E+3")``
  → ``"1000"``, ``Decimal("-0.0001")`` → ``"-0.0001"``; NaN and infinities are rejected;
* an aware :class:`datetime.datetime` → a string in UTC, ``YYYY-MM-DDTHH:MM:SSZ``, with
  ``.ffffff`` (always six digits) before the ``Z`` only when the microseconds are not zero:
  ``"2025-03-01T08:30:00Z"``, ``"2025-03-01T08:30:00.250000Z"``; naive datetimes are
  rejected;
* :class:`datetime.date` → ``"YYYY-MM-DD"``; :class:`uuid.UUID` → its hyphenated lowercase form;
* ``float`` is rejected (money and mass are Decimals in this project), as is any other type.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal

from .verifier import canonical_bytes


class CanonicalJSONError(TypeError):
    """The value has no canonical JSON form (a float, a naive datetime, an unknown type)."""


def decimal_text(value: Decimal) -> str:
    """Plain notation without exponent, keeping the given scale (``Decimal('12.50')`` → ``'12.50'``)."""
    if not value.is_finite():
        raise CanonicalJSONError(f"{value} is not a finite decimal")
    return format(value, "f")


def datetime_text(value: dt.datetime) -> str:
    """UTC ISO 8601 with ``Z``; microseconds only when not zero."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise CanonicalJSONError(f"naive datetime {value.isoformat()} has no time zone")
    # isoformat() of a naive time writes ".ffffff" exactly when the microseconds are not zero.
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat() + "Z"


def to_json_value(value, where: str = "payload"):
    """The JSON-native value (str, int, bool, None, list, dict) that stands for ``value``."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        raise CanonicalJSONError(f"{where} is a float; use Decimal or int")
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dt.datetime):
        return datetime_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_json_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJSONError(f"{where} has a key {key!r} that is not a string")
            result[key] = to_json_value(item, f"{where}.{key}")
        return result
    raise CanonicalJSONError(f"{where} is a {type(value).__name__}, which has no canonical JSON form")


def canonical_json(value) -> bytes:
    """The canonical JSON bytes of ``value`` (see the module docstring)."""
    return canonical_bytes(to_json_value(value))


def canonical_text(value) -> str:
    return canonical_json(value).decode("utf-8")
