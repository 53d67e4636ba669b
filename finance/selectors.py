"""Bank-side reads of financing: the queue of requests addressed to the officer's bank and the review of one.

Everything here is scoped to the actor's bank: a request addressed to another bank, or any
record of the trader that is not pledged in a request to this bank, is simply not found.
(The trader side's reads are in ``selectors_trader.py``.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import F, Prefetch, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from declarations.models import Declaration, VerificationWarning
from declarations.selectors import SEVERITY_ORDER, declaration_page
from declarations.verification import declaration_verification_reference
from inspections.models import Certificate, Inspection
from portal import roles
from portal.ledger.selectors import RecordVerification, record_verification_get
from portal.models import Organisation, User

from .choices import RequestStatus
from .models import FinancingProduct, FinancingRequest, MoneyMovement, Pledge

# Statuses in which the bank has to decide.
AWAITING_BANK = (RequestStatus.UNDER_REVIEW,)
# A disbursed request shows as due this long before its tenor ends.
DUE_WINDOW = timedelta(days=14)


def financing_request_list_for_bank(
    *,
    actor: User,
    status: str = "",
    product_id: int | None = None,
    trader_id: int | None = None,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
) -> QuerySet[FinancingRequest]:
    """Requests addressed to the actor's bank, newest first, with the queue's filters; none for anyone else.

    The rows carry their trader, product and currency (one query for a page of any size).
    """
    if not roles.is_bank_officer(actor):
        return FinancingRequest.objects.none()
    queryset = FinancingRequest.objects.filter(bank_id=actor.organisation_id).select_related(
        "trader", "product", "currency"
    )
    if status:
        queryset = queryset.filter(status=status)
    if product_id:
        queryset = queryset.filter(product_id=product_id)
    if trader_id:
        queryset = queryset.filter(trader_id=trader_id)
    if amount_min is not None:
        queryset = queryset.filter(amount__gte=amount_min)
    if amount_max is not None:
        queryset = queryset.filter(amount__lte=amount_max)
    return queryset.order_by("-created_at", "-id")


def financing_request_page_for_bank(
    *, actor: User, after: str = "", before: str = "", size: int = 25, **filters
) -> dict:
    """One keyset page (newest first, no OFFSET, no COUNT) of the bank's queue: rows and neighbour cursors."""
    return declaration_page(
        financing_request_list_for_bank(actor=actor, **filters), after=after, before=before, size=size
    )


def bank_queue_filter_choices(*, actor: User) -> dict:
    """The bank's own products and the traders that asked it for financing, for the queue's filter menus."""
    if not roles.is_bank_officer(actor):
        return {"products": [], "traders": []}
    return {
        "products": list(FinancingProduct.objects.filter(bank_id=actor.organisation_id).order_by("name_en")),
        "traders": list(
            Organisation.objects.filter(financing_requests__bank_id=actor.organisation_id)
            .distinct()
            .order_by("name_en")
        ),
    }


def financing_request_get_for_bank(*, actor: User, request_id: int) -> FinancingRequest:
    """One request addressed to the actor's bank; ``FinancingRequest.DoesNotExist`` otherwise."""
    return financing_request_list_for_bank(actor=actor).select_related("created_by").get(pk=request_id)


@dataclass
class PledgedDeclaration:
    """What a bank may see of one pledged declaration: its state, evidence and ledger verification."""

    pledge: Pledge
    declaration: Declaration
    warnings: list = field(default_factory=list)
    inspection: Inspection | None = None
    certificates: list = field(default_factory=list)
    verification: RecordVerification | None = None
    verification_reference: str = ""

    @property
    def changed_since_pledge(self) -> bool:
        return self.declaration.version != self.pledge.declaration_version


def pledged_declarations_for_bank(
    *, financing_request: FinancingRequest, with_ledger: bool = True
) -> list[PledgedDeclaration]:
    """The request's pledged declarations (read-only) with their current warnings, latest inspection result
    and certificates; with ``with_ledger``, whether each record matches its latest ledger entry.

    Four queries for the pledges and their evidence whatever their number; the ledger check of
    each declaration is ``record_verification_get`` (a fixed few queries per declaration).
    """
    pledges = list(
        Pledge.objects.filter(request=financing_request)
        .select_related(
            "declaration__origin_port",
            "declaration__transfer_port",
            "declaration__foreign_port",
            "declaration__declarant",
            "value_currency",
        )
        .prefetch_related(
            Prefetch(
                "declaration__inspections",
                queryset=Inspection.objects.exclude(result="").select_related("port").order_by("-recorded_at", "-id"),
                to_attr="recorded_inspections",
            ),
            Prefetch(
                "declaration__certificates",
                queryset=Certificate.objects.order_by("-issued_at", "-id"),
                to_attr="certificate_list",
            ),
        )
        .order_by("id")
    )
    declarations = [pledge.declaration for pledge in pledges]
    warnings_by_declaration: dict[int, list] = {}
    if declarations:
        warnings = VerificationWarning.objects.filter(
            declaration__in=declarations, run__version=F("declaration__version")
        ).order_by(SEVERITY_ORDER, "code", "key")
        for warning in warnings:
            warnings_by_declaration.setdefault(warning.declaration_id, []).append(warning)
    result = []
    for pledge in pledges:
        declaration = pledge.declaration
        reference = declaration_verification_reference(declaration)
        result.append(
            PledgedDeclaration(
                pledge=pledge,
                declaration=declaration,
                warnings=warnings_by_declaration.get(declaration.pk, []),
                inspection=declaration.recorded_inspections[0] if declaration.recorded_inspections else None,
                certificates=declaration.certificate_list,
                verification=record_verification_get(reference=reference) if with_ledger else None,
                verification_reference=reference,
            )
        )
    return result


