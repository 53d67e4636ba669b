"""Reads of declarations used by pages and the API alike, always scoped to the actor."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from portal import roles
from portal.models import User

from .models import Declaration, DeclarationContainer, DeclarationItem
from .validators import normalise_container_number


def declaration_list(*, actor: User, search: str = "", status: str = "", lane: str = "",
                     submitted_from=None, submitted_to=None) -> QuerySet[Declaration]:
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
        queryset = queryset.exclude(status="draft").filter(
            Q(origin_port__in=ports) | Q(transfer_port__in=ports)
        )
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


def declaration_get(*, actor: User, declaration_id: int) -> Declaration:
    """One declaration the actor may see, with its items, containers and documents; DoesNotExist otherwise."""
    return (
        declaration_list(actor=actor)
        .select_related("consignee_country", "invoice_currency", "created_by")
        .prefetch_related(
            Prefetch("items", queryset=DeclarationItem.objects.select_related("hs_code", "origin_country")),
            "containers",
            "documents",
        )
        .get(pk=declaration_id)
    )
