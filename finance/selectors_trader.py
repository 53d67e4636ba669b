"""Reads of ``finance`` for the trader side and for both sides alike, scoped to the actor.

A trader's staff see their organisation's requests, a bank's officers the requests addressed
to their bank; anybody else sees none. Outside that scope a request is "not found".
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from declarations.models import Declaration
from portal import roles
from portal.models import User

from .models import FinancingProduct, FinancingRequest, Pledge
from .services import PLEDGEABLE_STATUSES


def financing_request_list(*, actor: User, status: str | None = None) -> QuerySet[FinancingRequest]:
    """The requests the actor may see, newest first, with what lists show already joined."""
    queryset = FinancingRequest.objects.select_related("bank", "trader", "product", "currency")
    if roles.is_trader(actor):
        queryset = queryset.filter(trader_id=actor.organisation_id)
    elif roles.is_bank_officer(actor):
        queryset = queryset.filter(bank_id=actor.organisation_id)
    else:
        return queryset.none()
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def financing_request_get(*, actor: User, request_id: int) -> FinancingRequest:
    """One request in the actor's scope with its pledges, documents and money moved; Http404 otherwise."""
    request = (
        financing_request_list(actor=actor)
        .prefetch_related(
            Prefetch(
                "pledges",
                queryset=Pledge.objects.select_related("declaration", "value_currency").order_by(
                    "declaration__reference"
                ),
            ),
            "documents",
            "movements",
        )
        .filter(pk=request_id)
        .first()
        if str(request_id).isdigit()
        else None
    )
    if request is None:
        raise Http404(_("No such financing request."))
    return request


def financing_request_history(request: FinancingRequest) -> list:
    """The request's history rows, oldest first, with who acted."""
    return list(request.history.select_related("history_user").order_by("history_date", "history_id"))


def financing_products_offered() -> QuerySet[FinancingProduct]:
    """Every bank's products on offer, with their currencies."""
    return (
        FinancingProduct.objects.filter(active=True)
        .select_related("bank")
        .prefetch_related("currencies")
        .order_by("bank__name_en", "name_en")
    )


def declarations_pledgeable(*, actor: User, include_held: bool = False) -> QuerySet[Declaration]:
    """The actor's organisation's declarations that some product could accept and that no active request holds
    (with ``include_held``, also those an active request holds: a form sent after another request took one
    must reach the service, which names that request)."""
    if not roles.is_trader(actor):
        return Declaration.objects.none()
    queryset = Declaration.objects.filter(declarant_id=actor.organisation_id, status__in=PLEDGEABLE_STATUSES)
    if not include_held:
        queryset = queryset.exclude(pledges__active=True)
    return queryset.select_related("invoice_currency").order_by("-created_at", "-id")


def financing_waiting_for_trader(*, actor: User, limit: int = 8) -> list[dict]:
    """The home card: the organisation's open requests, those the bank asked about first, as links."""
    from django.db.models import Case, IntegerField, Value, When
    from django.urls import reverse

    from .choices import ACTIVE_STATUSES, RequestStatus

    requests = (
        financing_request_list(actor=actor)
        .filter(status__in=ACTIVE_STATUSES)
        .annotate(
            asked=Case(
                When(status=RequestStatus.INFORMATION_REQUESTED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("asked", "-created_at", "-id")[:limit]
    )
    return [
        {
            "url": reverse("finance:request_detail", args=[request.pk]),
            "label": _("%(reference)s — %(bank)s — %(status)s")
            % {"reference": request.reference, "bank": request.bank, "status": request.get_status_display()},
        }
        for request in requests
    ]