def movement_totals(movements) -> dict[str, Decimal]:
    disbursed = sum((m.amount for m in movements if m.kind == MoneyMovement.Kind.DISBURSEMENT), Decimal("0"))
    repaid = sum((m.amount for m in movements if m.kind == MoneyMovement.Kind.REPAYMENT), Decimal("0"))
    return {"disbursed": disbursed, "repaid": repaid, "outstanding": disbursed - repaid}


def financing_request_review(*, actor: User, request_id: int) -> dict:
    """Everything the bank's review page shows about one of its requests (DoesNotExist for another bank's)."""
    financing_request = financing_request_get_for_bank(actor=actor, request_id=request_id)
    movements = list(financing_request.movements.order_by("value_date", "id"))
    return {
        "financing_request": financing_request,
        "pledged": pledged_declarations_for_bank(financing_request=financing_request),
        "documents": list(financing_request.documents.order_by("uploaded_at", "id")),
        "movements": movements,
        **movement_totals(movements),
        "history": bank_request_history(financing_request=financing_request),
    }


def bank_request_history(*, financing_request: FinancingRequest) -> list[dict]:
    """Each recorded change of the request's status or messages, oldest first (one query)."""
    watched = ("status", "bank_message", "trader_message", "approved_amount")
    records = financing_request.history.order_by("history_date", "history_id").values(
        "history_date",
        "history_change_reason",
        *watched,
        "history_user__username",
        "history_user__first_name",
        "history_user__last_name",
        "history_user__organisation__name_en",
    )
    events, previous = [], None
    for record in records:
        if (
            previous is not None
            and not record["history_change_reason"]
            and all(record[name] == previous[name] for name in watched)
        ):
            previous = record
            continue
        name = (
            " ".join(part for part in (record["history_user__first_name"], record["history_user__last_name"]) if part)
            or record["history_user__username"]
            or ""
        )
        events.append(
            {
                "when": record["history_date"],
                "who": name,
                "organisation": record["history_user__organisation__name_en"] or "",
                "status": record["status"],
                "status_label": RequestStatus(record["status"]).label,
                "note": record["history_change_reason"] or "",
                "bank_message": record["bank_message"]
                if previous is None or record["bank_message"] != previous["bank_message"]
                else "",
                "trader_message": record["trader_message"]
                if previous is None or record["trader_message"] != previous["trader_message"]
                else "",
            }
        )
        previous = record
    return events


def bank_home_waiting(*, actor: User, limit: int = 10) -> dict[str, list[dict]]:
    """The bank officer home's two cards: requests to review (oldest first) and money due.

    "Due": approved requests waiting for their disbursement, and disbursed requests whose tenor
    (counted from the decision) ends within ``DUE_WINDOW`` or has ended, with what is still
    outstanding. Two queries whatever the numbers.
    """
    if not roles.is_bank_officer(actor):
        return {"to_review": [], "due": []}
    mine = FinancingRequest.objects.filter(bank_id=actor.organisation_id).select_related("trader")
    to_review = [
        {
            "url": reverse("finance:bank_request_detail", args=[row.pk]),
            "label": _("%(reference)s · %(trader)s · %(amount)s %(currency)s%(flag)s")
            % {
                "reference": row.reference,
                "trader": row.trader,
                "amount": row.amount,
                "currency": row.currency_id,
                "flag": _(" · collateral changed") if row.flagged else "",
            },
        }
        for row in mine.filter(status__in=AWAITING_BANK).order_by("created_at", "id")[:limit]
    ]
    due_rows = (
        mine.filter(status__in=(RequestStatus.APPROVED, RequestStatus.DISBURSED))
        .annotate(
            disbursed=Sum("movements__amount", filter=Q(movements__kind=MoneyMovement.Kind.DISBURSEMENT)),
            repaid=Sum("movements__amount", filter=Q(movements__kind=MoneyMovement.Kind.REPAYMENT)),
        )
        .order_by("decided_at", "id")
    )
    horizon = timezone.now() + DUE_WINDOW
    due = []
    for row in due_rows:
        if row.status == RequestStatus.APPROVED:
            label = _("%(reference)s · %(trader)s · disburse %(amount)s %(currency)s") % {
                "reference": row.reference,
                "trader": row.trader,
                "amount": row.approved_amount,
                "currency": row.currency_id,
            }
        else:
            ends = (row.decided_at or row.created_at) + timedelta(days=row.tenor_days)
            if ends > horizon:
                continue
            outstanding = (row.disbursed or Decimal("0")) - (row.repaid or Decimal("0"))
            label = _("%(reference)s · %(trader)s · %(amount)s %(currency)s to be repaid by %(date)s") % {
                "reference": row.reference,
                "trader": row.trader,
                "amount": outstanding,
                "currency": row.currency_id,
                "date": timezone.localdate(ends).isoformat(),
            }
        due.append({"url": reverse("finance:bank_request_detail", args=[row.pk]), "label": label})
        if len(due) >= limit:
            break
    return {"to_review": to_review, "due": due}
