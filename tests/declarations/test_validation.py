"""Each domain rule, through the service, names the exact field."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from declarations.models import Declaration
from declarations.services import declaration_create_draft, declaration_submit
from declarations.services.validation import declaration_errors
from tests import factories

pytestmark = pytest.mark.django_db


def errors_for(**changes) -> dict:
    data = factories.declaration_input(items=2, containers=2)
    for path, value in changes.items():
        target = data
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
    return declaration_errors(data["header"], data["items"], data["containers"], complete=True)


def test_a_complete_declaration_has_no_errors():
    assert errors_for() == {}


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"containers__1__number": "CSQU3054384"}, "containers.1.number", "it must be 3"),
        ({"containers__1__number": "CSQU3054383"}, "containers.1.number", "already declared on line 1"),
        ({"items__0__hs_code": "999999"}, "items.0.hs_code", "not in the tariff"),
        ({"items__0__hs_code": "9403"}, "items.0.hs_code", "more detailed codes"),
        ({"items__1__origin_country": "XX"}, "items.1.origin_country", "not an ISO 3166"),
        ({"header__invoice_currency": "XYZ"}, "invoice_currency", "not an ISO 4217"),
        ({"header__consignee_country": "QQ"}, "consignee_country", "not an ISO 3166"),
        ({"items__0__gross_mass": Decimal("0")}, "items.0.gross_mass", "greater than zero"),
        ({"items__0__net_mass": Decimal("-1")}, "items.0.net_mass", "greater than zero"),
        ({"items__0__net_mass": Decimal("1300")}, "items.0.net_mass", "cannot exceed gross mass"),
        ({"items__0__value": Decimal("-0.01")}, "items.0.value", "not be negative"),
        ({"items__0__value": Decimal("1.001")}, "items.0.value", "two decimal places"),
        ({"header__transfer_port": "CNSUD"}, "transfer_port", "must differ"),
        ({"header__transfer_port": "CNNSA"}, "transfer_port", "not an integrated port pair"),
        ({"header__transfer_port": None}, "transfer_port", "other port of the pair"),
        ({"header__origin_port": "ZZZZZ"}, "origin_port", "not a known port"),
        ({"header__transport_document_number": ""}, "transport_document_number", "required"),
        ({"items": []}, "items", "at least one goods item"),
    ],
)
def test_each_rule_names_its_field(change, field, fragment):
    errors = errors_for(**change)
    assert field in errors, errors
    assert any(fragment in message for message in errors[field]), errors[field]


def test_standard_declaration_must_not_name_a_transfer_port():
    errors = errors_for(header__procedure="standard")
    assert "transfer_port" in errors


def test_a_draft_may_be_incomplete_but_not_wrong():
    data = factories.declaration_input()
    header = {"direction": "export", "procedure": "integrated", "origin_port": "CNSUD"}
    assert declaration_errors(header, [], [], complete=False) == {}
    assert "containers.0.number" in declaration_errors(header, [], [{"number": "CSQU3054384"}], complete=False)
    assert declaration_errors(data["header"], data["items"], data["containers"], complete=False) == {}


def test_invalid_draft_saves_nothing():
    trader = factories.trader()
    data = factories.declaration_input(items=3)
    data["items"][2]["hs_code"] = "000000"
    with pytest.raises(ValidationError) as excinfo:
        declaration_create_draft(actor=trader, **data)
    assert "items.2.hs_code" in excinfo.value.message_dict
    assert Declaration.objects.count() == 0


def test_submit_checks_what_a_draft_may_leave_out():
    trader = factories.trader()
    data = factories.declaration_input()
    data["header"]["transport_document_number"] = ""
    draft = declaration_create_draft(actor=trader, **data)
    with pytest.raises(ValidationError) as excinfo:
        declaration_submit(actor=trader, declaration_id=draft.pk)
    assert "transport_document_number" in excinfo.value.message_dict
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.reference is None


def test_totals_follow_the_items():
    trader = factories.trader()
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(items=3, containers=2))
    assert draft.item_count == 3 and draft.container_count == 2
    assert draft.total_packages == 120
    assert draft.total_gross_mass == Decimal("3600.000")
    assert draft.total_value == Decimal("26400.00")
