"""The Shunde officer works the queue in a real browser: opens it from the home page, filters it by a
warning code, assigns a red declaration to themselves, sees a take-over made elsewhere appear without
a reload, opens the red declaration and orders an inspection; the trader sees the notification."""

from pathlib import Path

import pytest

from declarations.choices import AWAITING_DECISION, Lane, Status
from declarations.demo import demo_declarations_seed
from declarations.models import Declaration, VerificationWarning
from declarations.services.assignment import declaration_assign
from declarations.services.crosscheck import VERIFIABLE, declaration_verify
from portal.demo import DEMO_PASSWORD, demo_seed
from portal.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"officer-queue-{name}.png"), full_page=True)


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def verified_demo() -> tuple[Declaration, str]:
    """Seed the demo, verify every demo declaration that can be, and pick a red one awaiting a
    decision at Shunde together with one of its current warning codes."""
    demo_seed()
    demo_declarations_seed()
    for declaration_id in Declaration.objects.filter(status__in=VERIFIABLE).values_list("pk", flat=True):
        declaration_verify(declaration_id=declaration_id)
    red = (
        Declaration.objects.filter(status__in=AWAITING_DECISION, lane=Lane.RED, origin_port__locode="CNSUD")
        .order_by("submitted_at", "id")
        .first()
    )
    assert red is not None, "the verified demo has no red declaration awaiting a decision at Shunde"
    code = (
        VerificationWarning.objects.filter(declaration=red, run__version=red.version)
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )
    assert code, f"{red} is red without a current warning"
    return red, code


def test_officer_filters_the_queue_by_a_warning_opens_a_red_declaration_and_orders_an_inspection(
    page, browser, live_server
):
    red, code = verified_demo()

    sign_in(page, "officer.shunde")
    page.get_by_role("heading", name="Your queue").wait_for()
    page.get_by_test_id("open-officer-queue").click()
    page.get_by_role("heading", name="Officer queue").wait_for()
    everything = page.get_by_test_id("queue-row").count()
    assert everything >= 2

    page.get_by_label("Warning").select_option(code)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"**warning_code={code}**")
    rows = page.get_by_test_id("queue-row")
    rows.first.wait_for()
    assert 1 <= rows.count() <= everything
    for index in range(rows.count()):  # every row shown has the warning on its current version
        assert code in rows.nth(index).inner_text()
    row = page.locator(f'[data-testid="queue-row"][data-reference="{red.reference}"]')
    assert "Red" in row.inner_text()
    shot(page, "1-filtered")

    row.get_by_role("button", name="Assign to me").click()
    page.get_by_text(f"{red.reference} is assigned to you.").wait_for()
    assert f"warning_code={code}" in page.url
    row.get_by_test_id("assignee").get_by_text("You").wait_for()

    # The supervisor takes it over meanwhile: the list shows it at the next poll, filter kept.
    supervisor = User.objects.get(username="supervisor")
    declaration_assign(actor=supervisor, declaration_id=red.pk, note="Taking the reds of this vessel")
    name = supervisor.get_full_name() or supervisor.username
    row.get_by_test_id("assignee").get_by_text(name).wait_for(timeout=12_000)
    assert f"warning_code={code}" in page.url

    row.get_by_role("link", name=red.reference).click()
    page.get_by_role("heading", name=f"Declaration {red.reference}").wait_for()
    page.locator("#review-warnings").get_by_text(code).first.wait_for()
    shot(page, "2-red-declaration")

    page.get_by_label("Optional: what the inspection should look at.").fill("Open the container; count packages.")
    page.get_by_role("button", name="Order inspection").click()
    page.get_by_text("Inspection required. The trader has been notified.").wait_for()
    red.refresh_from_db()
    assert red.status == Status.INSPECTION_REQUIRED

    trader_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    trader_page = trader_context.new_page()
    trader_page.set_default_timeout(15_000)
    try:
        sign_in(trader_page, "trader")
        trader_page.get_by_role("heading", name="Drafts to finish").wait_for()
        trader_page.goto("/notifications/")
        trader_page.get_by_role("heading", name="Notifications").wait_for()
        notification = (
            trader_page.get_by_test_id("notification").filter(has_text=f"{red.reference}: Inspection required").first
        )
        assert "Open the container" in notification.inner_text()
        shot(trader_page, "3-trader-notification")
    finally:
        trader_context.close()
