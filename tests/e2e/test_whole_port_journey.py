"""The whole integrated-port journey in one real browser session (DESIGN §2, issue 9).

A trader files an integrated export Shunde → Shekou; the carrier's manifest (with a gross mass that
disagrees) and the terminals' events arrive through the logistics API; a real Celery worker verifies
it and the Shunde officer, with the declaration open, sees the warning appear without a reload and
orders an inspection; the trader books a slot at Shekou; a Shekou officer records a pass and issues a
certificate; Shunde releases; the barge loads and departs; the trader asks a bank for export tax rebate
financing; the bank checks the ledger proof and approves; an anonymous visitor verifies the certificate
by the link in its QR code. Each step is screenshotted into ``test-artifacts/screenshots/journey/``.

The barge's ``departed`` event closes the released declaration through the worker's re-verification
(every container departed after release). The beat's periodic ledger checkpoint is made with
``checkpoint_create`` instead of waiting five minutes.
"""

import re
import time
from datetime import time as clock
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from declarations.choices import Status
from declarations.models import Declaration, PortRiskSettings, VerificationRequest, VerificationWarning
from finance.choices import ProductKind, RequestStatus
from finance.models import FinancingRequest
from finance.services import product_upsert
from inspections.certificates.services import certificate_pdf_render
from inspections.models import Certificate, InspectionSite
from portal.demo import DEMO_PASSWORD, demo_seed
from portal.ledger.services import checkpoint_create
from portal.models import Port, User
from tests.inspections.test_certificates_pdf import _qr_codes

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "journey"
BILL_OF_LADING = "PRBL2026JOURNEY1"
CONTAINER = "CSQU3054383"
SEAL = "SL2026J01"
DECLARED_GROSS = Decimal("1200")
MANIFEST_GROSS = Decimal("1500")  # 25 % above the declaration: beyond the 5 % tolerance


def wait_for(condition, *, timeout: float = 30, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Screenshots:
    def __init__(self):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob("*.png"):
            old.unlink()
        self.number = 0

    def __call__(self, page, step: str) -> None:
        self.number += 1
        page.screenshot(path=str(SCREENSHOTS / f"{self.number:02d}-{step}.png"), full_page=True)


def new_page(browser, live_server):
    page = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))


class LogisticsSystem:
    """A carrier's or terminal's system posting to the live server with its organisation's token."""

    def __init__(self, live_server, username: str):
        token, _created = Token.objects.get_or_create(user=User.objects.get(username=username))
        self.base = f"{live_server.url}/api/v1/logistics"
        self.headers = {"Authorization": f"Token {token.key}"}

    def post(self, resource: str, records: list[dict]) -> dict:
        response = requests.post(f"{self.base}/{resource}", json=records, headers=self.headers, timeout=15)
        assert response.status_code == 201, (response.status_code, response.text)
        body = response.json()
        assert body["stored"] == len(records), body
        return body


def terminal_event(external_id: str, event_type: str, port: str, *, seconds_ago: int = 0, **extra) -> dict:
    occurred = timezone.now() - timedelta(seconds=seconds_ago)
    return {
        "external_id": external_id,
        "container_number": CONTAINER,
        "event_type": event_type,
        "port": port,
        "occurred_at": occurred.isoformat(),
        **extra,
    }


def file_declaration(page) -> None:
    """The trader's browser form, as in test_declaration_filing: one item, one container."""
    page.get_by_role("link", name="Start a new declaration").click()
    page.get_by_role("heading", name="New declaration").wait_for()
    page.select_option("#id_direction", "export")
    page.select_option("#id_procedure", "integrated")
    page.select_option("#id_origin_port", "CNSUD")
    page.select_option("#id_transfer_port", "CNSHK")
    page.select_option("#id_foreign_port", "NLRTM")
    page.get_by_label("Transport document (bill of lading) number").fill(BILL_OF_LADING)
    page.get_by_label("Consignor", exact=True).fill("Shunde Pearl River Furniture Co., Ltd.")
    page.get_by_label("Consignee", exact=True).fill("Holland Home Interiors B.V.")
    page.select_option("#id_consignee_country", "NL")
    page.select_option("#id_incoterm", "FOB")
    page.select_option("#id_invoice_currency", "USD")
    page.locator("#id_items-0-hs_code").fill("940360")
    page.locator("#id_items-0-description").fill("Wooden dining table, oak")
    page.locator("#id_items-0-origin_country").fill("CN")
    page.locator("#id_items-0-quantity").fill("40")
    page.select_option("#id_items-0-unit", "PCE")
    page.locator("#id_items-0-packages").fill("40")
    page.locator("#id_items-0-gross_mass").fill(str(DECLARED_GROSS))
    page.locator("#id_items-0-net_mass").fill("1100")
    page.locator("#id_items-0-value").fill("28800.00")
    page.locator("#id_containers-0-number").fill(CONTAINER)
    page.locator("#id_containers-0-size_type").fill("45G1")
    page.locator("#id_containers-0-seal_number").fill(SEAL)


