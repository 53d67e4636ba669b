"""``/api/v1/finance/bank/requests``: scope, filters, cursor pages, the ledger status of the collateral, every
bank action, conflicts, idempotency and the schema."""

from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from finance.choices import RequestStatus
from finance.models import FinancingRequest, MoneyMovement
from finance.services import financing_request_create
from portal.ledger.services import checkpoint_create
from tests import factories

from .support import colleague, released_declaration

BASE = "/api/v1/finance/bank/requests"


def ask(trader, product, declarations, *, amount="10000.00") -> FinancingRequest:
    return financing_request_create(
        actor=trader,
        product_id=product.pk,
        amount=Decimal(amount),
        currency="USD",
        tenor_days=90,
        declaration_ids=[d.pk for d in declarations],
    )


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def officer(bank):
    return bank[0]


@pytest.fixture
def financing(trader, departed, rebate):
    return ask(trader, rebate, [departed])


@pytest.mark.django_db
def test_list_holds_only_the_banks_own_requests_and_another_banks_request_is_404(
    trader, officer, financing, other_bank
):
    other_officer, other_products = other_bank
    theirs = ask(trader, other_products["export_tax_rebate"], [released_declaration(trader=trader, departed=True)])
    client = api(officer)
    body = client.get(BASE).json()
    assert [row["reference"] for row in body["results"]] == [financing.reference]
    assert client.get(f"{BASE}/{theirs.pk}").status_code == 404
    for path, payload in [
        ("decide", {"action": "reject", "reason": "no"}),
        ("disbursements", {"amount": "1", "value_date": "2026-01-01"}),
        ("repayments", {"amount": "1", "value_date": "2026-01-01"}),
        ("close", {}),
    ]:
        response = client.post(f"{BASE}/{theirs.pk}/{path}", payload, format="json")
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.status == RequestStatus.UNDER_REVIEW
    assert api(other_officer).get(f"{BASE}/{theirs.pk}").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("make_user", [factories.trader, factories.customs_officer, factories.logistics_system])
def test_other_roles_are_refused(make_user, financing):
    client = api(make_user())
    assert client.get(BASE).status_code == 403
    assert client.get(f"{BASE}/{financing.pk}").status_code == 403
    assert (
        client.post(f"{BASE}/{financing.pk}/decide", {"action": "reject", "reason": "x"}, format="json").status_code
        == 403
    )


@pytest.mark.django_db
def test_the_requesting_trader_is_refused_too(trader, financing):
    assert api(trader).get(f"{BASE}/{financing.pk}").status_code == 403


@pytest.mark.django_db
def test_list_filters_and_cursor_pages(trader, officer, bank, rebate, financing):
    products = bank[1]
    second_trader = factories.trader()
    ecommerce = ask(
        second_trader, products["cross_border_ecommerce"], [released_declaration(trader=second_trader)], amount="5000"
    )
    client = api(officer)

    def references(**query):
        response = client.get(BASE, query)
        assert response.status_code == 200, response.json()
        return [row["reference"] for row in response.json()["results"]]

    assert references() == [ecommerce.reference, financing.reference]
    assert references(product=products["cross_border_ecommerce"].pk) == [ecommerce.reference]
    assert references(trader=trader.organisation_id) == [financing.reference]
    assert references(amount_min="6000") == [financing.reference]
    assert references(amount_max="6000") == [ecommerce.reference]
    assert references(status="approved") == []
    bad = client.get(BASE, {"amount_min": "9", "amount_max": "1"})
    assert bad.status_code == 400 and "amount_max" in bad.json()["fields"]
    assert client.get(BASE, {"status": "nonsense"}).status_code == 400

    first = client.get(BASE, {"page_size": 1}).json()
    assert [row["reference"] for row in first["results"]] == [ecommerce.reference]
    second = client.get(first["next"]).json()
    assert [row["reference"] for row in second["results"]] == [financing.reference]
    assert second["next"] is None


@pytest.mark.django_db
def test_detail_gives_the_pledged_declarations_and_their_ledger_proof(officer, departed, financing):
    checkpoint, _created = checkpoint_create()
    body = api(officer).get(f"{BASE}/{financing.pk}").json()
    assert body["request"]["reference"] == financing.reference
    assert body["allowed_actions"] == ["approve", "reject", "ask_information"]
    [pledged] = body["pledged_declarations"]
    assert pledged["reference"] == departed.reference
    assert pledged["status"] == "departed" and pledged["pledge_active"] is True
    ledger = pledged["ledger"]
    assert ledger["status"] == "verified"
    assert ledger["reference"] == f"DECL-{departed.reference}"
    assert ledger["checkpoint_tree_size"] == checkpoint.tree_size
    assert ledger["checkpoint_root_hash"] == bytes(checkpoint.root_hash).hex()
    assert ledger["proof_url"].endswith(
        f"/api/v1/ledger/entries/{ledger['entry_seq']}/proof?tree_size={checkpoint.tree_size}"
    )
    # The public proof endpoint gives the same audit path the bank's API reports.
    proof = APIClient().get(ledger["proof_url"]).json()
    assert proof["audit_path"] == ledger["audit_path"]
    assert proof["leaf_hash"] == ledger["leaf_hash"]


