"""The officers' queue: declarations awaiting a decision at the ports an officer serves.

Order: red → yellow → green → not yet verified, then oldest first — the key
``(queue_rank, submitted_at, id)``, where ``queue_rank`` is stored on the declaration by the
workflow services whenever the lane changes (``services.workflow._record``) and a partial index
covers exactly the declarations awaiting a decision. Pages are cut by keyset on that key, so a
page costs the same at row 20 or row 200,000 and a declaration that arrives while an officer
pages (it sorts after every older one of its lane) never makes a row repeat or disappear.

A declaration whose lane changes while the officer pages moves in the order, like any live
list; the page the officer is on shows it in its new place at the next poll.
"""

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from portal import roles
from portal.models import PORTS_TIME_ZONE, User
from portal.reference_cache import reference_ports_attach

from .choices import AWAITING_DECISION, Lane
from .models import Declaration, DeclarationContainer, DeclarationItem, Hold, VerificationWarning
from .models.declaration import warning_codes_text
from .validators import normalise_container_number

NOT_VERIFIED = "none"  # the lane filter's and the counts' name for "no lane yet"
LANE_KEYS = (Lane.RED.value, Lane.YELLOW.value, Lane.GREEN.value, NOT_VERIFIED)
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class QueueFilters:
    """What an officer narrowed the queue to; every field optional."""

    lane: str = ""  # red, yellow, green or "none" (not yet verified)
    status: str = ""
    warning_code: str = ""  # a warning of the declaration's current version
    trader: int | None = None  # the declarant organisation's id
    hs_chapter: str = ""  # two digits; any item of the declaration
    submitted_from: date | None = None  # dates in the ports' local time, both ends included
    submitted_to: date | None = None
    search: str = ""  # reference, container number or transport document number

    @classmethod
    def of(cls, values: dict) -> "QueueFilters":
        return cls(**{name: value for name, value in values.items() if name in cls.__dataclass_fields__ and value})


def declaration_queue_scope(*, actor: User) -> QuerySet[Declaration]:
    """Every declaration awaiting a decision whose route touches a port the actor serves; none for non-customs."""
    if not roles.is_customs(actor):
        return Declaration.objects.none()
    ports = actor.ports_served.values("pk")
    return Declaration.objects.filter(status__in=AWAITING_DECISION, submitted_at__isnull=False).filter(
        Q(origin_port__in=ports) | Q(transfer_port__in=ports)
    )


def _local_midnight(day: date) -> datetime:
    """Midnight starting ``day`` in the ports' time, no earlier than the first moment of year 1 in UTC.

    East of Greenwich, midnight of 1 January of year 1 falls in year 0 in UTC, which SQLite's
    backend cannot write (it converts to naive UTC); no declaration is submitted that early.
    """
    midnight = datetime.combine(day, time.min, tzinfo=PORTS_TIME_ZONE)
    return max(midnight, datetime.min.replace(tzinfo=UTC))


def _filtered(queryset: QuerySet[Declaration], filters: QueueFilters, *, with_lane: bool = True):
    if with_lane and filters.lane:
        queryset = queryset.filter(lane="" if filters.lane == NOT_VERIFIED else filters.lane)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.warning_code:
        # The codes of the current version's warnings, stored on the declaration by the verification
        # services and covered by the queue's index: no look-up in the warnings per declaration.
        queryset = queryset.filter(current_warning_codes__contains=warning_codes_text([filters.warning_code]))
    if filters.trader:
        queryset = queryset.filter(declarant_id=filters.trader)
    if filters.hs_chapter:
        queryset = queryset.filter(
            Exists(
                DeclarationItem.objects.filter(
                    declaration=OuterRef("pk"),
                    hs_code__code__startswith=filters.hs_chapter,
                )
            )
        )
    # Whole local days: from midnight of the first day up to (not including) midnight after the last.
    if filters.submitted_from:
        queryset = queryset.filter(submitted_at__gte=_local_midnight(filters.submitted_from))
    if filters.submitted_to and filters.submitted_to < date.max:
        queryset = queryset.filter(submitted_at__lt=_local_midnight(filters.submitted_to + timedelta(days=1)))
    if search := filters.search.strip():
        queryset = queryset.filter(
            Q(reference=search.upper())
            | Q(transport_document_number__iexact=search)
            | Exists(
                DeclarationContainer.objects.filter(
                    declaration=OuterRef("pk"), number=normalise_container_number(search)
                )
            )
        )
    return queryset