def test_whole_port_journey_from_filing_to_financing_and_public_verification(
    page, browser, live_server, celery_worker, settings, tmp_path
):
    settings.VERIFICATION_DEBOUNCE_SECONDS = 0.3
    settings.MEDIA_ROOT = tmp_path
    settings.PORTAL_BASE_URL = live_server.url  # what the certificate's QR code points at
    shot = Screenshots()
    demo_seed()
    shunde, shekou = Port.objects.get(locode="CNSUD"), Port.objects.get(locode="CNSHK")
    # No random selection at Shunde: the lane follows the evidence alone, so the journey is repeatable.
    PortRiskSettings.objects.update_or_create(port=shunde, defaults={"random_selection_percent": Decimal("0")})
    # Shekou's inspection centre is the only site: the slot the trader books is at Shekou.
    site = InspectionSite.objects.create(
        port=shekou,
        name_en="Shekou Container Inspection Centre",
        opens_at=clock(9),
        closes_at=clock(17),
        weekdays="0,1,2,3,4,5,6",
        slot_minutes=60,
        capacity_per_slot=2,
        cutoff_hours=24,
    )
    bank_officer = User.objects.get(username="bank.gbtb")
    product = product_upsert(
        actor=bank_officer,
        kind=ProductKind.EXPORT_TAX_REBATE,
        name_en="Export tax rebate advance",
        currencies=["CNY", "USD"],
        max_advance_percent=Decimal("80"),
        min_tenor_days=30,
        max_tenor_days=180,
    )
    carrier = LogisticsSystem(live_server, "carrier")
    terminal = LogisticsSystem(live_server, "terminal")

    # 1. The trader files the integrated export in the browser and submits it.
    sign_in(page, "trader")
    page.get_by_role("heading", name="Drafts to finish").wait_for()
    file_declaration(page)
    shot(page, "trader-fills-declaration")
    page.get_by_role("button", name="Save and review before submitting").click()
    page.get_by_role("heading", name="Review declaration").wait_for()
    page.get_by_role("button", name="Submit", exact=True).click()
    page.get_by_text("was submitted to customs").wait_for()
    declaration = Declaration.objects.get(transport_document_number=BILL_OF_LADING)
    shot(page, "trader-submitted")

    # 2. The worker verifies it: no manifest yet.
    wait_for(
        lambda: VerificationWarning.objects.filter(declaration=declaration, code="MANIFEST_MISSING").exists(),
        what="the worker's first verification (MANIFEST_MISSING)",
    )

    # 3. The Shunde officer opens the declaration and keeps it open.
    officer = new_page(browser, live_server)
    sign_in(officer, "officer.shunde")
    officer.goto(f"/declarations/{declaration.pk}/")
    officer.get_by_role("heading", name=f"Declaration {declaration.reference}").wait_for()
    warnings = officer.locator("#review-warnings")
    expect(warnings.locator('[data-code="MANIFEST_MISSING"]')).to_have_count(1)
    expect(warnings.locator('[data-code="GROSS_MASS_MISMATCH"]')).to_have_count(0)
    officer.evaluate("window.journeyNotReloaded = true")
    shot(officer, "officer-opens-declaration")

    # 4. The carrier's manifest (gross mass 25 % over) and the terminal's gate-in arrive through the API.
    carrier.post(
        "manifests",
        [
            {
                "external_id": "PDBL-XJ18-V2611",
                "carrier": "Pearl Delta Barge Lines",
                "vessel": "Xijiang 18",
                "voyage": "V2611",
                "port_of_loading": "CNSUD",
                "port_of_discharge": "CNSHK",
                "lines": [
                    {
                        "transport_document_number": BILL_OF_LADING,
                        "consignee_name": "Holland Home Interiors B.V.",
                        "packages": 40,
                        "gross_mass": str(MANIFEST_GROSS),
                        "containers": [CONTAINER],
                    }
                ],
            }
        ],
    )
    terminal.post(
        "container-events",
        [
            terminal_event("SUD-GI-1", "gate_in", "CNSUD", seconds_ago=300, seal_number=SEAL),
        ],
    )

    # 5. The warning appears on the open page at the next poll, without a reload.
    mismatch = warnings.locator('[data-code="GROSS_MASS_MISMATCH"]')
    expect(mismatch).to_have_count(1, timeout=30_000)
    expect(warnings.locator('[data-code="MANIFEST_MISSING"]')).to_have_count(0)
    assert officer.evaluate("window.journeyNotReloaded === true"), "the page was reloaded"
    shot(officer, "officer-sees-gross-mass-warning-live")

    # 6. The officer orders an inspection.
    officer.reload()
    officer.get_by_label("Optional: what the inspection should look at.").fill("Weigh the container.")
    officer.get_by_role("button", name="Order inspection").click()
    officer.get_by_text("Inspection required. The trader has been notified.").wait_for()
    declaration.refresh_from_db()
    assert declaration.status == Status.INSPECTION_REQUIRED
    shot(officer, "officer-orders-inspection")

    # 7. The trader books the first free slot, at Shekou.
    page.goto(f"/declarations/{declaration.pk}/")
    page.get_by_test_id("inspection-link").click()
    page.get_by_test_id("calendar").locator("button.slot-button").first.click()
    page.get_by_text("Booked:").wait_for()
    expect(page.get_by_test_id("live-booking")).to_contain_text("Shekou Container Inspection Centre")
    booking = declaration.inspections.get().bookings.get()
    assert booking.slot.site == site
    shot(page, "trader-books-slot-at-shekou")

    # 8. A Shekou officer records a pass from the day's list.
    shekou_officer = new_page(browser, live_server)
    sign_in(shekou_officer, "officer.shekou")
    day = timezone.localtime(booking.slot.starts_at, ZoneInfo("Asia/Shanghai")).date()
    shekou_officer.goto(f"/inspections/sites/{site.pk}/day/?date={day.isoformat()}")
    entry = shekou_officer.get_by_test_id("day-entry")
    expect(entry).to_contain_text(declaration.reference)
    entry.get_by_role("link", name="Record the result").click()
    shekou_officer.get_by_label("Passed", exact=True).check()
    shekou_officer.get_by_label(f"New seal on {CONTAINER}").fill("CIQ2026J01")
    shekou_officer.get_by_role("button", name="Record the result").click()
    expect(shekou_officer.get_by_test_id("result")).to_have_text("Passed")
    inspection = declaration.inspections.get()
    assert inspection.port == shekou
    declaration.refresh_from_db()
    assert declaration.status == Status.INSPECTED
    shot(shekou_officer, "shekou-records-pass")

    # 9. The Shekou officer issues a phytosanitary certificate; the worker renders its PDF.
    shekou_officer.goto(f"/declarations/{declaration.pk}/")
    shekou_officer.locator("#certificates").get_by_role("link", name="Issue a certificate").click()
    shekou_officer.get_by_label("Phytosanitary certificate").check()
    shekou_officer.get_by_role("button", name="Issue certificate").click()
    shekou_officer.get_by_text("is being prepared").first.wait_for()
    certificate = Certificate.objects.get(declaration=declaration)
    wait_for(
        lambda: Certificate.objects.filter(pk=certificate.pk).exclude(pdf="").exists(),
        what="the worker to render the certificate PDF",
    )
    shekou_officer.reload()
    shekou_officer.get_by_role("link", name=f"Download {certificate.number} (PDF)").wait_for()
    shot(shekou_officer, "shekou-issues-certificate")

    # 10. Shunde releases.
    officer.goto(f"/declarations/{declaration.pk}/")
    officer.get_by_role("button", name="Release", exact=True).click()
    expect(officer.locator(".messages, [role=status], [role=alert]").first).to_be_visible()
    wait_for(lambda: Declaration.objects.get(pk=declaration.pk).status == Status.RELEASED, what="release")
    shot(officer, "shunde-releases")

    # 11. The barge loads and departs: the terminal's events through the API; the worker closes it as departed.
    time.sleep(1)  # the events happen after the release (a load before it would rightly be flagged)
    terminal.post(
        "container-events",
        [
            terminal_event(
                "SUD-LD-1", "loaded", "CNSUD", vessel="Xijiang 18", voyage="V2611", seal_number="CIQ2026J01"
            ),
            terminal_event("SUD-DP-1", "departed", "CNSUD", vessel="Xijiang 18", voyage="V2611"),
        ],
    )
    wait_for(lambda: Declaration.objects.get(pk=declaration.pk).status == Status.DEPARTED, what="departure")
    wait_for(
        lambda: not VerificationRequest.objects.filter(declaration=declaration).exists(),
        what="re-verification after the terminal events",
    )
    assert not VerificationWarning.objects.filter(declaration=declaration, code="LOADED_BEFORE_RELEASE").exists()
    page.goto(f"/declarations/{declaration.pk}/")
    expect(page.get_by_text("Departed").first).to_be_visible()
    shot(page, "trader-sees-departed")
    checkpoint_create()  # the beat's periodic signed checkpoint, taken now

    # 12. The trader asks Greater Bay Trade Bank for export tax rebate financing.
    page.get_by_role("link", name="Financing", exact=True).click()
    page.goto("/financing/new/")
    form = page.get_by_test_id("financing-form")
    form.get_by_label("Bank and product").select_option(str(product.pk))
    form.get_by_label(re.compile(re.escape(declaration.reference) + " — Departed")).check()
    form.get_by_label("Currency").select_option("USD")
    expect(page.locator("#maximum")).to_contain_text("USD")
    form.get_by_label("Amount").fill("20000.00")
    form.get_by_label("Tenor (days)").fill("90")
    shot(page, "trader-asks-for-financing")
    form.get_by_role("button", name="Send to the bank").click()
    request = FinancingRequest.objects.get(pledges__declaration=declaration)
    expect(page.get_by_role("heading", name=f"Financing request {request.reference}")).to_be_visible()

    # 13. The bank checks the ledger proof and approves.
    bank = new_page(browser, live_server)
    sign_in(bank, "bank.gbtb")
    bank.get_by_role("link", name="Financing requests", exact=True).click()
    bank.get_by_test_id("bank-queue").get_by_role("link", name=request.reference).click()
    pledged = bank.get_by_test_id("pledged-declaration")
    expect(pledged).to_contain_text(declaration.reference)
    ledger = pledged.get_by_test_id("ledger-status")
    expect(ledger).to_have_attribute("data-status", "verified")
    expect(ledger).to_contain_text("Record matches the ledger — proof verified")
    shot(bank, "bank-checks-ledger-proof")
    approve = bank.get_by_test_id("approve-form")
    approve.get_by_label("Amount approved").fill("18000.00")
    approve.get_by_label("Interest rate (% a year)").fill("3.850")
    approve.get_by_label("Conditions").fill("Tax rebate proceeds assigned to the bank")
    approve.get_by_role("button", name="Approve financing").click()
    expect(bank.get_by_test_id("request-status")).to_have_text("Approved")
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.approved_amount == Decimal("18000.00")
    shot(bank, "bank-approves")

    # 14. Anyone verifies the certificate by the link in its QR code.
    checkpoint_create()
    pdf = shekou_officer.request.get(f"/certificates/{certificate.pk}/pdf/")  # the page's download link
    assert pdf.ok, pdf.status
    assert pdf.body() == certificate_pdf_render(certificate_id=certificate.pk).pdf.read()  # the stored file
    [qr_link] = _qr_codes(pdf.body())
    assert qr_link.startswith(f"{live_server.url}/verify/{certificate.number}/")
    visitor = browser.new_context().new_page()
    visitor.goto(qr_link)
    verdict = visitor.get_by_test_id("certificate-verdict")
    verdict.get_by_role("heading", name=f"Certificate {certificate.number} is VALID").wait_for()
    expect(visitor.get_by_role("heading", name="Genuine and unaltered")).to_be_visible()
    shot(visitor, "visitor-verifies-certificate")

    for context in {officer.context, shekou_officer.context, bank.context, visitor.context}:
        context.close()
    assert len(list(SCREENSHOTS.glob("*.png"))) == shot.number == 14
    # Nothing left for the worker when the test's data is flushed.
    wait_for(lambda: not VerificationRequest.objects.exists(), what="the verification queue to drain")
