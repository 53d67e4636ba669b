"""Inspection pages: parse → selector or service → render or redirect (STYLE.md)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from declarations.choices import Status
from declarations.models import Declaration
from portal import roles
from portal.choices import Role
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.models import PORTS_TIME_ZONE
from portal.roles import role_required

from . import selectors, services
from .choices import BookingStatus
from .forms import ClosureForm, ResultForm, SiteForm, SlotForm
from .models import Booking, Inspection, InspectionPhoto, InspectionSite, SiteClosure

customs_required = role_required(Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR)
supervisor_required = role_required(Role.CUSTOMS_SUPERVISOR)


def _declaration(request, pk: int) -> Declaration:
    try:
        return selectors.declaration_for_inspections(actor=request.user, declaration_id=pk)
    except Declaration.DoesNotExist:
        raise Http404(_("No such declaration.")) from None


def _error_text(error: ValidationError) -> str:
    return (
        " ".join(message for messages_ in error.message_dict.values() for message in messages_)
        if hasattr(error, "error_dict")
        else " ".join(error.messages)
    )


@login_required
@require_GET
def inspections_home_view(request):
    """What the person has to do about inspections: bookings to make or attend, sites to run."""
    user = request.user
    served = list(user.ports_served.values_list("pk", flat=True)) if roles.is_customs(user) else []
    awaiting = []
    if roles.is_trader(user):
        awaiting = list(
            selectors.inspection_list(actor=user)
            .filter(result="", declaration__status=Status.INSPECTION_REQUIRED)
            .exclude(bookings__status=BookingStatus.BOOKED)
        )
    return render(
        request,
        "inspections/home.html",
        {
            "awaiting": awaiting,
            "bookings": selectors.booking_list(actor=user, status=BookingStatus.BOOKED)[:50],
            "sites": selectors.site_list(port_ids=served) if served else [],
            "today": timezone.localdate(timezone.now(), PORTS_TIME_ZONE),
            "is_supervisor": roles.is_supervisor(user),
        },
    )


def _calendar_context(request, declaration: Declaration, inspections: list[Inspection]) -> dict:
    pending = next((inspection for inspection in inspections if not inspection.result), None)
    live = None
    if pending is not None:
        live = next((booking for booking in pending.bookings.all() if booking.status == BookingStatus.BOOKED), None)
    can_book = (
        pending is not None
        and declaration.status == Status.INSPECTION_REQUIRED
        and services._may_book(request.user, declaration)
    )
    calendar = []
    if can_book:
        sites = selectors.sites_for_declaration(declaration=declaration)
        services.slots_generate(site_ids=[site.pk for site in sites])  # on demand: the calendar is never empty
        calendar = selectors.booking_calendar(declaration=declaration)
    return {"pending": pending, "live": live, "can_book": can_book, "calendar": calendar}


@login_required
@require_GET
def declaration_inspection_view(request, pk: int):
    """The declaration's inspections (results seen by both ports and the trader) and, while one is pending, booking."""
    declaration = _declaration(request, pk)
    inspections = selectors.declaration_inspections(declaration=declaration)
    context = _calendar_context(request, declaration, inspections)
    served = set(request.user.ports_served.values_list("pk", flat=True)) if roles.is_customs(request.user) else set()
    context.update(
        {
            "declaration": declaration,
            "inspections": inspections,
            "can_record": bool(context["pending"])
            and declaration.status == Status.INSPECTION_REQUIRED
            and bool(served & set(services.declaration_ports(declaration))),
            "served": served,
        }
    )
    return render(request, "inspections/declaration.html", context)


@login_required
@require_POST
def booking_create_view(request, pk: int):
    declaration = _declaration(request, pk)
    form = SlotForm(request.POST)
    inspection = Inspection.objects.filter(declaration=declaration, result="").first()
    if not form.is_valid() or inspection is None:
        messages.error(request, _("Choose a slot."))
        return redirect("inspections:declaration", pk)
    try:
        booking = services.booking_create(
            actor=request.user, inspection_id=inspection.pk, slot_id=form.cleaned_data["slot"]
        )
    except Inspection.DoesNotExist:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("inspections:declaration", pk)
    messages.success(request, _("Booked: %(slot)s.") % {"slot": services._slot_text(booking.slot)})
    return redirect("inspections:declaration", pk)


def _booking_action(request, booking_id: int, action, success: str):
    try:
        booking = selectors.booking_get(actor=request.user, booking_id=booking_id)
    except Booking.DoesNotExist:
        raise Http404 from None
    try:
        action(booking)
    except Booking.DoesNotExist:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    if request.POST.get("from") == "day":
        return redirect(
            f"{reverse('inspections:site-day', args=[booking.slot.site_id])}"
            f"?date={services._local(booking.slot.starts_at, booking.slot.site.port).date()}"
        )
    return redirect("inspections:declaration", booking.inspection.declaration_id)


@login_required
@require_POST
def booking_reschedule_view(request, booking_id: int):
    form = SlotForm(request.POST)
    if not form.is_valid():
        raise Http404
    return _booking_action(
        request,
        booking_id,
        lambda booking: services.booking_reschedule(
            actor=request.user, booking_id=booking.pk, slot_id=form.cleaned_data["slot"]
        ),
        _("Booking moved."),
    )


@login_required
@require_POST
def booking_cancel_view(request, booking_id: int):
    return _booking_action(
        request,
        booking_id,
        lambda booking: services.booking_cancel(actor=request.user, booking_id=booking.pk),
        _("Booking cancelled; the place is free again."),
    )


