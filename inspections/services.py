"""Every write of sites, slots, bookings and inspection results (STYLE.md: one service per action).

Bookings are the part many people race for: a slot's row is locked (``select_for_update``)
while its ``booked`` counter is checked and raised in the same transaction, so a slot never
takes more bookings than its capacity; the database's ``slot_not_overbooked`` check is the
backstop. The declaration's own transitions (ordering an inspection, recording its result,
the release or rejection that follows) go through ``declarations.services.workflow`` so that
history, the ledger and the trader's notification are written exactly as for every other
transition.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from declarations.choices import Action, Status
from declarations.models import Declaration
from declarations.services.documents import sniff_content_type
from declarations.services.workflow import (
    _check_allowed,
    _locked,
    _record,
    clearance_port,
    declaration_decide,
    declaration_system_transition,
)
from portal import roles
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.models import Port, User
from portal.services import notification_send

from .choices import BookingStatus, InspectionResult
from .models import (
    Booking,
    Inspection,
    InspectionFinding,
    InspectionPhoto,
    InspectionSite,
    InspectionSlot,
    PortInspectionSettings,
    SiteClosure,
)

MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
FAIL_DECISIONS = (Action.REJECT, Action.REQUEST_AMENDMENT)
SLOT_TAKEN = _("This slot was just taken — choose another.")


class SlotTaken(TransitionNotAllowed):
    """Someone booked the slot's last place first."""

    code = "slot_taken"


# --- who may do what ------------------------------------------------------------------------------------------------


def declaration_ports(declaration: Declaration) -> list[int]:
    """The ports of the declaration's route in this country: origin and, for the integrated route, transfer."""
    return [port_id for port_id in (declaration.origin_port_id, declaration.transfer_port_id) if port_id]


def _serves_any(actor: User, port_ids: Iterable[int]) -> bool:
    return roles.is_customs(actor) and actor.ports_served.filter(pk__in=list(port_ids)).exists()


def _may_book(actor: User, declaration: Declaration) -> bool:
    """The declarant's staff, or customs staff of one of the declaration's ports (booking on the trader's behalf)."""
    if roles.is_trader(actor):
        return actor.organisation_id == declaration.declarant_id
    return _serves_any(actor, declaration_ports(declaration))


def _notify_trader(declaration: Declaration, actor: User | None, subject: str, body: str = "") -> None:
    traders = User.objects.filter(organisation_id=declaration.declarant_id, is_active=True)
    notification_send(
        recipients=[user for user in traders if actor is None or user.pk != actor.pk],
        subject=subject,
        body=body,
        link=reverse("inspections:declaration", args=[declaration.pk]),
    )


def _local(moment: datetime, port: Port) -> datetime:
    return timezone.localtime(moment, ZoneInfo(port.timezone))


# --- sites and slots ------------------------------------------------------------------------------------------------


def _require_supervisor_of(actor: User, port_id: int) -> None:
    if not roles.is_supervisor(actor) or not roles.serves_port(actor, port_id):
        raise PermissionDenied(_("Only a customs supervisor of this port can change its inspection sites."))


SITE_FIELDS = (
    "name_en",
    "name_zh",
    "address",
    "opens_at",
    "closes_at",
    "weekdays",
    "slot_minutes",
    "capacity_per_slot",
    "cutoff_hours",
    "active",
)


@transaction.atomic
def site_save(*, actor: User, port_id: int, site_id: int | None = None, **fields) -> InspectionSite:
    """Create or change an inspection site of a port the supervisor serves.

    Requires a supervisor of the site's port. Slots already generated keep their times and
    capacity (bookings are made against them); new slots follow the new settings, and free
    slots of the coming days are regenerated on the next :func:`slots_generate`.
    """
    _require_supervisor_of(actor, port_id)
    if site_id is None:
        site = InspectionSite(port_id=port_id)
    else:
        # Lock: two supervisors editing one site must not interleave their fields.
        site = InspectionSite.objects.select_for_update().filter(pk=site_id, port_id=port_id).first()
        if site is None:
            raise InspectionSite.DoesNotExist
    for name, value in fields.items():
        if name not in SITE_FIELDS:
            raise TypeError(name)
        setattr(site, name, value)
    site.weekdays = ",".join(str(day) for day in sorted(site.open_weekdays) if 0 <= day <= 6)
    if not site.weekdays:
        raise ValidationError({"weekdays": _("Choose at least one weekday.")})
    site._history_user = actor
    site.full_clean()
    site.save()
    return site


