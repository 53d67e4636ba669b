"""The officer queue pages: the filtered, risk-ordered queue (polled live), "assign to me" and
releasing several green or yellow declarations with one confirmation.

The filters and the page position live in the query string, so a link, a reload and the
5-second poll all show the same list.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.choices import Role
from portal.exceptions import DomainError
from portal.roles import role_required

from .forms_queue import QueueFilterForm, TakeOverForm
from .models import Declaration
from .officer_queue import LANE_KEYS, QueueFilters, declaration_queue_page
from .selectors import declaration_list
from .services.assignment import BULK_RELEASABLE_LANES, declaration_assign, declaration_release_many

customs_required = role_required(Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR)
PAGE_SIZE = 25


def _queue_context(request) -> dict:
    filter_form = QueueFilterForm(request.GET or None)
    filters = filter_form.queue_filters() if request.GET else QueueFilters()
    page = declaration_queue_page(
        actor=request.user,
        filters=filters,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        size=PAGE_SIZE,
    )
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    lane_links = []
    for lane in LANE_KEYS:
        lane_query = query.copy()
        lane_query["lane"] = lane
        lane_links.append((lane, page["lane_counts"][lane], lane_query.urlencode()))
    here = request.GET.urlencode()
    return {
        "filter_form": filter_form,
        "page": page,
        "query": query.urlencode(),
        "here": here,
        "paged": bool(request.GET.get("after") or request.GET.get("before")),
        "queue_url": reverse("declarations:officer-queue") + (f"?{here}" if here else ""),
        "filtered": any(value for name, value in query.items()),
        "lane_links": lane_links,
        "releasable_lanes": BULK_RELEASABLE_LANES,
        # Ports whose declarations this officer may release (the port of clearance is the origin port).
        "clearance_ports": set(request.user.ports_served.values_list("pk", flat=True)),
    }


@customs_required
@require_GET
def officer_queue_view(request):
    """Declarations awaiting a decision at the officer's ports, red first, then oldest; filtered and paged."""
    return render(request, "declarations/queue/page.html", _queue_context(request))


@customs_required
@require_GET
def officer_queue_list_view(request):
    """The queue's list alone (same query string as the page), polled every 5 seconds (htmx)."""
    return render(request, "declarations/queue/_list.html", _queue_context(request))


def _back_to_queue(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("declarations:officer-queue")


def _in_scope(request, pk: int) -> Declaration:
    declaration = declaration_list(actor=request.user).filter(pk=pk).select_related("assignment__officer").first()
    if declaration is None:
        raise Http404(_("No such declaration."))
    return declaration


@customs_required
@require_http_methods(["GET", "POST"])
def declaration_assign_view(request, pk: int):
    """Assign the declaration to me; taking it over from another officer asks for a note first."""
    declaration = _in_scope(request, pk)
    form = TakeOverForm(request.POST or None)
    if request.method == "POST":
        note = request.POST.get("note", "")
        try:
            declaration_assign(actor=request.user, declaration_id=declaration.pk, note=note)
        except DomainError as refusal:
            if refusal.field != "note":
                messages.error(request, refusal.message)
                return _back_to_queue(request)
            form = TakeOverForm(request.POST)
            form.is_valid()
            form.add_error(None if form.errors.get("note") else "note", refusal.message)
        else:
            messages.success(request, _("%(reference)s is assigned to you.") % {"reference": declaration})
            return _back_to_queue(request)
    return render(
        request,
        "declarations/queue/take_over.html",
        {
            "declaration": declaration,
            "form": form,
            "next": request.POST.get("next") or request.GET.get("next") or reverse("declarations:officer-queue"),
        },
        status=400 if request.method == "POST" else 200,
    )


def _selected_ids(request) -> list[int]:
    ids = []
    for value in request.POST.getlist("declaration"):
        if value.isdigit() and int(value) not in ids:
            ids.append(int(value))
    return ids


@customs_required
@require_POST
def queue_release_view(request):
    """Release the selected declarations: first a confirmation page, then each one decided on its own."""
    ids = _selected_ids(request)
    # Only declarations this officer can see are looked at; any other id is simply "not found".
    selected = list(
        declaration_list(actor=request.user).filter(pk__in=ids).order_by("queue_rank", "submitted_at", "id")
    )
    next_url = request.POST.get("next") or reverse("declarations:officer-queue")
    if not ids:
        messages.error(request, _("Select at least one green or yellow declaration to release."))
        return _back_to_queue(request)
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "declarations/queue/release_confirm.html",
            {
                "selected": selected,
                "missing": len(ids) - len(selected),
                "next": next_url,
                "releasable_lanes": BULK_RELEASABLE_LANES,
            },
        )
    visible = {declaration.pk for declaration in selected}
    outcomes = declaration_release_many(actor=request.user, declaration_ids=[pk for pk in ids if pk in visible])
    return render(
        request,
        "declarations/queue/release_result.html",
        {
            "released": [outcome for outcome in outcomes if outcome.released],
            "refused": [outcome for outcome in outcomes if not outcome.released],
            "missing": len(ids) - len(visible),
            "next": next_url,
        },
    )
