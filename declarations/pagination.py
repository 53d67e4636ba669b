"""Opaque cursors for keyset pagination of newest-first lists ordered by (created_at, id)."""

import base64
from datetime import datetime


def cursor_encode(row) -> str:
    raw = f"{row.created_at.isoformat()}|{row.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime, int] | None:
    """The (created_at, id) a cursor stands for, or None for a missing or tampered cursor."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.split("|")
        created_at = datetime.fromisoformat(stamp)
        if created_at.tzinfo is None:
            return None
        return created_at, int(pk)
    except (ValueError, UnicodeDecodeError):
        return None