@transaction.atomic
def site_closure_add(*, actor: User, site_id: int, day: date, reason: str) -> tuple[SiteClosure, int]:
    """Close a site for a day (a holiday): its free slots that day are removed.

    Returns the closure and how many live bookings that day still need to be moved (they are
    kept: the trader is notified and must reschedule).
    """
    site = InspectionSite.objects.select_related("port").filter(pk=site_id).first()
    if site is None:
        raise InspectionSite.DoesNotExist
    _require_supervisor_of(actor, site.port_id)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the site is closed (the traders read it).")})
    closure, _created = SiteClosure.objects.get_or_create(site=site, date=day, defaults={"reason": reason.strip()})
    start, end = _day_bounds(day, site.port)
    day_slots = InspectionSlot.objects.filter(site=site, starts_at__gte=start, starts_at__lt=end)
    day_slots.filter(booked=0).exclude(bookings__isnull=False).delete()
    affected = list(
        Booking.objects.filter(slot__in=day_slots, status=BookingStatus.BOOKED).select_related(
            "inspection__declaration"
        )
    )
    for booking in affected:
        _notify_trader(
            booking.inspection.declaration,
            actor,
            _("%(reference)s: the inspection site is closed on %(day)s — please choose another slot")
            % {"reference": booking.inspection.declaration, "day": day},
            reason.strip(),
        )
    return closure, len(affected)


@transaction.atomic
def site_closure_remove(*, actor: User, closure_id: int) -> None:
    """Reopen a closed day; its slots come back on the next :func:`slots_generate`."""
    closure = SiteClosure.objects.select_related("site").filter(pk=closure_id).first()
    if closure is None:
        raise SiteClosure.DoesNotExist
    _require_supervisor_of(actor, closure.site.port_id)
    closure.delete()


def _day_bounds(day: date, port: Port) -> tuple[datetime, datetime]:
    zone = ZoneInfo(port.timezone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)


def site_slot_times(site: InspectionSite, day: date) -> list[tuple[datetime, datetime]]:
    """The slots a site has on a local ``day`` (aware, in the port's zone); none on closed weekdays.

    Pure: closures are the caller's business. A slot that would run past closing time is left out.
    """
    if day.weekday() not in site.open_weekdays:
        return []
    zone = ZoneInfo(site.port.timezone)
    length = timedelta(minutes=site.slot_minutes)
    start = datetime.combine(day, site.opens_at, tzinfo=zone)
    close = datetime.combine(day, site.closes_at, tzinfo=zone)
    times = []
    while start + length <= close:
        times.append((start, start + length))
        start += length
    return times


def slots_generate(*, days_ahead: int = 14, site_ids: Iterable[int] | None = None, today: date | None = None) -> int:
    """Create the missing slots of every active site from today (the port's local date) for ``days_ahead`` days.

    Idempotent: a slot is unique per site and start, and existing ones are left alone.
    Closed weekdays and closure days get none. Times are the port's local times, stored in
    UTC. Returns how many slots were created.
    """
    sites = InspectionSite.objects.filter(active=True).select_related("port").prefetch_related("closures")
    if site_ids is not None:
        sites = sites.filter(pk__in=list(site_ids))
    created = 0
    for site in sites:
        first = today or timezone.localdate(timezone.now(), ZoneInfo(site.port.timezone))
        closed = {closure.date for closure in site.closures.all()}
        rows = [
            InspectionSlot(site=site, starts_at=start, ends_at=end, capacity=site.capacity_per_slot)
            for offset in range(days_ahead)
            if (day := first + timedelta(days=offset)) not in closed
            for start, end in site_slot_times(site, day)
        ]
        if not rows:
            continue
        existing = set(
            InspectionSlot.objects.filter(site=site, starts_at__in=[row.starts_at for row in rows]).values_list(
                "starts_at", flat=True
            )
        )
        missing = [row for row in rows if row.starts_at not in existing]
        InspectionSlot.objects.bulk_create(missing, ignore_conflicts=True)  # a concurrent run may add them too
        created += len(missing)
    return created


# --- ordering an inspection -----------------------------------------------------------------------------------------


