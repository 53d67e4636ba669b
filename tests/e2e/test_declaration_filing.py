"""A trader files an integrated declaration in a real browser, from the home page to the list."""

from pathlib import Path

import pytest

from declarations.models import Declaration
from portal.demo import DEMO_PASSWORD, demo_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

ITEMS = [
    ("940360", "Wooden dining table, oak", "40", "40", "1200", "1100", "8800.00"),
    ("940161", "Upholstered wooden armchair", "120", "60", "900", "840", "7200.00"),
    ("940350", "Wooden bedroom wardrobe", "12", "12", "1500", "1420", "6000.00"),
]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"declaration-filing-{name}.png"), full_page=True)


def sign_in(page) -> None:
    page.goto("/")
    page.get_by_label("Username").fill("trader")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Drafts to finish").wait_for()


def test_trader_files_an_integrated_declaration_fixing_a_flagged_container(page):
    demo_seed()
    sign_in(page)
    page.get_by_role("link", name="Start a new declaration").click()
    page.get_by_role("heading", name="New declaration").wait_for()

    # Route and transport, parties and terms.
    page.select_option("#id_direction", "export")
    page.select_option("#id_procedure", "integrated")
    page.select_option("#id_origin_port", "CNSUD")
    page.select_option("#id_transfer_port", "CNSHK")
    page.select_option("#id_foreign_port", "NLRTM")
    page.get_by_label("Transport document (bill of lading) number").fill("PRBL2026E2E001")
    page.get_by_label("Consignor", exact=True).fill("Shunde Pearl River Furniture Co., Ltd.")
    page.get_by_label("Consignee", exact=True).fill("Holland Home Interiors B.V.")
    page.select_option("#id_consignee_country", "NL")
    page.select_option("#id_incoterm", "FOB")
    page.select_option("#id_invoice_currency", "USD")

    # Three goods items, two added in place by the page's script (no reload).
    for index, (hs_code, description, quantity, packages, gross, net, value) in enumerate(ITEMS):
        if index:
            page.get_by_role("button", name="Add another item").click()
        page.locator(f"#id_items-{index}-hs_code").fill(hs_code)
        page.locator(f"#id_items-{index}-description").fill(description)
        page.locator(f"#id_items-{index}-origin_country").fill("CN")
        page.locator(f"#id_items-{index}-quantity").fill(quantity)
        page.select_option(f"#id_items-{index}-unit", "PCE")
        page.locator(f"#id_items-{index}-packages").fill(packages)
        page.locator(f"#id_items-{index}-gross_mass").fill(gross)
        page.locator(f"#id_items-{index}-net_mass").fill(net)
        page.locator(f"#id_items-{index}-value").fill(value)
    assert page.locator("#id_items-TOTAL_FORMS").input_value() == "3"

    # Two containers; the first is typed with a wrong check digit.
    page.locator("#id_containers-0-number").fill("CSQU3054384")
    page.locator("#id_containers-0-size_type").fill("45G1")
    page.locator("#id_containers-0-seal_number").fill("SL000001")
    page.get_by_role("button", name="Add another container").click()
    page.locator("#id_containers-1-number").fill("MSKU1234565")
    page.locator("#id_containers-1-size_type").fill("45G1")
    page.locator("#id_containers-1-seal_number").fill("SL000002")
    shot(page, "1-filled")

    page.get_by_role("button", name="Save and review before submitting").click()
    summary = page.get_by_test_id("error-summary")
    summary.wait_for()
    link = summary.get_by_role("link", name="it must be 3")
    assert "Container 1" in link.inner_text()
    shot(page, "2-container-flagged")
    link.click()
    number = page.locator("#id_containers-0-number")
    assert number.evaluate("element => element === document.activeElement")
    assert number.input_value() == "CSQU3054384"  # what was typed is kept, as are the other rows
    assert page.locator("#id_items-2-description").input_value() == "Wooden bedroom wardrobe"
    number.fill("CSQU3054383")

    page.get_by_role("button", name="Save and review before submitting").click()
    page.get_by_role("heading", name="Review declaration").wait_for()
    assert page.get_by_test_id("error-summary").count() == 0
    for text in ("CSQU3054383", "MSKU1234565", "Wooden bedroom wardrobe", "Shekou"):
        assert page.get_by_text(text).first.is_visible()
    shot(page, "3-review")
    page.get_by_role("button", name="Submit", exact=True).click()
    page.get_by_text("was submitted to customs").wait_for()
    shot(page, "4-submitted")
    page.get_by_role("link", name="Printable receipt").click()
    assert page.locator(".receipt-qr svg").is_visible()
    shot(page, "4b-receipt")
    page.go_back()

    declaration = Declaration.objects.get()
    assert declaration.status == "submitted" and declaration.item_count == 3 and declaration.container_count == 2
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Declarations").click()
    row = page.get_by_test_id("declaration-row").filter(has_text=declaration.reference)
    assert row.get_by_test_id("status").inner_text() == "Submitted"
    assert "CNSUD → CNSHK → NLRTM" in row.inner_text()
    shot(page, "5-list")


def test_declaration_pages_fit_a_phone_screen(browser, live_server):
    demo_seed()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    page = context.new_page()
    sign_in(page)
    for path in ("/declarations/new/", "/declarations/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    page.goto("/declarations/new/")
    shot(page, "phone-form")
    context.close()