@customs_required
@require_POST
def booking_no_show_view(request, booking_id: int):
    return _booking_action(
        request,
        booking_id,
        lambda booking: services.booking_no_show(actor=request.user, booking_id=booking.pk),
        _("No-show recorded; the trader has been told to book again."),
    )


@customs_required
@require_GET
def site_day_view(request, site_id: int):
    """The officer's list of a site's day: bookings with their declarations, containers and items."""
    try:
        site = selectors.site_for_officer(actor=request.user, site_id=site_id)
    except InspectionSite.DoesNotExist:
        raise Http404 from None
    day = parse_date(request.GET.get("date") or "") or timezone.localdate(timezone.now(), ZoneInfo(site.port.timezone))
    bookings = selectors.site_day_list(actor=request.user, site=site, day=day)
    return render(
        request,
        "inspections/day.html",
        {
            "site": site,
            "day": day,
            "bookings": bookings,
            "now": timezone.now(),
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        },
    )


def _result_form(request, inspection: Inspection, data=None, files=None) -> ResultForm:
    declaration = inspection.declaration
    return ResultForm(
        data, files, items=declaration.items.order_by("line_number"), containers=declaration.containers.order_by("pk")
    )


@customs_required
@require_http_methods(["GET", "POST"])
def inspection_record_view(request, inspection_id: int):
    """Record an inspection's result: findings per item, new seals, photos, and what a fail leads to."""
    try:
        inspection = selectors.inspection_get(actor=request.user, inspection_id=inspection_id)
    except Inspection.DoesNotExist:
        raise Http404 from None
    declaration = inspection.declaration
    if request.method == "POST":
        form = _result_form(request, inspection, request.POST, request.FILES)
        if form.is_valid():
            try:
                decided = services.inspection_result_record(
                    actor=request.user,
                    inspection_id=inspection.pk,
                    result=form.cleaned_data["result"],
                    remarks=form.cleaned_data["remarks"],
                    findings=form.findings(),
                    new_seals=form.new_seals(),
                    photos=form.cleaned_data["photos"],
                    fail_decision=form.cleaned_data["fail_decision"],
                    fail_message=form.cleaned_data["fail_message"],
                )
            except TransitionNotAllowed as error:
                messages.error(request, error.message)
                return redirect("inspections:declaration", declaration.pk)
            except ValidationError as error:
                for name, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
            else:
                messages.success(
                    request,
                    _("Result recorded. Declaration %(reference)s is now %(status)s.")
                    % {"reference": decided, "status": decided.get_status_display()},
                )
                return redirect("inspections:declaration", declaration.pk)
        status = 400
    else:
        form = _result_form(request, inspection)
        status = 200
    return render(
        request,
        "inspections/record.html",
        {
            "inspection": inspection,
            "declaration": declaration,
            "form": form,
            "clears": roles.serves_port(request.user, declaration.origin_port_id),
        },
        status=status,
    )


@login_required
@require_GET
def photo_view(request, photo_id: int):
    photo = InspectionPhoto.objects.filter(pk=photo_id).select_related("inspection").first()
    if photo is None or not selectors.inspection_list(actor=request.user).filter(pk=photo.inspection_id).exists():
        raise Http404
    return FileResponse(photo.file.open("rb"), content_type=photo.content_type)


# --- supervisors: sites, opening hours, closures ------------------------------------------------------------------


@supervisor_required
@require_GET
def site_list_view(request):
    return render(
        request,
        "inspections/sites.html",
        {
            "sites": selectors.sites_for_supervisor(actor=request.user),
            "ports": request.user.ports_served.order_by("locode"),
            "closure_form": ClosureForm(),
        },
    )


@supervisor_required
@require_http_methods(["GET", "POST"])
def site_edit_view(request, site_id: int | None = None):
    site = None
    if site_id is not None:
        site = selectors.sites_for_supervisor(actor=request.user).filter(pk=site_id).first()
        if site is None:
            raise Http404
    port_id = site.port_id if site else _port_choice(request)
    form = SiteForm(request.POST or None, instance=site)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.site_save(actor=request.user, port_id=port_id, site_id=site_id, **form.site_fields())
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(name if name in form.fields else None, message)
        else:
            created = services.slots_generate(site_ids=[saved.pk])
            messages.success(request, _("Site saved; %(count)s new slots generated.") % {"count": created})
            return redirect("inspections:sites")
    return render(
        request,
        "inspections/site_form.html",
        {"form": form, "site": site, "port_id": port_id},
        status=400 if request.method == "POST" else 200,
    )


def _port_choice(request) -> int:
    try:
        port_id = int(request.GET.get("port") or request.POST.get("port") or 0)
    except ValueError:
        port_id = 0
    if not roles.serves_port(request.user, port_id):
        raise Http404
    return port_id


@supervisor_required
@require_POST
def closure_add_view(request, site_id: int):
    form = ClosureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date and the reason of the closure."))
        return redirect("inspections:sites")
    try:
        _closure, affected = services.site_closure_add(
            actor=request.user, site_id=site_id, day=form.cleaned_data["date"], reason=form.cleaned_data["reason"]
        )
    except InspectionSite.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("inspections:sites")
    if affected:
        messages.warning(
            request,
            _("Closed. %(count)s bookings that day must be moved; their traders were told.") % {"count": affected},
        )
    else:
        messages.success(request, _("Closed; the free slots of that day were removed."))
    return redirect("inspections:sites")


@supervisor_required
@require_POST
def closure_remove_view(request, closure_id: int):
    try:
        services.site_closure_remove(actor=request.user, closure_id=closure_id)
    except SiteClosure.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Reopened; the day's slots come back with the next slot generation."))
    return redirect("inspections:sites")
