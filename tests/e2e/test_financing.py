"""Trade finance in a real browser: a trader asks Greater Bay Trade Bank for export tax rebate financing
against a departed export; the bank's officer opens the request, sees the pledged declaration's ledger
proof verified, approves and records the disbursement; the trader sees it; a second request pledging the
same declaration (from a form opened before the first was sent) is refused, naming the first request."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from declarations.demo import demo_declarations_seed
from declarations.models import Declaration
from finance.choices import ProductKind, RequestStatus
from finance.models import FinancingProduct, FinancingRequest, MoneyMovement
from finance.services import product_upsert
from portal.demo import demo_seed
from portal.ledger.services import checkpoint_create
from portal.models import User
from tests.e2e.test_officer_review import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"financing-{name}.png"), full_page=True)


def rebate_product_of_gbtb() -> FinancingProduct:
    """The bank's export tax rebate product (the demo's, or made here through the real service)."""
    officer = User.objects.get(username="bank.gbtb")
    product = FinancingProduct.objects.filter(
        bank=officer.organisation, kind=ProductKind.EXPORT_TAX_REBATE, active=True
    ).first()
    return product or product_upsert(
        actor=officer,
        kind=ProductKind.EXPORT_TAX_REBATE,
        name_en="Export tax rebate advance",
        currencies=["CNY", "USD"],
        max_advance_percent=Decimal("80"),
        min_tenor_days=30,
        max_tenor_days=180,
    )


def test_trader_finances_a_departed_export_the_bank_checks_the_proof_approves_and_disburses(page, browser, live_server):
    demo_seed()
    demo_declarations_seed()
    product = rebate_product_of_gbtb()
    trader = User.objects.get(username="trader")
    declaration = (
        Declaration.objects.filter(declarant=trader.organisation, direction="export", status="departed")
        .exclude(pledges__active=True)
        .order_by("id")
        .first()
    )
    assert declaration is not None, "the demo has a departed export no financing holds"
    checkpoint_create()  # the declaration's ledger entry is in a signed checkpoint

    # The trader opens the form twice (two tabs); the first sends the request.
    sign_in(page, "trader")
    page.get_by_role("link", name="Financing", exact=True).click()
    page.goto("/financing/new/")
    second_tab = page.context.new_page()
    second_tab.goto("/financing/new/")

    form = page.get_by_test_id("financing-form")
    form.get_by_label("Bank and product").select_option(str(product.pk))
    form.get_by_label(re.compile(re.escape(declaration.reference) + " — Departed")).check()
    form.get_by_label("Currency").select_option("USD")
    expect(page.locator("#maximum")).to_contain_text("USD")
    form.get_by_label("Amount").fill("5000.00")
    form.get_by_label("Tenor (days)").fill("90")
    form.get_by_role("button", name="Send to the bank").click()
    request = FinancingRequest.objects.get(pledges__declaration=declaration)
    expect(page.get_by_role("heading", name=f"Financing request {request.reference}")).to_be_visible()
    expect(
        page.get_by_text(f"Financing request {request.reference} was sent to Greater Bay Trade Bank")
    ).to_be_visible()

    # The bank's officer works the request from the queue.
    bank = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}).new_page()
    bank.set_default_timeout(15_000)
    sign_in(bank, "bank.gbtb")
    to_review = bank.get_by_role("region", name="Financing requests to review")
    expect(to_review.get_by_role("link", name=re.compile(request.reference))).to_be_visible()
    bank.get_by_role("link", name="Financing requests", exact=True).click()
    bank.get_by_test_id("bank-queue").get_by_role("link", name=request.reference).click()
    pledged = bank.get_by_test_id("pledged-declaration")
    expect(pledged).to_contain_text(declaration.reference)
    ledger = pledged.get_by_test_id("ledger-status")
    expect(ledger).to_have_attribute("data-status", "verified")
    expect(ledger).to_contain_text("Record matches the ledger — proof verified")
    pledged.get_by_text("Check it yourself with the standalone verifier").click()
    expect(pledged.get_by_test_id("verifier-commands")).to_contain_text("python3 verifier.py inclusion")
    shot(bank, "bank-review")

    approve = bank.get_by_test_id("approve-form")
    approve.get_by_label("Amount approved").fill("4800.00")
    approve.get_by_label("Interest rate (% a year)").fill("3.850")
    approve.get_by_label("Conditions").fill("Tax rebate proceeds assigned to the bank")
    approve.get_by_role("button", name="Approve financing").click()
    expect(bank.get_by_test_id("request-status")).to_have_text("Approved")

    disburse = bank.get_by_test_id("disburse-form")
    disburse.get_by_label("Amount").fill("4800.00")
    disburse.get_by_label("Value date").fill("2026-11-23")
    disburse.get_by_label("Bank reference").fill("GBTB-TT-0001")
    disburse.get_by_role("button", name="Record disbursement").click()
    expect(bank.get_by_test_id("request-status")).to_have_text("Disbursed")
    expect(bank.get_by_test_id("movements")).to_contain_text("GBTB-TT-0001")
    shot(bank, "bank-disbursed")

    # The trader sees the approval and the money.
    page.reload()
    expect(page.locator(".badge-disbursed")).to_have_text("Disbursed")
    expect(page.get_by_text("4800.00 USD", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Disbursement 4800.00 USD \(GBTB-TT-0001\)"))).to_be_visible()
    shot(page, "trader-disbursed")

    # The form opened before the first request was sent offers the declaration still; the second
    # request pledging it is refused, naming the first.
    stale = second_tab.get_by_test_id("financing-form")
    stale.get_by_label("Bank and product").select_option(str(product.pk))
    stale.get_by_label(re.compile(re.escape(declaration.reference) + " — Departed")).check()
    stale.get_by_label("Currency").select_option("USD")
    stale.get_by_label("Amount").fill("1000.00")
    stale.get_by_label("Tenor (days)").fill("60")
    stale.get_by_role("button", name="Send to the bank").click()
    expect(
        second_tab.get_by_text(re.compile(rf"already pledged in financing request {request.reference}"))
    ).to_be_visible()
    shot(second_tab, "second-request-refused")

    request.refresh_from_db()
    assert request.status == RequestStatus.DISBURSED
    assert request.approved_amount == Decimal("4800.00")
    assert MoneyMovement.objects.filter(request=request).count() == 1
    assert FinancingRequest.objects.filter(pledges__declaration=declaration).count() == 1
    bank.context.close()
