"""The bank's pages: scope (only requests addressed to the bank, nothing else of the trader), the review
page with the pledged declarations' ledger proofs, every bank action, races and query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from finance.choices import RequestStatus
from finance.models import FinancingRequest, MoneyMovement
from finance.selectors import financing_request_page_for_bank
from finance.services import (
    financing_flag_for_declaration,
    financing_request_approve,
    financing_request_create,
    financing_request_disburse,
    financing_request_repay,
)
from portal.ledger.services import checkpoint_create
from tests import factories
from tests.declarations.test_workflow import race

from .support import colleague, released_declaration


def ask(trader, product, declarations, *, amount="10000.00", currency="USD") -> FinancingRequest:
    return financing_request_create(
        actor=trader,
        product_id=product.pk,
        amount=Decimal(amount),
        currency=currency,
        tenor_days=90,
        declaration_ids=[d.pk for d in declarations],
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail_url(request: FinancingRequest) -> str:
    return reverse("finance:bank_request_detail", args=[request.pk])


def action_url(request: FinancingRequest, action: str) -> str:
    return reverse(f"finance:bank_{action}", args=[request.pk])


@pytest.fixture
def officer(bank):
    return bank[0]


@pytest.fixture
def request_to_bank(trader, departed, rebate):
    return ask(trader, rebate, [departed])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- scope -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bank_sees_only_requests_addressed_to_it(trader, officer, rebate, other_bank, departed):
    mine = ask(trader, rebate, [departed])
    other_officer, other_products = other_bank
    theirs = ask(trader, other_products["export_tax_rebate"], [released_declaration(trader=trader, departed=True)])

    response = signed_in(officer).get(reverse("finance:bank_queue"))
    assert response.status_code == 200
    assert [row.pk for row in response.context["page"]["rows"]] == [mine.pk]
    assert theirs.reference not in response.content.decode()

    client = signed_in(officer)
    assert client.get(detail_url(theirs)).status_code == 404
    assert (
        client.post(
            action_url(theirs, "approve"), {"approve-approved_amount": "1.00", "approve-interest_rate_percent": "5"}
        ).status_code
        == 404
    )
    assert client.post(action_url(theirs, "reject"), {"reject-reason": "no"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == RequestStatus.UNDER_REVIEW
    assert signed_in(other_officer).get(detail_url(theirs)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("make_user", [factories.trader, factories.customs_officer, factories.logistics_system])
def test_only_bank_officers_open_bank_pages(make_user, request_to_bank):
    client = signed_in(make_user())
    assert client.get(reverse("finance:bank_queue")).status_code == 403
    assert client.get(detail_url(request_to_bank)).status_code == 403
    assert client.post(action_url(request_to_bank, "reject"), {"reject-reason": "x"}).status_code == 403


@pytest.mark.django_db
def test_the_requesting_trader_cannot_use_the_bank_pages_of_its_own_request(trader, request_to_bank):
    assert signed_in(trader).get(detail_url(request_to_bank)).status_code == 403


@pytest.mark.django_db
def test_bank_sees_pledged_declarations_read_only_and_nothing_else_of_the_trader(
    trader, officer, departed, request_to_bank
):
    other = released_declaration(trader=trader)
    client = signed_in(officer)
    page = client.get(detail_url(request_to_bank)).content.decode()
    assert departed.reference in page
    assert other.reference not in page
    # The declaration pages and API stay the trader's and customs': the bank gets 404 even for the collateral.
    for declaration in (departed, other):
        assert client.get(reverse("declarations:detail", args=[declaration.pk])).status_code == 404
        assert client.get(reverse("declarations:receipt", args=[declaration.pk])).status_code == 404
        assert client.get(f"/api/v1/declarations/{declaration.pk}").status_code in (403, 404)
    # No link into the trader's declaration pages from the review page.
    assert reverse("declarations:detail", args=[departed.pk]) not in page


# --- the queue -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queue_filters_by_status_product_trader_and_amount(trader, officer, bank, rebate):
    products = bank[1]
    second_trader = factories.trader()
    small = ask(trader, rebate, [released_declaration(trader=trader, departed=True)], amount="1000.00")
    large = ask(trader, rebate, [released_declaration(trader=trader, departed=True)], amount="12000.00")
    ecommerce = ask(
        second_trader,
        products["cross_border_ecommerce"],
        [released_declaration(trader=second_trader)],
        amount="5000.00",
    )
    financing_request_approve(
        actor=officer, request_id=large.pk, approved_amount=Decimal("12000"), interest_rate_percent=Decimal("4.5")
    )
    client = signed_in(officer)

    def rows(**query):
        response = client.get(reverse("finance:bank_queue"), query)
        assert response.status_code == 200
        return [row.pk for row in response.context["page"]["rows"]]

    assert rows() == [ecommerce.pk, large.pk, small.pk]  # newest first
    assert rows(status="approved") == [large.pk]
    assert rows(product=products["cross_border_ecommerce"].pk) == [ecommerce.pk]
    assert rows(trader=second_trader.organisation_id) == [ecommerce.pk]
    assert rows(amount_min="2000", amount_max="6000") == [ecommerce.pk]
    assert rows(amount_min="10000") == [large.pk]
    response = client.get(reverse("finance:bank_queue"), {"amount_min": "9", "amount_max": "1"})
    assert response.context["filter_form"].errors["amount_max"]


@pytest.mark.django_db
def test_queue_pages_by_keyset(trader, officer, rebate):
    requests = [
        ask(trader, rebate, [released_declaration(trader=trader, items=1, departed=True)], amount="100")
        for _ in range(3)
    ]
    newest_first = [r.pk for r in reversed(requests)]
    first = financing_request_page_for_bank(actor=officer, size=2)
    assert [row.pk for row in first["rows"]] == newest_first[:2] and first["previous"] == ""
    second = financing_request_page_for_bank(actor=officer, size=2, after=first["next"])
    assert [row.pk for row in second["rows"]] == newest_first[2:] and second["next"] == ""
    back = financing_request_page_for_bank(actor=officer, size=2, before=second["previous"])
    assert [row.pk for row in back["rows"]] == newest_first[:2]
    response = signed_in(officer).get(reverse("finance:bank_queue"), {"after": first["next"]})
    assert [row.pk for row in response.context["page"]["rows"]] == newest_first[2:]


@pytest.mark.django_db
def test_queue_queries_do_not_grow_with_the_number_of_requests(trader, officer, rebate, django_assert_max_num_queries):
    client = signed_in(officer)
    ask(trader, rebate, [released_declaration(trader=trader, items=1, departed=True)], amount="100")
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("finance:bank_queue"))
    for _ in range(6):
        ask(trader, rebate, [released_declaration(trader=trader, items=1, departed=True)], amount="100")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("finance:bank_queue"))
    assert len(response.context["page"]["rows"]) == 7


# --- the review page -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_review_page_shows_the_ledger_proof_and_the_verifier_commands(officer, departed, request_to_bank):
    checkpoint, _created = checkpoint_create()
    response = signed_in(officer).get(detail_url(request_to_bank))
    assert response.status_code == 200
    [item] = response.context["pledged"]
    assert item.declaration == departed
    verification = item.verification
    assert verification.status == "verified", verification.problem
    page = response.content.decode()
    seq, size = verification.entry.seq, checkpoint.tree_size
    assert "Record matches the ledger — proof verified" in page
    assert verification.leaf_hash.hex() in page
    assert bytes(checkpoint.root_hash).hex() in page
    for node in verification.proof.audit_path:
        assert node.hex() in page
    assert f"http://testserver/api/v1/ledger/entries/{seq}/proof?tree_size={size}" in page
    assert f"curl -o entry.json http://testserver/api/v1/ledger/entries/{seq}" in page
    assert "http://testserver/api/v1/ledger/checkpoints/latest" in page
    assert "http://testserver/api/v1/ledger/public-key" in page
    assert reverse("ledger-verifier-download") in page
    assert "python3 verifier.py inclusion --public-key key.json --entry entry.json --proof proof.json" in page
    assert f"--portal http://testserver --seq {seq}" in page
    assert reverse("about-verification") in page


@pytest.mark.django_db
def test_review_page_says_when_the_proof_awaits_a_checkpoint(officer, request_to_bank):
    page = signed_in(officer).get(detail_url(request_to_bank)).content.decode()
    assert 'data-status="awaiting_checkpoint"' in page or 'data-status="not_recorded"' in page


@pytest.mark.django_db
def test_flagged_request_is_shown_prominently(officer, departed, request_to_bank):
    financing_flag_for_declaration(declaration_id=departed.pk, reason=f"{departed.reference} was amended")
    response = signed_in(officer).get(detail_url(request_to_bank))
    page = response.content.decode()
    assert 'data-testid="collateral-flag"' in page
    assert f"{departed.reference} was amended" in page
    home = signed_in(officer).get(reverse("home")).content.decode()
    assert "collateral changed" in home


@pytest.mark.django_db
def test_review_page_queries_do_not_grow_with_history_movements_and_documents(
    trader, officer, departed, request_to_bank, django_assert_max_num_queries
):
    checkpoint_create()
    client = signed_in(officer)
    with CaptureQueriesContext(connection) as before:
        client.get(detail_url(request_to_bank))
    financing_request_approve(
        actor=officer,
        request_id=request_to_bank.pk,
        approved_amount=Decimal("10000"),
        interest_rate_percent=Decimal("4"),
    )
    financing_request_disburse(
        actor=officer,
        request_id=request_to_bank.pk,
        amount=Decimal("10000"),
        value_date=date(2026, 1, 2),
        bank_reference="TT1",
    )
    for day in range(3, 7):
        financing_request_repay(
            actor=officer,
            request_id=request_to_bank.pk,
            amount=Decimal("1000"),
            value_date=date(2026, 1, day),
            bank_reference=f"RP{day}",
        )
    checkpoint_create()
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = client.get(detail_url(request_to_bank))
    assert len(response.context["movements"]) == 5


# --- actions ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bank_approves_disburses_repays_and_closes_through_the_page(trader, officer, departed, request_to_bank):
    client = signed_in(officer)
    response = client.post(
        action_url(request_to_bank, "approve"),
        {
            "approve-approved_amount": "9000.00",
            "approve-interest_rate_percent": "4.250",
            "approve-conditions": "Rebate assigned to the bank",
        },
    )
    assert response.status_code == 302
    request_to_bank.refresh_from_db()
    assert (request_to_bank.status, request_to_bank.approved_amount) == (RequestStatus.APPROVED, Decimal("9000.00"))
    assert request_to_bank.conditions == "Rebate assigned to the bank"

    response = client.post(
        action_url(request_to_bank, "disburse"),
        {"disburse-amount": "9000.00", "disburse-value_date": "2026-03-02", "disburse-bank_reference": "TT-0001"},
    )
    assert response.status_code == 302
    response = client.post(
        action_url(request_to_bank, "repay"),
        {"repay-amount": "9100.00", "repay-value_date": "2026-06-01", "repay-bank_reference": "RP-1"},
    )
    assert response.status_code == 302
    request_to_bank.refresh_from_db()
    assert request_to_bank.status == RequestStatus.DISBURSED
    assert list(request_to_bank.movements.values_list("kind", "amount")) == [
        (MoneyMovement.Kind.DISBURSEMENT, Decimal("9000.00")),
        (MoneyMovement.Kind.REPAYMENT, Decimal("9100.00")),
    ]

    response = client.post(action_url(request_to_bank, "close"), {"close-note": "Repaid in full"})
    assert response.status_code == 302
    request_to_bank.refresh_from_db()
    assert request_to_bank.status == RequestStatus.CLOSED
    assert not request_to_bank.pledges.filter(active=True).exists()
    page = client.get(detail_url(request_to_bank)).content.decode()
    assert "Repaid in full" in page and "TT-0001" in page


@pytest.mark.django_db
def test_bank_asks_for_information_then_rejects_through_the_page(trader, officer, request_to_bank):
    client = signed_in(officer)
    assert (
        client.post(
            action_url(request_to_bank, "ask_information"), {"ask-message": "Send the export invoice"}
        ).status_code
        == 302
    )
    request_to_bank.refresh_from_db()
    assert request_to_bank.status == RequestStatus.INFORMATION_REQUESTED
    assert request_to_bank.bank_message == "Send the export invoice"
    assert client.post(action_url(request_to_bank, "reject"), {"reject-reason": "No answer"}).status_code == 302
    request_to_bank.refresh_from_db()
    assert request_to_bank.status == RequestStatus.REJECTED
    assert not request_to_bank.pledges.filter(active=True).exists()


@pytest.mark.django_db
def test_invalid_actions_show_the_errors_on_the_form(officer, request_to_bank):
    client = signed_in(officer)
    response = client.post(
        action_url(request_to_bank, "approve"),
        {"approve-approved_amount": "10000.01", "approve-interest_rate_percent": "4"},
    )
    assert response.status_code == 400
    assert "At most the 10000.00 USD requested." in response.content.decode()
    response = client.post(action_url(request_to_bank, "reject"), {"reject-reason": ""})
    assert response.status_code == 400
    assert response.context["forms"]["reject"].errors["reason"]
    request_to_bank.refresh_from_db()
    assert request_to_bank.status == RequestStatus.UNDER_REVIEW


@pytest.mark.django_db
def test_an_action_the_status_no_longer_allows_says_what_the_request_is_now(officer, request_to_bank):
    client = signed_in(officer)
    colleague_client = signed_in(colleague(officer))
    rejected = colleague_client.post(action_url(request_to_bank, "reject"), {"reject-reason": "Too risky"})
    assert rejected.status_code == 302
    response = client.post(
        action_url(request_to_bank, "approve"), {"approve-approved_amount": "100", "approve-interest_rate_percent": "4"}
    )
    assert response.status_code == 302
    [message] = messages_of(response)
    assert f"{request_to_bank.reference} is now “Rejected”" in message and "reload" in message


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_deciding_at_once_end_with_one_winner_and_a_conflict_message(trader, officer, request_to_bank):
    first, second = signed_in(officer), signed_in(colleague(officer))
    results = race(
        lambda: first.post(
            action_url(request_to_bank, "approve"),
            {"approve-approved_amount": "10000", "approve-interest_rate_percent": "4"},
        ),
        lambda: second.post(action_url(request_to_bank, "reject"), {"reject-reason": "Too risky"}),
    )
    assert all(response.status_code == 302 for response in results), results
    texts = [" ".join(messages_of(response)) for response in results]
    conflicts = [text for text in texts if "is now" in text and "reload" in text]
    successes = [text for text in texts if "done for request" in text]
    assert len(conflicts) == 1 and len(successes) == 1, texts
    request_to_bank.refresh_from_db()
    assert request_to_bank.status in (RequestStatus.APPROVED, RequestStatus.REJECTED)
    assert request_to_bank.history.filter(status__in=["approved", "rejected"]).count() == 1


# --- home ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bank_home_lists_requests_to_review_and_money_due(trader, officer, rebate, request_to_bank):
    approved = ask(trader, rebate, [released_declaration(trader=trader, departed=True)], amount="500")
    financing_request_approve(
        actor=officer, request_id=approved.pk, approved_amount=Decimal("500"), interest_rate_percent=Decimal("3")
    )
    response = signed_in(officer).get(reverse("home"))
    assert [item["url"] for item in response.context["to_review"]] == [detail_url(request_to_bank)]
    assert [item["url"] for item in response.context["due"]] == [detail_url(approved)]
    page = response.content.decode()
    assert "disburse 500.00 USD" in page
    nav = [label for label, _url in response.context["navigation"]]
    assert "Financing requests" in nav
