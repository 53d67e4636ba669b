"""Reads of sites, slots, bookings and inspections for pages and the API, scoped to the actor.

Another organisation's booking or inspection is not found (``DoesNotExist`` → 404), never forbidden.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from declarations.models import Declaration, DeclarationContainer, DeclarationItem
from portal import roles
from portal.models import User

from .choices import BookingStatus
from .models import Booking, Inspection, InspectionFinding, InspectionSite, InspectionSlot
from .services import declaration_ports


def _served_port_ids(actor: User) -> list[int]:
    return list(actor.ports_served.values_list("pk", flat=True)) if roles.is_customs(actor) else []


def inspection_list(*, actor: User) -> QuerySet[Inspection]:
    """Inspections the actor may see: their organisation's declarations (trader), or those touching their ports."""
    queryset = Inspection.objects.select_related("declaration__origin_port", "declaration__transfer_port", "port")
    if roles.is_trader(actor):
        return queryset.filter(declaration__declarant_id=actor.organisation_id)
    if roles.is_customs(actor):
        ports = _served_port_ids(actor)
        return queryset.filter(Q(declaration__origin_port_id__in=ports) | Q(declaration__transfer_port_id__in=ports))
    return queryset.none()


def inspection_get(*, actor: User, inspection_id: int) -> Inspection:
    return inspection_list(actor=actor).get(pk=inspection_id)


def declaration_for_inspections(*, actor: User, declaration_id: int) -> Declaration:
    """The declaration (with its ports) if the actor may see its inspections; DoesNotExist otherwise."""
    queryset = Declaration.objects.select_related("origin_port", "transfer_port", "declarant")
    if roles.is_trader(actor):
        return queryset.get(pk=declaration_id, declarant_id=actor.organisation_id)
    if roles.is_customs(actor):
        ports = _served_port_ids(actor)
        return queryset.exclude(status="draft").get(
            Q(origin_port_id__in=ports) | Q(transfer_port_id__in=ports), pk=declaration_id
        )
    raise Declaration.DoesNotExist


def declaration_inspections(*, declaration: Declaration) -> list[Inspection]:
    """Every inspection of the declaration with its bookings, findings and photos: five queries whatever the numbers."""
    return list(
        Inspection.objects.filter(declaration=declaration)
        .select_related("port", "ordered_by", "recorded_by")
        .prefetch_related(
            Prefetch("bookings", queryset=Booking.objects.select_related("slot__site__port").order_by("-booked_at")),
            Prefetch(
                "findings", queryset=InspectionFinding.objects.select_related("item").order_by("item__line_number")
            ),
            "photos",
        )
    )


def booking_list(*, actor: User, status: str = "", site_id: int | None = None) -> QuerySet[Booking]:
    """Bookings of the actor's organisation (trader) or at sites of the ports they serve (customs), newest first."""
    queryset = Booking.objects.select_related("slot__site__port", "inspection__declaration", "booked_by")
    if roles.is_trader(actor):
        queryset = queryset.filter(inspection__declaration__declarant_id=actor.organisation_id)
    elif roles.is_customs(actor):
        ports = _served_port_ids(actor)
        queryset = queryset.filter(
            Q(slot__site__port_id__in=ports)
            | Q(inspection__declaration__origin_port_id__in=ports)
            | Q(inspection__declaration__transfer_port_id__in=ports)
        )
    else:
        return queryset.none()
    if status:
        queryset = queryset.filter(status=status)
    if site_id:
        queryset = queryset.filter(slot__site_id=site_id)
    return queryset.order_by("-booked_at", "-id")


def booking_get(*, actor: User, booking_id: int) -> Booking:
    return booking_list(actor=actor).get(pk=booking_id)


def site_list(*, port_ids: list[int] | None = None, active_only: bool = True) -> QuerySet[InspectionSite]:
    queryset = InspectionSite.objects.select_related("port")
    if port_ids is not None:
        queryset = queryset.filter(port_id__in=port_ids)
    return queryset.filter(active=True) if active_only else queryset


