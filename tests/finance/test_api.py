"""The trader's finance API: create with pledges, read, withdraw, answer; scope; Idempotency-Key; products."""

import pytest
from rest_framework.test import APIClient

from finance import services
from finance.choices import ProductKind
from finance.models import FinancingRequest
from tests import factories

from .support import colleague

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(rebate, declaration, **overrides):
    return {
        "product": rebate.pk,
        "amount": "5000.00",
        "currency": "USD",
        "tenor_days": 60,
        "declarations": [declaration.pk],
        **overrides,
    }


def test_trader_creates_reads_and_lists_a_request(trader, rebate, released):
    client = api(trader)
    response = client.post("/api/v1/finance/requests", body(rebate, released), format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["reference"].startswith("FIN-") and created["status"] == "under_review"
    assert created["pledges"][0]["reference"] == released.reference
    assert set(created["allowed_actions"]) == {"withdraw"}
    assert api(colleague(trader)).get(f"/api/v1/finance/requests/{created['id']}").json()["id"] == created["id"]
    listed = client.get("/api/v1/finance/requests").json()["results"]
    assert [row["id"] for row in listed] == [created["id"]]


def test_create_is_idempotent(trader, rebate, released):
    client = api(trader)
    first = client.post("/api/v1/finance/requests", body(rebate, released), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post("/api/v1/finance/requests", body(rebate, released), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true" and FinancingRequest.objects.count() == 1


def test_refusals_name_the_fields(trader, rebate, other_bank, released):
    client = api(trader)
    response = client.post("/api/v1/finance/requests", body(rebate, released, tenor_days=2), format="json")
    assert response.status_code == 400 and "30" in response.json()["fields"]["tenor_days"][0]
    response = client.post("/api/v1/finance/requests", body(rebate, released, amount="99999"), format="json")
    assert response.status_code == 400 and "14080.00" in response.json()["fields"]["amount"][0]
    first = client.post("/api/v1/finance/requests", body(rebate, released), format="json").json()
    product_b = other_bank[1][ProductKind.EXPORT_TAX_REBATE]
    refused = client.post("/api/v1/finance/requests", body(product_b, released), format="json")
    assert refused.status_code == 400 and first["reference"] in refused.json()["fields"]["declarations"][0]


def test_another_organisations_request_and_declarations_are_not_found(trader, rebate, released):
    created = api(trader).post("/api/v1/finance/requests", body(rebate, released), format="json").json()
    stranger = api(factories.trader())
    assert stranger.get(f"/api/v1/finance/requests/{created['id']}").status_code == 404
    assert stranger.post(f"/api/v1/finance/requests/{created['id']}/withdraw", {}, format="json").status_code == 404
    assert stranger.get("/api/v1/finance/requests").json()["results"] == []
    assert stranger.post("/api/v1/finance/requests", body(rebate, released), format="json").status_code == 404


def test_bank_and_customs_cannot_create_or_withdraw(trader, bank, rebate, released):
    created = api(trader).post("/api/v1/finance/requests", body(rebate, released), format="json").json()
    for person in (bank[0], factories.customs_officer()):
        assert api(person).post("/api/v1/finance/requests", body(rebate, released), format="json").status_code == 403
        assert (
            api(person).post(f"/api/v1/finance/requests/{created['id']}/withdraw", {}, format="json").status_code == 403
        )
    # the bank reads requests addressed to it
    assert api(bank[0]).get(f"/api/v1/finance/requests/{created['id']}").status_code == 200


def test_withdraw_and_provide_information(trader, bank, rebate, released):
    client = api(trader)
    created = client.post("/api/v1/finance/requests", body(rebate, released), format="json").json()
    url = f"/api/v1/finance/requests/{created['id']}"
    assert client.post(f"{url}/provide-information", {"message": "x"}, format="json").status_code == 409
    services.financing_request_ask_information(actor=bank[0], request_id=created["id"], message="Contract?")
    answered = client.post(f"{url}/provide-information", {"message": "Attached"}, format="json")
    assert answered.status_code == 200 and answered.json()["status"] == "under_review"
    withdrawn = client.post(f"{url}/withdraw", {"reason": "No longer needed"}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["pledges"][0]["active"] is False
    again = client.post(f"{url}/withdraw", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"


def test_products_of_every_bank_are_listed(bank, other_bank):
    rows = api(factories.trader()).get("/api/v1/finance/products").json()
    assert len(rows) == 6 and {row["bank"] for row in rows} == {bank[0].organisation_id, other_bank[0].organisation_id}
    rebate = next(row for row in rows if row["kind"] == "export_tax_rebate")
    assert sorted(rebate["accepted_statuses"]) == ["departed", "released"] and rebate["exports_only"]