def inspection_with_result(declaration_id: int) -> Inspection | None:
    """The latest inspection of the declaration that has a result, at either port of the pair."""
    return (
        Inspection.objects.filter(declaration_id=declaration_id)
        .exclude(result="")
        .select_related("port")
        .order_by("-recorded_at", "-id")
        .first()
    )


@transaction.atomic
def inspection_order(
    *, actor: User, declaration_id: int, override_reason: str = "", message: str = "", expected_status: str = ""
) -> Inspection:
    """Order the physical inspection of a declaration: the declaration's transition and the inspection record, together.

    Calls ``declaration_decide(action="order_inspection")`` (which checks the officer, the
    port of clearance and the status, and writes history, ledger and notification), then
    creates the :class:`Inspection` the trader books a slot for, in the same transaction.
    One inspection for both ports: when the goods already have a result (at either port), a
    second inspection is refused unless a supervisor gives ``override_reason``.
    """
    # Lock the declaration first: the check for an earlier result must see a settled state.
    _locked(declaration_id)
    declaration = declaration_decide(
        actor=actor,
        declaration_id=declaration_id,
        action=Action.ORDER_INSPECTION,
        message=message,
        expected_status=expected_status,
    )
    earlier = inspection_with_result(declaration_id)
    if earlier is not None and not (roles.is_supervisor(actor) and override_reason.strip()):
        raise TransitionNotAllowed(
            _(
                "The goods of %(reference)s were already inspected at %(port)s on %(day)s (%(result)s); that result "
                "counts for both ports. Only a customs supervisor can order a second inspection, giving the reason."
            )
            % {
                "reference": declaration,
                "port": earlier.port.locode if earlier.port else "—",
                "day": _local(earlier.recorded_at, earlier.port).date() if earlier.port else earlier.recorded_at,
                "result": earlier.get_result_display(),
            }
        )
    inspection = Inspection.objects.filter(declaration_id=declaration_id, result="").first()
    if inspection is None:
        inspection = Inspection(declaration=declaration, ordered_by=actor)
    inspection.override_reason = override_reason.strip() if earlier is not None else ""
    inspection._history_user = actor
    inspection.full_clean()
    inspection.save()
    return inspection


# --- bookings -------------------------------------------------------------------------------------------------------


def _cutoff_passed(slot: InspectionSlot, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= slot.starts_at - timedelta(hours=slot.site.cutoff_hours)


def _cutoff_refusal(slot: InspectionSlot) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _(
            "Bookings at %(site)s can be made, moved or cancelled until %(hours)s hours before the slot starts; "
            "the slot of %(when)s is past that cut-off."
        )
        % {
            "site": slot.site,
            "hours": slot.site.cutoff_hours,
            "when": _local(slot.starts_at, slot.site.port).strftime("%Y-%m-%d %H:%M"),
        }
    )


def _locked_inspection(inspection_id: int) -> Inspection:
    # Lock the inspection: one person's booking, move or cancellation at a time per inspection.
    inspection = (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("declaration")
        .filter(pk=inspection_id)
        .first()
    )
    if inspection is None:
        raise Inspection.DoesNotExist
    return inspection


def _bookable_slot(slot_id: int, declaration: Declaration) -> InspectionSlot:
    """The slot, locked, after checking that it belongs to one of the declaration's ports and is before cut-off."""
    # Lock the slot row: whoever holds it checks and raises ``booked`` alone; the others wait, then see it full.
    slot = (
        InspectionSlot.objects.select_for_update(of=("self",)).select_related("site__port").filter(pk=slot_id).first()
    )
    if slot is None or slot.site.port_id not in declaration_ports(declaration) or not slot.site.active:
        raise DomainError(_("Choose a slot at an inspection site of the declaration's ports."), field="slot")
    if _cutoff_passed(slot):
        raise _cutoff_refusal(slot)
    if slot.booked >= slot.capacity:
        raise SlotTaken(SLOT_TAKEN)
    return slot


def _slot_take(slot: InspectionSlot) -> None:
    slot.booked += 1
    try:
        with transaction.atomic():  # the database's check is the backstop if a lock was ever missed
            slot.save(update_fields=["booked"])
    except IntegrityError:
        raise SlotTaken(SLOT_TAKEN) from None


def _slot_release(slot: InspectionSlot) -> None:
    slot.booked = max(slot.booked - 1, 0)
    slot.save(update_fields=["booked"])