@pytest.mark.django_db
def test_every_bank_action_through_the_api(officer, financing):
    client = api(officer)
    url = f"{BASE}/{financing.pk}"
    response = client.post(f"{url}/decide", {"action": "ask_information", "message": "Send the invoice"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["request"]["status"] == "information_requested"
    # The trader has not answered: approving is not possible now.
    response = client.post(
        f"{url}/decide", {"action": "approve", "approved_amount": "100", "interest_rate_percent": "4"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    assert "Information requested" in response.json()["detail"]

    from finance.services import financing_request_provide_information

    trader = financing.created_by
    financing_request_provide_information(actor=trader, request_id=financing.pk, message="Attached")

    response = client.post(
        f"{url}/decide",
        {
            "action": "approve",
            "approved_amount": "8000.00",
            "interest_rate_percent": "4.5",
            "conditions": "Assign the rebate",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["request"]["approved_amount"] == "8000.00"
    response = client.post(
        f"{url}/disbursements",
        {"amount": "8000.00", "value_date": "2026-03-01", "bank_reference": "TT-1"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["request"]["status"] == "disbursed"
    response = client.post(f"{url}/repayments", {"amount": "8100.00", "value_date": "2026-06-01"}, format="json")
    assert response.status_code == 201
    assert response.json()["outstanding"] == "-100.00"
    response = client.post(f"{url}/close", {"note": "Repaid"}, format="json")
    assert response.status_code == 200
    assert response.json()["request"]["status"] == "closed"
    assert response.json()["pledged_declarations"][0]["pledge_active"] is False
    assert response.json()["allowed_actions"] == []


@pytest.mark.django_db
def test_reject_through_the_api_releases_the_pledges(officer, financing):
    response = api(officer).post(
        f"{BASE}/{financing.pk}/decide", {"action": "reject", "reason": "Too risky"}, format="json"
    )
    assert response.status_code == 200
    financing.refresh_from_db()
    assert financing.status == RequestStatus.REJECTED and financing.bank_message == "Too risky"
    assert not financing.pledges.filter(active=True).exists()


@pytest.mark.django_db
def test_invalid_decisions_name_the_fields(officer, financing):
    client = api(officer)
    url = f"{BASE}/{financing.pk}/decide"
    response = client.post(url, {"action": "approve"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"approved_amount", "interest_rate_percent"}
    response = client.post(
        url, {"action": "approve", "approved_amount": "10000.01", "interest_rate_percent": "4"}, format="json"
    )
    assert response.status_code == 400
    assert "approved_amount" in response.json()["fields"]
    assert client.post(url, {"action": "reject"}, format="json").json()["fields"].keys() == {"reason"}
    assert client.post(url, {"action": "withdraw"}, format="json").json()["fields"].keys() == {"action"}
    response = client.post(f"{BASE}/{financing.pk}/disbursements", {"amount": "-1"}, format="json")
    assert response.status_code == 400 and {"amount", "value_date"} <= set(response.json()["fields"])
    financing.refresh_from_db()
    assert financing.status == RequestStatus.UNDER_REVIEW


@pytest.mark.django_db
def test_a_second_officer_deciding_after_the_first_gets_409(officer, financing):
    assert (
        api(officer)
        .post(f"{BASE}/{financing.pk}/decide", {"action": "reject", "reason": "No"}, format="json")
        .status_code
        == 200
    )
    response = api(colleague(officer)).post(
        f"{BASE}/{financing.pk}/decide",
        {"action": "approve", "approved_amount": "1", "interest_rate_percent": "1"},
        format="json",
    )
    assert response.status_code == 409
    assert f"{financing.reference} is now “Rejected”" in response.json()["detail"]


@pytest.mark.django_db
def test_a_retried_disbursement_with_the_same_key_is_recorded_once(officer, financing):
    client = api(officer)
    client.post(
        f"{BASE}/{financing.pk}/decide",
        {"action": "approve", "approved_amount": "5000", "interest_rate_percent": "4"},
        format="json",
    )
    payload = {"amount": "5000.00", "value_date": "2026-03-01", "bank_reference": "TT-9"}
    first = client.post(f"{BASE}/{financing.pk}/disbursements", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(f"{BASE}/{financing.pk}/disbursements", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert MoneyMovement.objects.filter(request=financing).count() == 1


@pytest.mark.django_db
def test_schema_documents_the_bank_endpoints_with_error_bodies(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    for path, method, codes in [
        ("/api/v1/finance/bank/requests", "get", ("400", "403")),
        ("/api/v1/finance/bank/requests/{id}", "get", ("403", "404")),
        ("/api/v1/finance/bank/requests/{id}/decide", "post", ("400", "403", "404", "409")),
        ("/api/v1/finance/bank/requests/{id}/disbursements", "post", ("400", "403", "404", "409")),
        ("/api/v1/finance/bank/requests/{id}/repayments", "post", ("400", "403", "404", "409")),
        ("/api/v1/finance/bank/requests/{id}/close", "post", ("403", "404", "409")),
    ]:
        operation = paths[path][method]
        for code in codes:
            assert operation["responses"][code]["content"]["application/json"]["schema"]["$ref"].endswith("/Error"), (
                path,
                code,
            )
        if method == "post":
            assert any(parameter["name"] == "Idempotency-Key" for parameter in operation["parameters"])
