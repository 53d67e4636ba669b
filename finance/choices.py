"""Financing products, request statuses and the one table of allowed request transitions."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.choices import Role


class ProductKind(models.TextChoices):
    CROSS_BORDER_ECOMMERCE = "cross_border_ecommerce", _("Cross-border e-commerce financing")
    EXPORT_TAX_REBATE = "export_tax_rebate", _("Export tax rebate financing")
    PRE_SHIPMENT = "pre_shipment", _("Pre-shipment (order) financing")


class RequestStatus(models.TextChoices):
    UNDER_REVIEW = "under_review", _("Under review")
    INFORMATION_REQUESTED = "information_requested", _("Information requested")
    APPROVED = "approved", _("Approved")
    DISBURSED = "disbursed", _("Disbursed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed")


# A request in one of these holds its pledges; the others have released them.
ACTIVE_STATUSES = (
    RequestStatus.UNDER_REVIEW,
    RequestStatus.INFORMATION_REQUESTED,
    RequestStatus.APPROVED,
    RequestStatus.DISBURSED,
)


class RequestAction(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    ASK_INFORMATION = "ask_information", _("Ask for information")
    PROVIDE_INFORMATION = "provide_information", _("Provide information")
    WITHDRAW = "withdraw", _("Withdraw")
    DISBURSE = "disburse", _("Record disbursement")
    REPAY = "repay", _("Record repayment")
    CLOSE = "close", _("Close")


# action → (states it may start from, resulting state (None: unchanged), who may take it)
REQUEST_TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None, frozenset[str]]] = {
    RequestAction.APPROVE: ((RequestStatus.UNDER_REVIEW,), RequestStatus.APPROVED, frozenset({Role.BANK_OFFICER})),
    RequestAction.REJECT: (
        (RequestStatus.UNDER_REVIEW, RequestStatus.INFORMATION_REQUESTED),
        RequestStatus.REJECTED,
        frozenset({Role.BANK_OFFICER}),
    ),
    RequestAction.ASK_INFORMATION: (
        (RequestStatus.UNDER_REVIEW,),
        RequestStatus.INFORMATION_REQUESTED,
        frozenset({Role.BANK_OFFICER}),
    ),
    RequestAction.PROVIDE_INFORMATION: (
        (RequestStatus.INFORMATION_REQUESTED,),
        RequestStatus.UNDER_REVIEW,
        frozenset({Role.TRADER_STAFF}),
    ),
    RequestAction.WITHDRAW: (
        (RequestStatus.UNDER_REVIEW, RequestStatus.INFORMATION_REQUESTED),
        RequestStatus.WITHDRAWN,
        frozenset({Role.TRADER_STAFF}),
    ),
    RequestAction.DISBURSE: ((RequestStatus.APPROVED,), RequestStatus.DISBURSED, frozenset({Role.BANK_OFFICER})),
    RequestAction.REPAY: ((RequestStatus.DISBURSED,), None, frozenset({Role.BANK_OFFICER})),
    RequestAction.CLOSE: (
        (RequestStatus.APPROVED, RequestStatus.DISBURSED),
        RequestStatus.CLOSED,
        frozenset({Role.BANK_OFFICER}),
    ),
}
