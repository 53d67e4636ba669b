"""Data for the finance tests, built through the real services (not a test module itself)."""

from __future__ import annotations

from decimal import Decimal

from declarations.choices import Action
from declarations.models import Declaration
from declarations.services import (
    declaration_create_draft,
    declaration_decide,
    declaration_submit,
    declaration_system_transition,
)
from finance.choices import ProductKind
from finance.models import FinancingProduct
from finance.services import exchange_rate_set, product_upsert
from portal.models import User
from tests import factories


def submitted_declaration(*, trader: User, items: int = 2, **header) -> Declaration:
    """An integrated export (8,800.00 USD an item), submitted."""
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(items=items, containers=1, **header))
    return declaration_submit(actor=trader, declaration_id=draft.pk)


def released_declaration(*, trader: User, items: int = 2, departed: bool = False, **header) -> Declaration:
    """As :func:`submitted_declaration`, released by an officer of Shunde (and departed if asked)."""
    declaration = submitted_declaration(trader=trader, items=items, **header)
    officer = factories.customs_officer(ports=("CNSUD",))
    declaration = declaration_decide(actor=officer, declaration_id=declaration.pk, action=Action.RELEASE)
    if departed:
        declaration = declaration_system_transition(declaration_id=declaration.pk, action=Action.DEPART)
    return declaration


def colleague(user: User, role: str | None = None) -> User:
    return factories.UserFactory(role=role or user.role, organisation=user.organisation)


def bank_with_products(officer: User | None = None) -> tuple[User, dict[str, FinancingProduct]]:
    """A bank officer, the bank's three products (CNY and USD) and its USD→CNY and CNY→EUR rates."""
    officer = officer or factories.bank_officer()
    products = {
        ProductKind.EXPORT_TAX_REBATE: product_upsert(
            actor=officer,
            kind=ProductKind.EXPORT_TAX_REBATE,
            name_en="Export tax rebate advance",
            currencies=["CNY", "USD"],
            max_advance_percent=Decimal("80"),
            min_tenor_days=30,
            max_tenor_days=180,
        ),
        ProductKind.CROSS_BORDER_ECOMMERCE: product_upsert(
            actor=officer,
            kind=ProductKind.CROSS_BORDER_ECOMMERCE,
            name_en="E-commerce receivables",
            currencies=["USD", "EUR"],
            max_advance_percent=Decimal("90"),
            min_tenor_days=15,
            max_tenor_days=120,
            accepted_statuses=["released", "departed", "arrived"],
        ),
        ProductKind.PRE_SHIPMENT: product_upsert(
            actor=officer,
            kind=ProductKind.PRE_SHIPMENT,
            name_en="Order financing",
            currencies=["USD"],
            max_advance_percent=Decimal("50"),
            min_tenor_days=30,
            max_tenor_days=90,
            accepted_statuses=["submitted", "under_review", "resubmitted", "released"],
        ),
    }
    exchange_rate_set(actor=officer, base="USD", quote="CNY", rate=Decimal("7.20"))
    exchange_rate_set(actor=officer, base="CNY", quote="EUR", rate=Decimal("0.125"))
    return officer, products
