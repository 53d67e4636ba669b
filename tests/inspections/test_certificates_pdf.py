"""The certificate PDF: a valid PDF whose text holds the number and the items, and whose QR code
decodes to the public verification URL (the page is rendered and the code read from pixels)."""

import hashlib
import io

import pypdf
import pypdfium2
import pytest
import zxingcpp
from django.core.files.storage import default_storage

from inspections.certificates.services import certificate_pdf_render, certificate_revoke
from inspections.certificates.verification import certificate_verification_url
from portal.ledger.registry import check_code
from tests import factories

from .certificate_support import issued_certificate, released_declaration


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PORTAL_BASE_URL = "https://portal.example.cn"
    return tmp_path


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def _qr_codes(content: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(content)
    image = document[0].render(scale=3).to_pil()
    return [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.mark.django_db
def test_the_pdf_holds_the_number_and_items_and_its_qr_code_opens_the_verification_page(media):
    declaration = released_declaration(items=3)
    lines = list(declaration.items.order_by("line_number"))
    certificate = issued_certificate(declaration, items=lines[:2])
    rendered = certificate_pdf_render(certificate_id=certificate.pk)
    content = rendered.pdf.read()
    assert content.startswith(b"%PDF-")
    text = _text(content)
    assert certificate.number in text
    assert declaration.reference in text
    assert "Phytosanitary certificate" in text
    assert lines[0].description in text and lines[1].description in text
    assert lines[2].description not in text
    assert lines[0].hs_code_id in text
    expected = f"https://portal.example.cn/verify/{certificate.number}/{check_code(certificate.number)}/"
    assert certificate_verification_url(certificate.number) == expected
    assert _qr_codes(content) == [expected]
    assert rendered.pdf_sha256 == hashlib.sha256(content).hexdigest()
    assert rendered.pdf_rendered_at is not None


@pytest.mark.django_db
def test_the_pdf_carries_the_chinese_text_in_the_builtin_cjk_font(media):
    certificate = issued_certificate(released_declaration(items=1), kind="health")
    content = certificate_pdf_render(certificate_id=certificate.pk).pdf.read()
    assert b"/STSong-Light" in content
    assert "卫生证书" in _text(content)


@pytest.mark.django_db
def test_revocation_renders_the_pdf_again_with_a_revoked_mark_and_replaces_the_old_file(
    media, django_capture_on_commit_callbacks
):
    certificate = issued_certificate(released_declaration(items=1))
    first = certificate_pdf_render(certificate_id=certificate.pk)
    first_name, first_hash = first.pdf.name, first.pdf_sha256
    assert "REVOKED" not in _text(first.pdf.read())
    officer = factories.customs_officer(ports=("CNSUD",))
    certificate_revoke(actor=officer, certificate_id=certificate.pk, reason="Seal found broken")
    with django_capture_on_commit_callbacks(execute=True):
        second = certificate_pdf_render(certificate_id=certificate.pk)
    text = _text(second.pdf.read())
    assert "REVOKED" in text and "Seal found broken" in text
    assert second.pdf_sha256 != first_hash
    assert second.pdf.name != first_name
    assert default_storage.exists(second.pdf.name) and not default_storage.exists(first_name)


@pytest.mark.django_db
def test_rendering_twice_gives_the_same_bytes(media):
    certificate = issued_certificate(released_declaration(items=1))
    first = certificate_pdf_render(certificate_id=certificate.pk).pdf_sha256
    second = certificate_pdf_render(certificate_id=certificate.pk).pdf_sha256
    assert first == second


@pytest.mark.worker
def test_issuing_renders_the_pdf_in_the_real_worker_after_commit(celery_worker, media):
    import time

    from inspections.models import Certificate

    certificate = issued_certificate(released_declaration(items=1))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        certificate = Certificate.objects.get(pk=certificate.pk)
        if certificate.pdf_sha256:
            break
        time.sleep(0.2)
    assert certificate.pdf_sha256, "the worker did not render the PDF"
    content = certificate.pdf.read()
    assert hashlib.sha256(content).hexdigest() == certificate.pdf_sha256
    assert certificate.number in _text(content)
