import pytest

from declarations.demo import demo_declarations_seed
from finance.choices import RequestStatus
from finance.demo import demo_finance_seed
from finance.models import FinancingProduct, FinancingRequest, Pledge
from portal.demo import demo_seed

pytestmark = pytest.mark.django_db


def test_demo_finance_has_both_banks_products_and_requests_in_every_state():
    demo_seed()
    demo_declarations_seed()
    assert demo_finance_seed() == 7
    assert FinancingProduct.objects.values("bank").distinct().count() == 2
    assert set(FinancingRequest.objects.values_list("status", flat=True)) == set(RequestStatus.values)
    assert set(FinancingRequest.objects.values_list("bank__members__username", flat=True)) == {
        "bank.gbtb",
        "bank.lingnan",
    }
    assert Pledge.objects.filter(active=True).count() == 4
    assert demo_finance_seed() == 0
