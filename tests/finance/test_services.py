"""The finance rules, through the services: eligibility, the advance-rate limit, conversion,
double financing, every transition by every role, and the flag when collateral changes."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection, transaction
from django.http import Http404

from declarations.choices import Action as DeclarationAction
from declarations.services import declaration_amend, declaration_cancel, declaration_decide, declaration_update_draft
from declarations.services.drafts import declaration_container_values, declaration_header, declaration_item_values
from finance import services
from finance.choices import REQUEST_TRANSITIONS, ProductKind, RequestAction, RequestStatus
from finance.models import FinancingRequest, Pledge
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.ledger.models import LedgerEntry
from portal.models import Notification
from tests import factories

from .support import bank_with_products, colleague, released_declaration, submitted_declaration

pytestmark = pytest.mark.django_db


def ask(trader, product, declarations, amount="1000.00", currency="USD", tenor=60, **extra):
    return services.financing_request_create(
        actor=trader,
        product_id=product.pk,
        amount=Decimal(amount),
        currency=currency,
        tenor_days=tenor,
        declaration_ids=[d.pk for d in declarations],
        **extra,
    )


# --- products ------------------------------------------------------------------------------------------------


def test_export_tax_rebate_product_accepts_only_released_and_departed_exports():
    officer = factories.bank_officer()
    with pytest.raises(ValidationError) as refused:
        services.product_upsert(
            actor=officer,
            kind=ProductKind.EXPORT_TAX_REBATE,
            name_en="Rebate",
            currencies=["CNY"],
            max_advance_percent=80,
            min_tenor_days=30,
            max_tenor_days=90,
            accepted_statuses=["released", "under_review"],
        )
    assert "accepted_statuses" in refused.value.message_dict
    product = services.product_upsert(
        actor=officer,
        kind=ProductKind.EXPORT_TAX_REBATE,
        name_en="Rebate",
        currencies=["CNY"],
        max_advance_percent=80,
        min_tenor_days=30,
        max_tenor_days=90,
    )
    assert sorted(product.accepted_statuses) == ["departed", "released"] and product.exports_only
    assert product.bank == officer.organisation


def test_product_validation_names_each_field():
    with pytest.raises(ValidationError) as refused:
        services.product_upsert(
            actor=factories.bank_officer(),
            kind="loan",
            name_en="X",
            currencies=["XXX"],
            max_advance_percent=120,
            min_tenor_days=90,
            max_tenor_days=30,
        )
    assert {"kind", "currencies", "max_advance_percent", "max_tenor_days"} <= set(refused.value.message_dict)


def test_only_bank_officers_configure_products_and_only_their_own(bank):
    officer, products = bank
    with pytest.raises(PermissionDenied):
        services.product_upsert(
            actor=factories.trader(),
            kind=ProductKind.PRE_SHIPMENT,
            name_en="X",
            currencies=["USD"],
            max_advance_percent=50,
            min_tenor_days=1,
            max_tenor_days=9,
        )
    with pytest.raises(Http404):
        services.product_upsert(
            actor=factories.bank_officer(),
            product_id=products[ProductKind.PRE_SHIPMENT].pk,
            kind=ProductKind.PRE_SHIPMENT,
            name_en="Taken over",
            currencies=["USD"],
            max_advance_percent=50,
            min_tenor_days=1,
            max_tenor_days=9,
        )


# --- eligibility and the limit --------------------------------------------------------------------------------


def test_export_tax_rebate_refuses_a_declaration_not_yet_released(trader, rebate):
    submitted = submitted_declaration(trader=trader)
    with pytest.raises(ValidationError) as refused:
        ask(trader, rebate, [submitted])
    assert submitted.reference in refused.value.message_dict["declarations"][0]


def test_export_tax_rebate_refuses_an_import(trader, rebate):
    released_import = released_declaration(trader=trader, direction="import")
    reason = services.declaration_ineligibility(product=rebate, declaration=released_import)
    assert reason and "export" in reason


def test_rebate_accepts_released_and_departed_exports(trader, rebate, released, departed):
    request = ask(trader, rebate, [released, departed])
    assert request.status == RequestStatus.UNDER_REVIEW
    assert request.reference.startswith("FIN-")
    assert set(request.pledges.values_list("declaration_id", flat=True)) == {released.pk, departed.pk}


def test_pre_shipment_accepts_a_declaration_under_customs_review(trader, bank):
    submitted = submitted_declaration(trader=trader)
    assert ask(trader, bank[1][ProductKind.PRE_SHIPMENT], [submitted]).pledges.count() == 1


def test_amount_is_limited_by_the_advance_rate(trader, rebate, released):
    # two items of 8,800.00 USD; 80 % of 17,600.00 USD = 14,080.00 USD
    assert services.financing_max_amount(product=rebate, declarations=[released], currency="USD") == Decimal("14080.00")
    with pytest.raises(ValidationError) as refused:
        ask(trader, rebate, [released], amount="14080.01")
    assert "14080.00" in refused.value.message_dict["amount"][0]
    assert ask(trader, rebate, [released], amount="14080.00").amount == Decimal("14080.00")


def test_conversion_uses_the_direct_rate(rebate, released):
    # 17,600 USD × 7.20 = 126,720 CNY; × 80 % = 101,376.00
    assert services.financing_max_amount(product=rebate, declarations=[released], currency="CNY") == Decimal(
        "101376.00"
    )


def test_conversion_uses_the_inverse_rate(bank, trader):
    officer, products = bank
    declaration = released_declaration(trader=trader, invoice_currency="EUR")  # bank has CNY→EUR only
    # 17,600 EUR ÷ 0.125 = 140,800 CNY; × 80 % = 112,640.00
    assert services.financing_max_amount(
        product=products[ProductKind.EXPORT_TAX_REBATE], declarations=[declaration], currency="CNY"
    ) == Decimal("112640.00")


def test_the_latest_rate_counts(bank, rebate, released):
    officer, _products = bank
    services.exchange_rate_set(actor=officer, base="CNY", quote="USD", rate=Decimal("0.125"))  # newer, inverse
    assert services.financing_max_amount(product=rebate, declarations=[released], currency="CNY") == Decimal(
        "112640.00"
    )


def test_missing_rate_names_the_pair(bank, trader):
    products = bank[1]
    declaration = released_declaration(trader=trader, invoice_currency="EUR")
    with pytest.raises(DomainError) as refused:
        services.financing_max_amount(
            product=products[ProductKind.CROSS_BORDER_ECOMMERCE], declarations=[declaration], currency="USD"
        )
    assert "EUR" in refused.value.message and "USD" in refused.value.message


def test_currency_and_tenor_must_be_offered(trader, rebate, released):
    with pytest.raises(ValidationError) as refused:
        ask(trader, rebate, [released], currency="EUR", tenor=365)
    assert {"currency", "tenor_days"} <= set(refused.value.message_dict)


def test_trader_cannot_pledge_another_organisations_declaration(rebate, released):
    with pytest.raises(Http404):
        ask(factories.trader(), rebate, [released])


# --- double financing ----------------------------------------------------------------------------------------


def test_a_pledged_declaration_cannot_be_pledged_again_to_another_bank(trader, rebate, other_bank, released):
    first = ask(trader, rebate, [released])
    with pytest.raises(DomainError) as refused:
        ask(trader, other_bank[1][ProductKind.EXPORT_TAX_REBATE], [released])
    assert first.reference in refused.value.message
    assert Pledge.objects.filter(declaration=released, active=True).count() == 1
    assert FinancingRequest.objects.count() == 1


@pytest.mark.parametrize("end", ["withdraw", "reject", "close"])
def test_after_the_first_request_ends_the_declaration_may_be_pledged_again(end, trader, bank, other_bank, released):
    officer, products = bank
    first = ask(trader, products[ProductKind.EXPORT_TAX_REBATE], [released])
    if end == "withdraw":
        services.financing_request_withdraw(actor=trader, request_id=first.pk)
    elif end == "reject":
        services.financing_request_reject(actor=officer, request_id=first.pk, reason="Too risky")
    else:
        services.financing_request_approve(
            actor=officer, request_id=first.pk, approved_amount="1000", interest_rate_percent="4.5"
        )
        services.financing_request_close(actor=officer, request_id=first.pk)
    pledge = first.pledges.get()
    assert not pledge.active and pledge.released_at is not None
    second = ask(trader, other_bank[1][ProductKind.EXPORT_TAX_REBATE], [released])
    assert second.pledges.get().active


def race(*calls):
    """Run the calls at the same moment on separate database connections; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 — the test inspects what each contender got
            results[index] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_banks_asked_at_the_same_moment_cannot_both_hold_the_declaration():
    trader = factories.trader()
    declaration = released_declaration(trader=trader)
    product_a = bank_with_products()[1][ProductKind.EXPORT_TAX_REBATE]
    product_b = bank_with_products()[1][ProductKind.EXPORT_TAX_REBATE]
    results = race(lambda: ask(trader, product_a, [declaration]), lambda: ask(trader, product_b, [declaration]))
    winners = [r for r in results if isinstance(r, FinancingRequest)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert winners[0].reference in losers[0].message
    assert Pledge.objects.filter(declaration=declaration, active=True).count() == 1
    assert FinancingRequest.objects.count() == 1


# --- transitions, by every role ------------------------------------------------------------------------------


def _people(officer, trader):
    return {
        "bank officer": colleague(officer),
        "other bank officer": factories.bank_officer(),
        "trader": colleague(trader),
        "other trader": factories.trader(),
        "customs officer": factories.customs_officer(),
    }


ACTIONS = {
    RequestAction.APPROVE: ({"approved_amount": "900", "interest_rate_percent": "4"}, "bank officer"),
    RequestAction.REJECT: ({"reason": "Collateral too thin"}, "bank officer"),
    RequestAction.ASK_INFORMATION: ({"message": "Send the sales contract"}, "bank officer"),
    RequestAction.PROVIDE_INFORMATION: ({"message": "Attached"}, "trader"),
    RequestAction.WITHDRAW: ({}, "trader"),
    RequestAction.DISBURSE: ({"amount": "900", "value_date": date(2026, 3, 2)}, "bank officer"),
    RequestAction.REPAY: ({"amount": "300", "value_date": date(2026, 4, 2)}, "bank officer"),
    RequestAction.CLOSE: ({}, "bank officer"),
}
# the steps that bring a new request into a status
SETUP = {
    RequestStatus.UNDER_REVIEW: [],
    RequestStatus.INFORMATION_REQUESTED: [RequestAction.ASK_INFORMATION],
    RequestStatus.APPROVED: [RequestAction.APPROVE],
    RequestStatus.DISBURSED: [RequestAction.APPROVE, RequestAction.DISBURSE],
    RequestStatus.REJECTED: [RequestAction.REJECT],
    RequestStatus.WITHDRAWN: [RequestAction.WITHDRAW],
    RequestStatus.CLOSED: [RequestAction.APPROVE, RequestAction.CLOSE],
}


@pytest.mark.parametrize("status", list(SETUP))
def test_every_action_by_every_role_from_every_status(status, trader, bank, released):
    officer, products = bank
    request = ask(trader, products[ProductKind.EXPORT_TAX_REBATE], [released])
    for step in SETUP[status]:
        fields, who = ACTIONS[step]
        services.financing_request_transition(
            actor=officer if who == "bank officer" else trader, request_id=request.pk, action=step, **fields
        )
    request.refresh_from_db()
    assert request.status == status
    people = _people(officer, trader)

    for action, (fields, allowed_who) in ACTIONS.items():
        sources = REQUEST_TRANSITIONS[action][0]
        for who, person in people.items():
            expected = who == allowed_who and status in sources
            try:
                with transaction.atomic():
                    services.financing_request_transition(actor=person, request_id=request.pk, action=action, **fields)
                    raise _Undo
            except _Undo:
                outcome = True
            except Http404:
                assert who in ("other bank officer", "other trader", "customs officer"), (action, who)
                outcome = False
            except TransitionNotAllowed:
                outcome = False
            assert outcome == expected, (status, action, who)


class _Undo(Exception):
    """Rolls back an allowed action, so every pair is tried from the same status."""


def test_full_lifecycle_records_history_ledger_and_notifications(trader, bank, released):
    officer, products = bank
    request = ask(trader, products[ProductKind.EXPORT_TAX_REBATE], [released], amount="10000")
    assert Notification.objects.filter(recipient=officer, subject__contains=request.reference).exists()
    services.financing_request_ask_information(actor=officer, request_id=request.pk, message="Contract?")
    services.financing_request_provide_information(actor=trader, request_id=request.pk, message="Here it is")
    with pytest.raises(ValidationError):
        services.financing_request_approve(
            actor=officer, request_id=request.pk, approved_amount="10000.01", interest_rate_percent="4"
        )
    services.financing_request_approve(
        actor=officer,
        request_id=request.pk,
        approved_amount="8000",
        interest_rate_percent="4.25",
        conditions="Rebate paid to our account",
    )
    with pytest.raises(ValidationError):
        services.financing_request_disburse(
            actor=officer, request_id=request.pk, amount="8000.01", value_date=date(2026, 3, 1)
        )
    services.financing_request_disburse(
        actor=officer, request_id=request.pk, amount="8000", value_date=date(2026, 3, 1), bank_reference="TT-1"
    )
    services.financing_request_repay(actor=officer, request_id=request.pk, amount="8000", value_date=date(2026, 5, 1))
    request.refresh_from_db()
    assert request.status == RequestStatus.DISBURSED  # closing stays explicit
    services.financing_request_close(actor=officer, request_id=request.pk)
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED and not request.pledges.get().active
    kinds = list(
        LedgerEntry.objects.filter(subject=request.ledger_subject).order_by("seq").values_list("kind", flat=True)
    )
    assert kinds == [
        "financing.request",
        "financing.ask_information",
        "financing.provide_information",
        "financing.approve",
        "financing.disburse",
        "financing.repay",
        "financing.close",
    ]
    assert request.history.count() >= 7
    assert (
        Notification.objects.filter(
            recipient__organisation=trader.organisation, subject__contains=request.reference
        ).count()
        >= 5
    )


def test_ledger_entry_keeps_amounts_private_and_pledges_public(trader, rebate, released):
    request = ask(trader, rebate, [released])
    entry = LedgerEntry.objects.get(subject=request.ledger_subject)
    assert "pledged_declarations" in entry.public_fields and "amount" not in entry.public_fields


# --- the flag ------------------------------------------------------------------------------------------------


def test_rejecting_a_pledged_declaration_flags_the_request_and_tells_the_bank(trader, bank):
    officer, products = bank
    declaration = submitted_declaration(trader=trader)
    request = ask(trader, products[ProductKind.PRE_SHIPMENT], [declaration])
    declaration_decide(
        actor=factories.customs_officer(ports=("CNSUD",)),
        declaration_id=declaration.pk,
        action=DeclarationAction.REJECT,
        message="Wrong goods",
    )
    request.refresh_from_db()
    assert request.flagged and declaration.reference in request.flag_reason
    assert Notification.objects.filter(recipient=officer, subject__contains="collateral").exists()
    assert LedgerEntry.objects.filter(subject=request.ledger_subject, kind="financing.flag").exists()


def test_cancelling_a_pledged_declaration_flags_the_request(trader, bank):
    declaration = submitted_declaration(trader=trader)
    request = ask(trader, bank[1][ProductKind.PRE_SHIPMENT], [declaration])
    declaration_cancel(actor=trader, declaration_id=declaration.pk)
    request.refresh_from_db()
    assert request.flagged


def _amend(trader, declaration, value):
    declaration_decide(
        actor=factories.customs_officer(ports=("CNSUD",)),
        declaration_id=declaration.pk,
        action=DeclarationAction.REQUEST_AMENDMENT,
        message="Check the values",
    )
    declaration.refresh_from_db()
    items = [declaration_item_values(item) for item in declaration.items.all()]
    items[0]["value"] = value
    declaration_update_draft(
        actor=trader,
        declaration_id=declaration.pk,
        header=declaration_header(declaration),
        items=items,
        containers=[declaration_container_values(c) for c in declaration.containers.all()],
    )
    return declaration_amend(actor=trader, declaration_id=declaration.pk)


def test_amendment_that_changes_the_value_flags_the_request(trader, bank):
    declaration = submitted_declaration(trader=trader)
    request = ask(trader, bank[1][ProductKind.PRE_SHIPMENT], [declaration])
    _amend(trader, declaration, Decimal("5000.00"))  # 17,600.00 → 13,800.00 USD
    request.refresh_from_db()
    assert request.flagged and "13800.00" in request.flag_reason


def test_amendment_that_keeps_the_value_does_not_flag(trader, bank):
    declaration = submitted_declaration(trader=trader)
    request = ask(trader, bank[1][ProductKind.PRE_SHIPMENT], [declaration])
    _amend(trader, declaration, Decimal("8800.00"))
    request.refresh_from_db()
    assert not request.flagged


def test_a_released_pledge_is_not_flagged(trader, bank):
    declaration = submitted_declaration(trader=trader)
    request = ask(trader, bank[1][ProductKind.PRE_SHIPMENT], [declaration])
    services.financing_request_withdraw(actor=trader, request_id=request.pk)
    declaration_cancel(actor=trader, declaration_id=declaration.pk)
    request.refresh_from_db()
    assert not request.flagged


def _relation_rereads(queries) -> list[str]:
    """Django's ``full_clean`` queries: a relation or a unique value read back (``SELECT 1 … LIMIT 1``, no join)
    and a constraint checked in a savepoint (``SELECT 1 AS "_check"``)."""
    return [
        q["sql"]
        for q in queries
        if (q["sql"].startswith('SELECT 1 AS "a"') and " JOIN " not in q["sql"])
        or q["sql"].startswith('SELECT 1 AS "_check"')
    ]


def test_asking_and_deciding_do_not_read_back_what_they_just_read(trader, bank, released):
    """The request's relations, its reference and the amounts' checks are not queried again before the save
    (``finance.services.REQUEST_CHECKED_ON_SAVE``): ten round trips per write, with the same checks on save."""
    from django.test.utils import CaptureQueriesContext

    officer, products = bank
    with CaptureQueriesContext(connection) as asked:
        request = ask(trader, products[ProductKind.EXPORT_TAX_REBATE], [released])
    with CaptureQueriesContext(connection) as approved:
        services.financing_request_approve(
            actor=officer, request_id=request.pk, approved_amount="800.00", interest_rate_percent="4.5"
        )
    assert _relation_rereads(asked.captured_queries) == []
    assert _relation_rereads(approved.captured_queries) == []
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.approved_amount == Decimal("800.00")


def test_the_database_still_refuses_an_approval_above_the_amount(trader, bank, released):
    """What ``full_clean`` no longer checks is still checked: the table's constraint refuses the row."""
    from django.db import IntegrityError

    officer, products = bank
    request = ask(trader, products[ProductKind.EXPORT_TAX_REBATE], [released])
    with pytest.raises(IntegrityError), transaction.atomic():
        FinancingRequest.objects.filter(pk=request.pk).update(approved_amount=Decimal("1000.01"))