def _slot_text(slot: InspectionSlot) -> str:
    return _("%(site)s, %(when)s") % {
        "site": slot.site,
        "when": _local(slot.starts_at, slot.site.port).strftime("%Y-%m-%d %H:%M"),
    }


@transaction.atomic
def booking_create(*, actor: User, inspection_id: int, slot_id: int) -> Booking:
    """Book a slot for an ordered inspection (the trader, or customs of the declaration's ports for them).

    Requires the declaration in ``inspection_required``, no live booking yet, a slot at a site
    of the declaration's ports, before the site's cut-off, with a free place. Locks the
    inspection, then the slot, and raises the slot's ``booked`` counter; the losers of a race
    for the last place get :class:`SlotTaken`. Notifies the trader.
    """
    inspection = _locked_inspection(inspection_id)
    declaration = inspection.declaration
    if not _may_book(actor, declaration):
        raise Inspection.DoesNotExist
    if inspection.result or declaration.status != Status.INSPECTION_REQUIRED:
        raise TransitionNotAllowed(
            _("%(reference)s no longer waits for an inspection, so no slot can be booked.") % {"reference": declaration}
        )
    if inspection.bookings.filter(status=BookingStatus.BOOKED).exists():
        raise TransitionNotAllowed(_("This inspection already has a booking; move or cancel it instead."))
    slot = _bookable_slot(slot_id, declaration)
    _slot_take(slot)
    booking = Booking(inspection=inspection, slot=slot, booked_by=actor)
    booking._history_user = actor
    booking.save()
    _notify_trader(
        declaration,
        actor,
        _("%(reference)s: inspection booked for %(slot)s") % {"reference": declaration, "slot": _slot_text(slot)},
        str(slot.site.address),
    )
    return booking