def sites_for_supervisor(*, actor: User) -> QuerySet[InspectionSite]:
    if not roles.is_supervisor(actor):
        return InspectionSite.objects.none()
    return site_list(port_ids=_served_port_ids(actor), active_only=False).prefetch_related("closures")


def sites_for_declaration(*, declaration: Declaration) -> QuerySet[InspectionSite]:
    return site_list(port_ids=declaration_ports(declaration))


def site_day_bounds(site: InspectionSite, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(site.port.timezone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    return start, start + timedelta(days=1)


def slots_free(*, site: InspectionSite, day: date, now: datetime | None = None) -> list[InspectionSlot]:
    """A site's slots on a local day that still have a place and are before the site's cut-off: one query."""
    start, end = site_day_bounds(site, day)
    earliest = (now or timezone.now()) + timedelta(hours=site.cutoff_hours)
    slots = InspectionSlot.objects.filter(site=site, starts_at__gte=max(start, earliest), starts_at__lt=end).order_by(
        "starts_at"
    )
    return [slot for slot in slots if slot.booked < slot.capacity]


@dataclass
class CalendarDay:
    day: date
    sites: list[tuple[InspectionSite, list[InspectionSlot]]] = field(default_factory=list)

    @property
    def free(self) -> int:
        return sum(slot.free for _site, slots in self.sites for slot in slots)


def booking_calendar(*, declaration: Declaration, days: int = 14, now: datetime | None = None) -> list[CalendarDay]:
    """Free slots at the sites of the declaration's ports, by local day: two queries whatever the numbers."""
    now = now or timezone.now()
    sites = list(sites_for_declaration(declaration=declaration))
    if not sites:
        return []
    zone = ZoneInfo(sites[0].port.timezone)
    first = timezone.localdate(now, zone)
    last = datetime.combine(first + timedelta(days=days), datetime.min.time(), tzinfo=zone)
    by_site = {site.pk: site for site in sites}
    cutoff_floor = {site.pk: now + timedelta(hours=site.cutoff_hours) for site in sites}
    slots = InspectionSlot.objects.filter(site_id__in=list(by_site), starts_at__gte=now, starts_at__lt=last).order_by(
        "starts_at", "site_id"
    )
    grouped: dict[date, dict[int, list[InspectionSlot]]] = defaultdict(lambda: defaultdict(list))
    for slot in slots:
        if slot.booked >= slot.capacity or slot.starts_at < cutoff_floor[slot.site_id]:
            continue
        slot.site = by_site[slot.site_id]
        local_day = timezone.localtime(slot.starts_at, ZoneInfo(slot.site.port.timezone)).date()
        grouped[local_day][slot.site_id].append(slot)
    return [
        CalendarDay(day=day, sites=[(by_site[site_id], site_slots) for site_id, site_slots in grouped[day].items()])
        for day in sorted(grouped)
    ]


def site_day_list(*, actor: User, site: InspectionSite, day: date) -> list[Booking]:
    """The bookings of a site's local day, with each declaration's items and containers: five queries in all.

    Customs staff of the site's port only (the caller checks with :func:`site_for_officer`).
    """
    start, end = site_day_bounds(site, day)
    return list(
        Booking.objects.filter(slot__site=site, slot__starts_at__gte=start, slot__starts_at__lt=end)
        .exclude(status=BookingStatus.CANCELLED)
        .select_related(
            "slot",
            "inspection__declaration__origin_port",
            "inspection__declaration__transfer_port",
            "inspection__declaration__declarant",
        )
        .prefetch_related(
            Prefetch(
                "inspection__declaration__items",
                queryset=DeclarationItem.objects.select_related("hs_code").order_by("line_number"),
            ),
            Prefetch("inspection__declaration__containers", queryset=DeclarationContainer.objects.order_by("pk")),
        )
        .order_by("slot__starts_at", "booked_at")
    )


def site_for_officer(*, actor: User, site_id: int) -> InspectionSite:
    """A site of a port the officer serves; DoesNotExist otherwise."""
    return site_list(port_ids=_served_port_ids(actor), active_only=False).get(pk=site_id)
