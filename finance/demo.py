"""Demo trade finance: both demo banks' products and rate tables, and requests in every state
pledging the demo trader's declarations. Built through the real services (history, ledger,
notifications as in real use) and idempotent: nothing is added when the banks already have products."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from declarations.models import Declaration
from portal.models import User

from . import services
from .choices import ProductKind
from .models import FinancingProduct

PRODUCTS = {
    "bank.gbtb": [
        (
            ProductKind.EXPORT_TAX_REBATE,
            "Export tax rebate advance",
            "出口退税融资",
            ["CNY", "USD"],
            "80",
            30,
            180,
            None,
        ),
        (
            ProductKind.CROSS_BORDER_ECOMMERCE,
            "Cross-border e-commerce receivables",
            "跨境电商融资",
            ["USD", "HKD"],
            "85",
            15,
            120,
            ["released", "departed", "arrived"],
        ),
        (
            ProductKind.PRE_SHIPMENT,
            "Pre-shipment order finance",
            "订单融资",
            ["CNY", "USD"],
            "50",
            30,
            90,
            ["submitted", "under_review", "resubmitted", "released"],
        ),
    ],
    "bank.lingnan": [
        (ProductKind.EXPORT_TAX_REBATE, "Tax rebate bridge loan", "退税贷", ["CNY"], "75", 30, 150, None),
        (
            ProductKind.CROSS_BORDER_ECOMMERCE,
            "E-commerce export finance",
            "跨境电商出口融资",
            ["USD", "EUR"],
            "90",
            30,
            90,
            ["released", "departed"],
        ),
        (
            ProductKind.PRE_SHIPMENT,
            "Order-backed working capital",
            "订单贷",
            ["USD"],
            "60",
            30,
            120,
            ["submitted", "under_review", "resubmitted"],
        ),
    ],
}
RATES = {
    "bank.gbtb": [("USD", "CNY", "7.1800"), ("EUR", "CNY", "7.8100"), ("USD", "HKD", "7.8000")],
    "bank.lingnan": [("CNY", "USD", "0.13900000"), ("USD", "EUR", "0.9200")],  # the inverse serves USD→CNY
}


def _declaration(document: str) -> Declaration | None:
    return Declaration.objects.filter(transport_document_number=document, declarant__members__username="trader").first()


def _ask(trader, product, declaration, currency, share, tenor, message=""):
    maximum = services.financing_max_amount(product=product, declarations=[declaration], currency=currency)
    amount = (maximum * Decimal(share)).quantize(Decimal("1000"))
    return services.financing_request_create(
        actor=trader,
        product_id=product.pk,
        amount=amount,
        currency=currency,
        tenor_days=tenor,
        declaration_ids=[declaration.pk],
        message=message,
    )


@transaction.atomic
def demo_finance_seed() -> int:
    """Products and rates of both demo banks, then requests in every state; returns the requests made."""
    officers = {username: User.objects.get(username=username) for username in PRODUCTS}
    if FinancingProduct.objects.filter(bank=officers["bank.gbtb"].organisation).exists():
        return 0
    products = {}
    for username, rows in PRODUCTS.items():
        for kind, name_en, name_zh, currencies, percent, low, high, statuses in rows:
            products[username, kind] = services.product_upsert(
                actor=officers[username],
                kind=kind,
                name_en=name_en,
                name_zh=name_zh,
                currencies=currencies,
                max_advance_percent=Decimal(percent),
                min_tenor_days=low,
                max_tenor_days=high,
                accepted_statuses=statuses,
            )
        for base, quote, rate in RATES[username]:
            services.exchange_rate_set(
                actor=officers[username],
                base=base,
                quote=quote,
                rate=Decimal(rate),
                valid_from=timezone.now() - timedelta(days=1),
            )
    trader = User.objects.get(username="trader")
    gbtb, lingnan = officers["bank.gbtb"], officers["bank.lingnan"]
    released, departed, released_standard = (_declaration(f"DEMO-BL-{n}") for n in ("0007", "0008", "0011"))
    under_review = _declaration("DEMO-BL-0003")
    today = timezone.localdate()
    made = 0

    # Ended requests first: they released their pledges, so the same declarations back the open ones.
    withdrawn = _ask(trader, products["bank.gbtb", ProductKind.EXPORT_TAX_REBATE], released, "CNY", "0.5", 90)
    services.financing_request_withdraw(actor=trader, request_id=withdrawn.pk, reason="Buyer paid in advance.")
    rejected = _ask(trader, products["bank.lingnan", ProductKind.EXPORT_TAX_REBATE], departed, "CNY", "0.9", 120)
    services.financing_request_reject(
        actor=lingnan,
        request_id=rejected.pk,
        reason="Our exposure to the furniture sector is at its limit this quarter.",
    )
    closed = _ask(
        trader, products["bank.gbtb", ProductKind.CROSS_BORDER_ECOMMERCE], released_standard, "USD", "0.6", 60
    )
    services.financing_request_approve(
        actor=gbtb, request_id=closed.pk, approved_amount=closed.amount, interest_rate_percent=Decimal("4.350")
    )
    services.financing_request_disburse(
        actor=gbtb,
        request_id=closed.pk,
        amount=closed.amount,
        value_date=today - timedelta(days=50),
        bank_reference="GBTB-TT-240118",
    )
    services.financing_request_repay(
        actor=gbtb,
        request_id=closed.pk,
        amount=closed.amount,
        value_date=today - timedelta(days=5),
        bank_reference="GBTB-RP-240302",
    )
    services.financing_request_close(actor=gbtb, request_id=closed.pk, note="Repaid in full with interest.")
    made += 3

    disbursed = _ask(
        trader,
        products["bank.gbtb", ProductKind.EXPORT_TAX_REBATE],
        departed,
        "CNY",
        "0.7",
        120,
        "Rebate expected from the Shunde tax bureau within four months.",
    )
    services.financing_request_approve(
        actor=gbtb,
        request_id=disbursed.pk,
        approved_amount=disbursed.amount,
        interest_rate_percent=Decimal("3.850"),
        conditions="Rebate proceeds are assigned to the bank.",
    )
    services.financing_request_disburse(
        actor=gbtb,
        request_id=disbursed.pk,
        amount=disbursed.amount,
        value_date=today - timedelta(days=3),
        bank_reference="GBTB-TT-240311",
    )
    approved = _ask(trader, products["bank.lingnan", ProductKind.CROSS_BORDER_ECOMMERCE], released, "USD", "0.8", 60)
    services.financing_request_approve(
        actor=lingnan,
        request_id=approved.pk,
        approved_amount=(approved.amount * Decimal("0.9")).quantize(Decimal("1")),
        interest_rate_percent=Decimal("5.100"),
        conditions="Buyer's payment to be routed through our collection account.",
    )
    asked = _ask(trader, products["bank.gbtb", ProductKind.EXPORT_TAX_REBATE], released_standard, "USD", "0.5", 90)
    services.financing_request_ask_information(
        actor=gbtb, request_id=asked.pk, message="Please attach the export sales contract."
    )
    made += 3
    if under_review is not None and under_review.status in ("submitted", "under_review", "resubmitted"):
        _ask(
            trader,
            products["bank.lingnan", ProductKind.PRE_SHIPMENT],
            under_review,
            "USD",
            "0.5",
            60,
            "Order from a repeat buyer in Los Angeles.",
        )
        made += 1
    return made
