"""The trader's financing pages, through the client: list, new request with the live maximum, detail,
withdraw, answer the bank; another organisation's request is not found."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from finance import services
from finance.choices import ProductKind, RequestStatus
from finance.models import FinancingRequest
from tests import factories

from .support import colleague

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def financing(trader, rebate, released):
    return services.financing_request_create(
        actor=trader,
        product_id=rebate.pk,
        amount=Decimal("5000"),
        currency="USD",
        tenor_days=60,
        declaration_ids=[released.pk],
    )


def test_trader_creates_a_request_with_a_document(client, trader, rebate, released):
    signed_in(client, trader)
    page = client.get(reverse("finance:request_create"))
    assert page.status_code == 200 and released.reference in page.content.decode()
    response = client.post(
        reverse("finance:request_create"),
        {
            "product": rebate.pk,
            "declarations": [released.pk],
            "currency": "USD",
            "amount": "14000.00",
            "tenor_days": "90",
            "message": "Rebate due in March",
            "documents": [SimpleUploadedFile("contract.pdf", PDF, content_type="application/pdf")],
        },
    )
    created = FinancingRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("finance:request_detail", args=[created.pk])
    assert created.documents.count() == 1
    detail = client.get(response["Location"]).content.decode()
    assert created.reference in detail and "Under review" in detail and "contract.pdf" in detail
    assert created.reference in client.get(reverse("finance:request_list")).content.decode()
    assert created.reference in client.get(reverse("home")).content.decode()


def test_amount_above_the_maximum_is_refused_on_the_field(client, trader, rebate, released):
    signed_in(client, trader)
    response = client.post(
        reverse("finance:request_create"),
        {
            "product": rebate.pk,
            "declarations": [released.pk],
            "currency": "USD",
            "amount": "14080.01",
            "tenor_days": "90",
        },
    )
    assert response.status_code == 400 and "14080.00" in response.content.decode()
    assert not FinancingRequest.objects.exists()


def test_maximum_fragment_follows_the_choices(client, trader, rebate, released):
    signed_in(client, trader)
    url = reverse("finance:request_maximum")
    assert "Choose a product" in client.get(url).content.decode()
    body = client.get(url, {"product": rebate.pk, "declarations": [released.pk], "currency": "CNY"}).content.decode()
    assert "101376.00 CNY" in body
    body = client.get(url, {"product": rebate.pk, "declarations": [released.pk], "currency": "EUR"}).content.decode()
    assert "no exchange rate between USD and EUR" in body


def test_second_request_on_a_pledged_declaration_names_the_first(client, trader, other_bank, financing, released):
    signed_in(client, trader)
    product = other_bank[1][ProductKind.EXPORT_TAX_REBATE]
    # the pledged declaration is no longer offered, and posting it anyway is refused
    assert released.reference not in client.get(reverse("finance:request_create")).content.decode()
    response = client.post(
        reverse("finance:request_create"),
        {"product": product.pk, "declarations": [released.pk], "currency": "USD", "amount": "100", "tenor_days": "60"},
    )
    assert response.status_code == 400


def test_trader_withdraws_and_answers(client, trader, bank, financing):
    officer = bank[0]
    signed_in(client, colleague(trader))
    services.financing_request_ask_information(actor=officer, request_id=financing.pk, message="Send the contract")
    page = client.get(reverse("finance:request_detail", args=[financing.pk])).content.decode()
    assert "Send the contract" in page and "provide-information-form" in page
    client.post(
        reverse("finance:request_provide_information", args=[financing.pk]),
        {"provide-message": "Attached", "provide-documents": SimpleUploadedFile("c.pdf", PDF)},
    )
    financing.refresh_from_db()
    assert financing.status == RequestStatus.UNDER_REVIEW and financing.documents.count() == 1
    client.post(reverse("finance:request_withdraw", args=[financing.pk]), {"withdraw-reason": "Paid by buyer"})
    financing.refresh_from_db()
    assert financing.status == RequestStatus.WITHDRAWN and not financing.pledges.get().active
    assert "withdraw-form" not in client.get(reverse("finance:request_detail", args=[financing.pk])).content.decode()


@pytest.mark.parametrize("who", ["other trader", "bank officer", "customs officer"])
def test_others_do_not_find_the_trader_pages(client, who, financing):
    person = {
        "other trader": factories.trader,
        "bank officer": factories.bank_officer,
        "customs officer": factories.customs_officer,
    }[who]()
    signed_in(client, person)
    status = client.get(reverse("finance:request_detail", args=[financing.pk])).status_code
    assert status == (404 if who == "other trader" else 403)
    assert client.post(reverse("finance:request_withdraw", args=[financing.pk])).status_code in (403, 404)
    financing.refresh_from_db()
    assert financing.status == RequestStatus.UNDER_REVIEW
    if who == "other trader":
        assert financing.reference not in client.get(reverse("finance:request_list")).content.decode()
