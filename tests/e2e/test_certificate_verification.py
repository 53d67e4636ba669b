"""An officer issues a certificate for a released declaration in a real browser; an anonymous visitor
opens the link decoded from the PDF's QR code and sees it valid; after revocation the page says revoked."""

import pytest

from declarations.demo import demo_declarations_seed
from declarations.models import Declaration
from inspections.certificates.services import certificate_pdf_render
from inspections.models import Certificate
from portal.demo import demo_seed
from portal.ledger.services import checkpoint_create
from tests.e2e.test_officer_review import sign_in
from tests.inspections.certificate_support import tasks_run_in_process
from tests.inspections.test_certificates_pdf import _qr_codes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def renders_in_process():
    with tasks_run_in_process():  # the PDF is rendered on commit in the server thread, not by a stray worker
        yield


def test_officer_issues_a_certificate_anyone_verifies_by_its_qr_code_until_it_is_revoked(
    page, browser, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.PORTAL_BASE_URL = live_server.url  # what the printed QR code points at
    demo_seed()
    demo_declarations_seed()
    declaration = Declaration.objects.get(transport_document_number="DEMO-BL-0007")  # released at Shunde

    sign_in(page, "officer.shunde")
    page.goto(f"/declarations/{declaration.pk}/")
    page.locator("#certificates").get_by_role("link", name="Issue a certificate").click()
    page.get_by_label("Phytosanitary certificate").check()
    for item in declaration.items.all():
        assert page.get_by_label(f"{item.line_number}. {item.hs_code_id} — {item.description}").is_checked()
    page.get_by_role("button", name="Issue certificate").click()
    page.get_by_text("is being prepared").first.wait_for()
    certificate = Certificate.objects.get(declaration=declaration)
    page.get_by_role("heading", name=f"Certificate {certificate.number}").wait_for()

    # Rendered on commit (in process here); rendering again is idempotent and gives the stored file.
    rendered = certificate_pdf_render(certificate_id=certificate.pk)
    [qr_link] = _qr_codes(rendered.pdf.read())
    assert qr_link.startswith(live_server.url + f"/verify/{certificate.number}/")
    checkpoint_create()

    visitor = browser.new_context().new_page()
    visitor.goto(qr_link)
    verdict = visitor.get_by_test_id("certificate-verdict")
    verdict.get_by_role("heading", name=f"Certificate {certificate.number} is VALID").wait_for()
    assert verdict.get_attribute("data-certificate-status") == "valid"
    assert visitor.get_by_role("heading", name="Genuine and unaltered").is_visible()
    assert verdict.get_by_role("cell", name=declaration.items.first().description).is_visible()

    page.reload()
    page.get_by_label("Reason for revocation").fill("Goods re-packed after inspection")
    page.get_by_role("button", name="Revoke certificate").click()
    page.get_by_test_id("revocation-reason").wait_for()

    visitor.reload()
    verdict = visitor.get_by_test_id("certificate-verdict")
    verdict.get_by_role("heading", name=f"Certificate {certificate.number} is REVOKED").wait_for()
    assert verdict.get_attribute("data-certificate-status") == "revoked"
    assert verdict.get_by_text("Goods re-packed after inspection").is_visible()
    # The revocation is in the ledger: the record matches its latest entry (awaiting the next checkpoint).
    assert visitor.get_by_role("heading", name="Recorded, awaiting the next signed checkpoint").is_visible()
    visitor.context.close()
