"""The Shunde officer reviews a flagged declaration in a real browser and orders an inspection; the trader
sees the notification."""

from pathlib import Path

import pytest

from declarations.choices import Status
from declarations.demo import demo_declarations_seed
from declarations.models import Declaration
from declarations.services.crosscheck import declaration_verify
from portal.demo import DEMO_PASSWORD, demo_seed
from tests.declarations.evidence import event, manifest_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"officer-review-{name}.png"), full_page=True)


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def flagged_demo_declaration() -> Declaration:
    """DEMO-BL-0003 (under review, yellow) with logistics evidence that disagrees with it, verified."""
    declaration = Declaration.objects.get(transport_document_number="DEMO-BL-0003")
    manifest_for(declaration, packages=declaration.total_packages + 12)
    container = declaration.containers.first()
    event(container.number, "gate_in", "CNSUD", minutes_ago=90, seal="SL0999")
    event(container.number, "discharged", "CNNSA", minutes_ago=30)  # off the declared route
    declaration_verify(declaration_id=declaration.pk)
    declaration.refresh_from_db()
    assert declaration.status == Status.UNDER_REVIEW and declaration.lane in ("yellow", "red")
    return declaration


def test_officer_orders_an_inspection_from_the_review_page_and_the_trader_is_notified(page, browser, live_server):
    demo_seed()
    demo_declarations_seed()
    declaration = flagged_demo_declaration()

    sign_in(page, "officer.shunde")
    page.get_by_role("heading", name="Your queue").wait_for()
    page.locator("#queue").get_by_role("link", name=declaration.reference).click()
    page.get_by_role("heading", name=f"Declaration {declaration.reference}").wait_for()

    warnings = page.locator("#review-warnings")
    warnings.get_by_text("PACKAGE_COUNT_MISMATCH").wait_for()
    assert warnings.locator('[data-code="ROUTE_MISMATCH"]').count() == 1
    evidence = page.locator("#evidence")
    assert evidence.get_by_test_id("manifest-lines").is_visible()
    assert evidence.get_by_role("cell", name="CNNSA").count() >= 1  # the off-route event in the timeline
    assert page.locator("#ledger").get_by_role("link", name="Open the public verification page").is_visible()
    shot(page, "1-officer-review")

    page.get_by_label("Optional: what the inspection should look at.").fill("Count the packages; check the seal.")
    page.get_by_role("button", name="Order inspection").click()
    page.get_by_text("Inspection required. The trader has been notified.").wait_for()
    declaration.refresh_from_db()
    assert declaration.status == Status.INSPECTION_REQUIRED and declaration.lane == "red"
    shot(page, "2-inspection-ordered")

    trader_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    trader_page = trader_context.new_page()
    trader_page.set_default_timeout(15_000)
    try:
        sign_in(trader_page, "trader")
        trader_page.get_by_role("heading", name="Drafts to finish").wait_for()
        assert int(trader_page.get_by_test_id("unread-count").inner_text()) >= 1
        trader_page.get_by_role("link", name="Notifications").click()
        trader_page.get_by_role("heading", name="Notifications").wait_for()
        notification = (
            trader_page.get_by_test_id("notification")
            .filter(has_text=f"{declaration.reference}: Inspection required")
            .first
        )
        notification.wait_for()
        assert "Count the packages" in notification.inner_text()
        assert notification.get_attribute("data-read") == "false"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        trader_page.screenshot(path=str(ARTIFACTS / "officer-review-3-trader-notifications.png"), full_page=True)
        notification.get_by_role("link").click()
        trader_page.get_by_role("heading", name=f"Declaration {declaration.reference}").wait_for()
    finally:
        trader_context.close()
