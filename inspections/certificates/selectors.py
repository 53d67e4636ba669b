"""Reads of certificates for pages and the API alike, always scoped to the actor.

Traders see their organisation's certificates; customs staff those of declarations whose
clearance or transfer port they serve. Anyone else sees none (and gets 404, never 403).
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from declarations.models import Declaration, DeclarationItem
from portal import roles
from portal.models import User

from ..models import Certificate


def certificate_list(*, actor: User, declaration_id: int | None = None) -> QuerySet[Certificate]:
    """Certificates the actor may see, newest first; ``declaration_id`` narrows to one declaration."""
    queryset = Certificate.objects.select_related(
        "declaration__declarant",
        "declaration__origin_port",
        "declaration__transfer_port",
        "issued_by",
        "revoked_by",
    ).prefetch_related(Prefetch("items", queryset=DeclarationItem.objects.order_by("line_number")))
    if roles.is_trader(actor):
        queryset = queryset.filter(declaration__declarant_id=actor.organisation_id)
    elif roles.is_customs(actor):
        ports = actor.ports_served.values("pk")
        queryset = queryset.filter(Q(declaration__origin_port__in=ports) | Q(declaration__transfer_port__in=ports))
    else:
        return queryset.none()
    if declaration_id is not None:
        queryset = queryset.filter(declaration_id=declaration_id)
    return queryset.order_by("-issued_at", "-id")


def certificate_get(*, actor: User, certificate_id: int) -> Certificate:
    """One certificate the actor may see; ``Certificate.DoesNotExist`` otherwise."""
    return certificate_list(actor=actor).get(pk=certificate_id)


def declaration_for_certificates(*, actor: User, declaration_id: int) -> Declaration:
    """A declaration the actor may see, with its items; ``Declaration.DoesNotExist`` otherwise."""
    from declarations.selectors import declaration_list

    return (
        declaration_list(actor=actor)
        .prefetch_related(Prefetch("items", queryset=DeclarationItem.objects.select_related("hs_code")))
        .get(pk=declaration_id)
    )
