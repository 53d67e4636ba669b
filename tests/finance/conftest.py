import pytest

from finance.choices import ProductKind
from tests import factories

from .support import bank_with_products, released_declaration


@pytest.fixture
def trader():
    return factories.trader()


@pytest.fixture
def bank():
    """(officer, products by kind) of one bank."""
    return bank_with_products()


@pytest.fixture
def other_bank():
    return bank_with_products()


@pytest.fixture
def rebate(bank):
    return bank[1][ProductKind.EXPORT_TAX_REBATE]


@pytest.fixture
def released(trader):
    return released_declaration(trader=trader)


@pytest.fixture
def departed(trader):
    return released_declaration(trader=trader, departed=True)
