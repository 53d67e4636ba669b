import pytest

from declarations.services import declaration_create_draft
from tests import factories


@pytest.fixture
def trader():
    return factories.trader()


@pytest.fixture
def draft(trader):
    return declaration_create_draft(actor=trader, **factories.declaration_input(items=2, containers=2))