def _locked_live_booking(actor: User, booking_id: int) -> Booking:
    booking = Booking.objects.filter(pk=booking_id).values_list("inspection_id", flat=True).first()
    if booking is None:
        raise Booking.DoesNotExist
    inspection = _locked_inspection(booking)
    if not _may_book(actor, inspection.declaration):
        raise Booking.DoesNotExist
    # Lock the booking too (its inspection is locked, so this never waits on another booking of it).
    locked = Booking.objects.select_for_update(of=("self",)).select_related("slot__site__port").get(pk=booking_id)
    locked.inspection = inspection
    if locked.status != BookingStatus.BOOKED:
        raise TransitionNotAllowed(
            _("This booking is now “%(status)s”; reload to see what changed.") % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def booking_reschedule(*, actor: User, booking_id: int, slot_id: int) -> Booking:
    """Move a live booking to another slot, both before their cut-off; the old place is freed, the new one taken."""
    booking = _locked_live_booking(actor, booking_id)
    if int(slot_id) == booking.slot_id:
        return booking
    if _cutoff_passed(booking.slot):
        raise _cutoff_refusal(booking.slot)
    declaration = booking.inspection.declaration
    # Lock both slots in id order, so two moves between the same slots cannot deadlock.
    old_id = booking.slot_id
    if old_id < int(slot_id):
        old = InspectionSlot.objects.select_for_update().get(pk=old_id)
        new = _bookable_slot(slot_id, declaration)
    else:
        new = _bookable_slot(slot_id, declaration)
        old = InspectionSlot.objects.select_for_update().get(pk=old_id)
    _slot_take(new)
    _slot_release(old)
    previous = booking.slot
    booking.slot = new
    booking._history_user = actor
    booking._change_reason = f"rescheduled from slot {old_id}"
    booking.save()
    _notify_trader(
        declaration,
        actor,
        _("%(reference)s: inspection moved to %(slot)s") % {"reference": declaration, "slot": _slot_text(new)},
        _("It was booked for %(slot)s.") % {"slot": _slot_text(previous)},
    )
    return booking


@transaction.atomic
def booking_cancel(*, actor: User, booking_id: int) -> Booking:
    """Cancel a live booking before the site's cut-off; its place becomes free again."""
    booking = _locked_live_booking(actor, booking_id)
    if _cutoff_passed(booking.slot):
        raise _cutoff_refusal(booking.slot)
    # Lock the slot before lowering its counter (a booking of its last place may be waiting).
    _slot_release(InspectionSlot.objects.select_for_update().get(pk=booking.slot_id))
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = timezone.now()
    booking._history_user = actor
    booking.save()
    _notify_trader(
        booking.inspection.declaration,
        actor,
        _("%(reference)s: inspection booking cancelled") % {"reference": booking.inspection.declaration},
        _("The slot was %(slot)s. Book another one.") % {"slot": _slot_text(booking.slot)},
    )
    return booking


@transaction.atomic
def booking_no_show(*, actor: User, booking_id: int) -> Booking:
    """An officer of the site's port records that nobody brought the goods; only once the slot has started.

    The place stays used (it cannot be given to anyone after the fact); the trader is told to book again.
    """
    booking = Booking.objects.select_related("slot__site").filter(pk=booking_id).first()
    if booking is None or not roles.serves_port(actor, booking.slot.site.port_id):
        raise Booking.DoesNotExist
    booking = _locked_live_booking(actor, booking_id)
    if timezone.now() < booking.slot.starts_at:
        raise TransitionNotAllowed(_("A no-show can be recorded only once the slot has started."))
    booking.status = BookingStatus.NO_SHOW
    booking._history_user = actor
    booking.save()
    _notify_trader(
        booking.inspection.declaration,
        actor,
        _("%(reference)s: no-show at the inspection of %(slot)s")
        % {"reference": booking.inspection.declaration, "slot": _slot_text(booking.slot)},
        _("Book another slot: the goods are still to be inspected."),
    )
    return booking


# --- the inspection's result ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    conforms: bool
    note: str = ""


def photo_content_type(upload: UploadedFile) -> str:
    """Raise ValidationError on ``photos`` unless the upload is a JPEG or PNG of at most 5 MB, by its content."""
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(
            {
                "photos": _("%(name)s is %(size).1f MB; a photo may be at most 5 MB.")
                % {"name": upload.name, "size": upload.size / 1024 / 1024}
            }
        )
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    upload.seek(0)
    if content_type not in PHOTO_TYPES:
        raise ValidationError(
            {
                "photos": _("%(name)s is not a JPEG or PNG picture (checked by its content, not its name).")
                % {"name": upload.name}
            }
        )
    return content_type


def _photo_save(inspection: Inspection, upload: UploadedFile, actor: User) -> InspectionPhoto:
    content_type = photo_content_type(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    photo = InspectionPhoto(
        inspection=inspection, content_type=content_type, size=upload.size, sha256=digest.hexdigest(), uploaded_by=actor
    )
    photo.file.save(upload.name or "photo", upload, save=False)
    photo.save()
    return photo


def _recording_port(actor: User, inspection: Inspection, declaration: Declaration) -> int:
    """Where the inspection took place: its live booking's site, else the first of the actor's ports on the route."""
    live = inspection.bookings.filter(status=BookingStatus.BOOKED).select_related("slot__site").first()
    served = set(actor.ports_served.filter(pk__in=declaration_ports(declaration)).values_list("pk", flat=True))
    if live is not None and live.slot.site.port_id in served:
        return live.slot.site.port_id
    return next(port_id for port_id in declaration_ports(declaration) if port_id in served)


@transaction.atomic
def inspection_result_record(
    *,
    actor: User,
    inspection_id: int,
    result: str,
    remarks: str = "",
    findings: Mapping[int, Finding] | None = None,
    new_seals: Mapping[str, str] | None = None,
    photos: Iterable[UploadedFile] = (),
    fail_decision: str = "",
    fail_message: str = "",
) -> Declaration:
    """Record the result of an inspection, by customs staff of either port of the declaration.

    Applies ``record_inspection`` (inspection_required → inspected) through the workflow's
    helpers (history, ledger entry, trader notified), stores findings per item, new seals per
    container and photos (JPEG/PNG ≤ 5 MB, by content), and marks the live booking attended.
    Then: a pass goes back to the officer for release, or is released at once where
    ``PortInspectionSettings.release_on_pass`` is set for the port of clearance (unless the other
    port holds it). A fail recorded by an officer of the port of clearance is rejected or sent
    back for amendment, as the officer chooses (``fail_decision``, through ``declaration_decide``);
    recorded at the other port, it waits for the port of clearance to decide.
    """
    inspection = Inspection.objects.filter(pk=inspection_id).values_list("declaration_id", flat=True).first()
    if inspection is None:
        raise Inspection.DoesNotExist
    # Lock the declaration, then the inspection: the same order as ordering and booking, so no deadlock.
    declaration = _locked(inspection)
    inspection = _locked_inspection(inspection_id)
    if not _serves_any(actor, declaration_ports(declaration)):
        raise TransitionNotAllowed(_("Only customs officers of the declaration's ports can record its inspection."))
    if inspection.result:
        raise TransitionNotAllowed(
            _("The result of this inspection was already recorded (%(result)s).")
            % {"result": inspection.get_result_display()}
        )
    target = _check_allowed(declaration, Action.RECORD_INSPECTION, actor)
    errors = _result_errors(declaration, result, remarks, findings or {}, new_seals or {})
    clears = roles.serves_port(actor, declaration.origin_port_id)
    if result == InspectionResult.FAILED and clears and fail_decision not in FAIL_DECISIONS:
        errors["fail_decision"] = [_("Choose whether the failed declaration is rejected or sent back for amendment.")]
    if result == InspectionResult.FAILED and fail_decision and not fail_message.strip():
        errors["fail_message"] = [_("Tell the trader why, or what they must change.")]
    if errors:
        raise ValidationError(errors)

    inspection.result = result
    inspection.remarks = remarks.strip()
    inspection.new_seal_numbers = {number: seal.strip() for number, seal in (new_seals or {}).items() if seal.strip()}
    inspection.port_id = _recording_port(actor, inspection, declaration)
    inspection.recorded_by = actor
    inspection.recorded_at = timezone.now()
    inspection._history_user = actor
    inspection.save()
    InspectionFinding.objects.bulk_create(
        [
            InspectionFinding(
                inspection=inspection, item_id=item_id, conforms=finding.conforms, note=finding.note.strip()
            )
            for item_id, finding in (findings or {}).items()
        ]
    )
    for upload in photos:
        _photo_save(inspection, upload, actor)
    for booking in inspection.bookings.filter(status=BookingStatus.BOOKED):
        booking.status = BookingStatus.ATTENDED
        booking._history_user = actor
        booking.save()

    declaration.status = target
    _record(
        declaration,
        Action.RECORD_INSPECTION,
        actor,
        f"{inspection.get_result_display()}: {inspection.remarks}"
        if inspection.remarks
        else str(inspection.get_result_display()),
    )
    if result in (InspectionResult.PASSED, InspectionResult.PASSED_WITH_REMARKS):
        return _after_pass(declaration)
    if fail_decision in FAIL_DECISIONS and clears:
        return declaration_decide(
            actor=actor, declaration_id=declaration.pk, action=fail_decision, message=fail_message
        )
    return declaration


def _after_pass(declaration: Declaration) -> Declaration:
    port = clearance_port(declaration)
    if port is None or not PortInspectionSettings.objects.filter(port=port, release_on_pass=True).exists():
        return declaration
    try:
        return declaration_system_transition(
            declaration_id=declaration.pk,
            action=Action.RELEASE,
            note=_("Released on a passed inspection (the port releases passed inspections at once)."),
        )
    except TransitionNotAllowed:
        return declaration  # held by the other port: stays inspected for the officer, who sees the hold


def _result_errors(
    declaration: Declaration, result: str, remarks: str, findings: Mapping[int, Finding], new_seals: Mapping[str, str]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if result not in InspectionResult.values:
        errors["result"] = [_("Choose passed, passed with remarks or failed.")]
    elif result != InspectionResult.PASSED and not remarks.strip():
        errors["remarks"] = [_("Say what the inspection found.")]
    items = set(declaration.items.values_list("pk", flat=True))
    if unknown := [str(item_id) for item_id in findings if item_id not in items]:
        errors["findings"] = [_("Items %(items)s are not on this declaration.") % {"items": ", ".join(unknown)}]
    elif any(not finding.conforms and not finding.note.strip() for finding in findings.values()):
        errors["findings"] = [_("Say what does not conform for each item marked so.")]
    containers = set(declaration.containers.values_list("number", flat=True))
    if unknown := [number for number in new_seals if number not in containers]:
        errors["new_seals"] = [
            _("Containers %(numbers)s are not on this declaration.") % {"numbers": ", ".join(unknown)}
        ]
    elif any(len(seal.strip()) > 35 for seal in new_seals.values()):
        errors["new_seals"] = [_("A seal number has at most 35 characters.")]
    return errors
