"""Bank officers configure their own bank's products and rates through the pages."""

from decimal import Decimal

import pytest
from django.urls import reverse

from finance.models import ExchangeRate, FinancingProduct
from tests import factories
from tests.finance.support import bank_with_products

pytestmark = pytest.mark.django_db

NEW_PRODUCT = {
    "kind": "export_tax_rebate",
    "name_en": "Rebate bridge",
    "name_zh": "退税桥",
    "currencies": "cny, USD",
    "max_advance_percent": "75",
    "min_tenor_days": "30",
    "max_tenor_days": "120",
    "active": "on",
}


def test_a_bank_officer_creates_a_product_and_sees_it_listed(client):
    officer = factories.bank_officer()
    client.force_login(officer)
    response = client.post(reverse("finance:bank_product_new"), NEW_PRODUCT)
    assert response.status_code == 302
    product = FinancingProduct.objects.get(bank=officer.organisation, name_en="Rebate bridge")
    assert sorted(product.currencies.values_list("code", flat=True)) == ["CNY", "USD"]
    assert product.exports_only and product.accepted_statuses == ["released", "departed"]
    assert "Rebate bridge" in client.get(reverse("finance:bank_products")).content.decode()


def test_service_rules_come_back_on_the_named_fields(client):
    client.force_login(factories.bank_officer())
    response = client.post(
        reverse("finance:bank_product_new"),
        {
            **NEW_PRODUCT,
            "currencies": "XXX",
            "min_tenor_days": "90",
            "max_tenor_days": "30",
            "accepted_statuses": ["submitted"],
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "Unknown currency codes: XXX." in errors["currencies"][0]
    assert "max_tenor_days" in errors and "accepted_statuses" in errors
    assert not FinancingProduct.objects.exists()


def test_an_officer_edits_only_their_own_banks_products(client):
    officer, products = bank_with_products()
    product = products["export_tax_rebate"]
    client.force_login(officer)
    assert (
        client.post(
            reverse("finance:bank_product_edit", args=[product.pk]), {**NEW_PRODUCT, "name_en": "Renamed"}
        ).status_code
        == 302
    )
    product.refresh_from_db()
    assert product.name_en == "Renamed" and product.history.first().history_user == officer
    client.force_login(factories.bank_officer())
    assert client.get(reverse("finance:bank_product_edit", args=[product.pk])).status_code == 404


def test_a_rate_is_recorded_and_listed(client):
    officer = factories.bank_officer()
    client.force_login(officer)
    recorded = client.post(reverse("finance:bank_rate_new"), {"base": "usd", "quote": "CNY", "rate": "7.1"})
    assert recorded.status_code == 302
    assert ExchangeRate.objects.get(bank=officer.organisation).rate == Decimal("7.1")
    assert "1 USD = 7.10000000 CNY" in client.get(reverse("finance:bank_products")).content.decode()
    refused = client.post(reverse("finance:bank_rate_new"), {"base": "USD", "quote": "USD", "rate": "1"})
    assert refused.status_code == 400 and "quote" in refused.context["form"].errors


def test_other_roles_cannot_configure_products(client):
    client.force_login(factories.trader())
    assert client.get(reverse("finance:bank_products")).status_code == 403
    assert client.post(reverse("finance:bank_product_new"), NEW_PRODUCT).status_code == 403