def declaration_queue_list(*, actor: User, filters: QueueFilters = QueueFilters()) -> QuerySet[Declaration]:
    """The actor's queue with ``filters`` applied, in queue order (not yet cut into pages)."""
    return _filtered(declaration_queue_scope(actor=actor), filters).order_by("queue_rank", "submitted_at", "id")


def declaration_queue_lane_counts(*, actor: User, filters: QueueFilters = QueueFilters()) -> dict[str, int]:
    """How many declarations of the filtered queue wait in each lane (one query).

    The lane filter itself is left out, so the counts show how the other filters' result splits
    across the lanes — the officer can see what a lane filter would give before choosing it.
    """
    rows = (
        _filtered(declaration_queue_scope(actor=actor), filters, with_lane=False)
        .order_by()
        .values_list("lane")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(LANE_KEYS, 0)
    for lane, number in rows:
        counts[lane or NOT_VERIFIED] = number
    return counts


# --- cursors --------------------------------------------------------------------------------------------------


def queue_cursor_encode(row: Declaration) -> str:
    raw = f"{row.queue_rank}|{row.submitted_at.isoformat()}|{row.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def queue_cursor_decode(cursor: str) -> tuple[int, datetime, int] | None:
    """The (queue_rank, submitted_at, id) a cursor stands for, or None for a missing or tampered cursor."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        rank, stamp, pk = raw.split("|")
        submitted_at = datetime.fromisoformat(stamp)
        if submitted_at.tzinfo is None:
            return None
        return int(rank), submitted_at, int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


def _after(position: tuple[int, datetime, int]) -> Q:
    rank, submitted_at, pk = position
    # The leading ``queue_rank >= rank`` lets the database start its index scan at the cursor.
    return Q(queue_rank__gte=rank) & (
        Q(queue_rank__gt=rank) | Q(submitted_at__gt=submitted_at) | Q(submitted_at=submitted_at, id__gt=pk)
    )


def _before(position: tuple[int, datetime, int]) -> Q:
    rank, submitted_at, pk = position
    return Q(queue_rank__lte=rank) & (
        Q(queue_rank__lt=rank) | Q(submitted_at__lt=submitted_at) | Q(submitted_at=submitted_at, id__lt=pk)
    )


# --- one page -------------------------------------------------------------------------------------------------


def _decorated(queryset: QuerySet[Declaration]) -> QuerySet[Declaration]:
    current_warnings = (
        VerificationWarning.objects.filter(declaration=OuterRef("pk"), run__version=OuterRef("version"))
        .order_by()
        .values("declaration")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # The ports come from the reference snapshot (``_attach_details``): joined, they cost more to plan than to read.
    return queryset.select_related("declarant", "assignment__officer").annotate(
        warning_count=Coalesce(Subquery(current_warnings), Value(0)),
        on_hold=Exists(Hold.objects.filter(declaration=OuterRef("pk"), lifted_at__isnull=True)),
    )


def _attach_details(rows: list[Declaration]) -> None:
    """Each row's current warning codes (stored on it), its assignee (already joined) and its ports."""
    reference_ports_attach(rows, ("origin_port", "transfer_port"))
    for row in rows:
        row.warning_codes = row.current_warning_codes.split()
        try:
            row.assignee = row.assignment.officer
            row.assigned_at = row.assignment.assigned_at
        except Declaration.assignment.RelatedObjectDoesNotExist:
            row.assignee = None
            row.assigned_at = None


def declaration_queue_page(
    *, actor: User, filters: QueueFilters = QueueFilters(), after: str = "", before: str = "", size: int = 25
) -> dict:
    """One page of the actor's filtered queue, with cursors and the counts per lane.

    Returns ``rows`` (each with ``warning_count``, ``warning_codes``, ``on_hold``, ``assignee``,
    ``assigned_at``), ``next`` / ``previous`` cursors ("" when there is none) and ``lane_counts``.
    Two queries whatever ``size``: the page and the counts.
    """
    size = max(1, min(size, MAX_PAGE_SIZE))
    queryset = _decorated(declaration_queue_list(actor=actor, filters=filters))
    position = queue_cursor_decode(before or after)
    if position and before:
        rows = list(queryset.filter(_before(position)).order_by("-queue_rank", "-submitted_at", "-id")[: size + 1])
        has_previous = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_next = True
    else:
        if position:
            queryset = queryset.filter(_after(position))
        rows = list(queryset[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_previous = bool(position)
    _attach_details(rows)
    return {
        "rows": rows,
        "next": queue_cursor_encode(rows[-1]) if rows and has_next else "",
        "previous": queue_cursor_encode(rows[0]) if rows and has_previous else "",
        "lane_counts": declaration_queue_lane_counts(actor=actor, filters=filters),
    }
