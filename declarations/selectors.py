"""Reads of declarations used by pages and the API alike, always scoped to the actor."""

from django.db.models import Case, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When

from portal import roles
from portal.models import User
from portal.reference_cache import reference_ports_attach

from .models import Declaration, DeclarationContainer, DeclarationItem
from .validators import normalise_container_number


def declaration_list(
    *, actor: User, search: str = "", status: str = "", lane: str = "", submitted_from=None, submitted_to=None
) -> QuerySet[Declaration]:
    """Declarations the actor may see, newest first, with the filters of the list pages.

    Traders see their organisation's declarations; customs staff those whose route touches a
    port they serve (drafts excluded). ``search`` matches a reference, a container number or
    a transport document number.
    """
    queryset = Declaration.objects.select_related("origin_port", "transfer_port", "foreign_port", "declarant")
    if roles.is_trader(actor):
        queryset = queryset.filter(declarant_id=actor.organisation_id)
    elif roles.is_customs(actor):
        ports = actor.ports_served.values("pk")
        queryset = queryset.exclude(status="draft").filter(Q(origin_port__in=ports) | Q(transfer_port__in=ports))
    else:
        return queryset.none()
    if search := search.strip():
        container = normalise_container_number(search)
        queryset = queryset.filter(
            Q(reference__iexact=search)
            | Q(transport_document_number__iexact=search)
            | Exists(DeclarationContainer.objects.filter(declaration=OuterRef("pk"), number=container))
        )
    if status:
        queryset = queryset.filter(status=status)
    if lane:
        queryset = queryset.filter(lane=lane)
    if submitted_from:
        queryset = queryset.filter(submitted_at__date__gte=submitted_from)
    if submitted_to:
        queryset = queryset.filter(submitted_at__date__lte=submitted_to)
    return queryset.order_by("-created_at", "-id")


def declaration_visible(*, actor: User, declaration_id: int) -> bool:
    """Whether the actor may see the declaration (``declaration_list``'s rule): one query, nothing read."""
    return declaration_list(actor=actor).filter(pk=declaration_id).exists()


def declaration_get(*, actor: User, declaration_id: int) -> Declaration:
    """One declaration the actor may see, with its items, containers and documents; DoesNotExist otherwise.

    Its ports come from the process's reference snapshot, not from joins (see ``reference_ports_attach``).
    """
    declaration = (
        declaration_list(actor=actor)
        .select_related(None)
        .select_related("declarant", "consignee_country", "invoice_currency", "created_by")
        .prefetch_related(
            Prefetch("items", queryset=DeclarationItem.objects.select_related("hs_code", "origin_country")),
            "containers",
            "documents",
        )
        .get(pk=declaration_id)
    )
    reference_ports_attach([declaration])
    return declaration


# --- Trader pages: home lists, keyset pages, timeline ------------------------------------------------


def declaration_waiting_for_trader(*, actor: User, limit: int = 10) -> dict[str, list[Declaration]]:
    """What a trader's home lists: drafts to finish, and declarations customs sent back to them.

    Two queries whatever the numbers; each list is cut at ``limit`` (newest first).
    """
    from .choices import Status

    if not roles.is_trader(actor):
        return {"drafts": [], "action": []}
    mine = Declaration.objects.filter(declarant_id=actor.organisation_id).select_related("origin_port")
    return {
        "drafts": list(mine.filter(status=Status.DRAFT).order_by("-updated_at", "-id")[:limit]),
        "action": list(
            mine.filter(status__in=[Status.AMENDMENT_REQUESTED, Status.INSPECTION_REQUIRED]).order_by(
                "-updated_at", "-id"
            )[:limit]
        ),
    }


def declaration_page(queryset: QuerySet[Declaration], *, after: str = "", before: str = "", size: int = 25) -> dict:
    """One page of a newest-first declaration list by keyset (created_at, id): no OFFSET, no COUNT.

    ``after`` / ``before`` are cursors from a previous page; returns the rows and the cursors
    of the next (older) and previous (newer) pages, or "" when there is none.
    """
    from .pagination import cursor_decode, cursor_encode

    position = cursor_decode(before or after)
    if position and before:
        created_at, pk = position
        rows = list(
            queryset.filter(Q(created_at__gt=created_at) | Q(created_at=created_at, id__gt=pk)).order_by(
                "created_at", "id"
            )[: size + 1]
        )
        has_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_older = True
    else:
        if position:
            created_at, pk = position
            queryset = queryset.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk))
        rows = list(queryset.order_by("-created_at", "-id")[: size + 1])
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = bool(position)
    return {
        "rows": rows,
        "next": cursor_encode(rows[-1]) if rows and has_older else "",
        "previous": cursor_encode(rows[0]) if rows and has_newer else "",
    }


def declaration_timeline(*, declaration: Declaration) -> list[dict]:
    """The declaration's history as a person reads it: created, each status change, each edit.

    One query over django-simple-history's records, oldest first. Consecutive saves that
    change nothing a person follows (totals recalculated, same status) are folded.
    """
    from .choices import Status

    records = declaration.history.order_by("history_date", "history_id").values(
        "history_date",
        "history_type",
        "history_change_reason",
        "status",
        "version",
        "history_user__username",
        "history_user__first_name",
        "history_user__last_name",
    )
    events, previous = [], None
    for record in records:
        reason = record["history_change_reason"] or ""
        action, _sep, note = reason.partition(": ")
        if previous is None:
            kind = "created"
        elif action or record["status"] != previous["status"] or record["version"] != previous["version"]:
            kind = "status"
        else:
            kind = "edited"
        name = (
            " ".join(part for part in (record["history_user__first_name"], record["history_user__last_name"]) if part)
            or record["history_user__username"]
            or ""
        )
        event = {
            "when": record["history_date"],
            "who": name,
            "status": record["status"],
            "status_label": Status(record["status"]).label,
            "kind": kind,
            "note": note if action else "",
            "version": record["version"],
        }
        if kind == "edited" and events and events[-1]["kind"] == "edited" and events[-1]["who"] == name:
            events[-1] = event  # one line for a run of draft saves by the same person
        else:
            events.append(event)
        previous = record
    return events


SEVERITY_ORDER = Case(
    When(severity="high", then=Value(0)),
    When(severity="medium", then=Value(1)),
    When(severity="low", then=Value(2)),
    default=Value(3),
)


def declaration_current_warnings(*, declaration: Declaration) -> list:
    """The warnings of the latest verification of the declaration's current version, most severe first."""
    from .models import VerificationWarning

    return list(
        VerificationWarning.objects.filter(declaration=declaration, run__version=declaration.version).order_by(
            SEVERITY_ORDER, "code", "key"
        )
    )


def declaration_queue(*, actor: User, limit: int = 20) -> dict:
    """The first ``limit`` declarations of the officer's queue (``officer_queue``: red, yellow, green,
    not yet verified, then oldest first) with their current warnings, and the number waiting per lane."""
    from .officer_queue import declaration_queue_page

    page = declaration_queue_page(actor=actor, size=limit)
    return {"queue": page["rows"], "lane_counts": page["lane_counts"], "more": bool(page["next"])}
